import type { IncomingMessage } from 'node:http';
import DataLoader from 'dataloader';
import type { Admit } from './auth/admit.ts';
import type { Authenticate } from './auth/authenticate.ts';
import type { Caller } from './auth/caller.ts';
import type { ClientAddress } from './client-address.ts';
import type { ApiKeyStore } from './data/api-keys.ts';
import type { Actor } from './data/audit.ts';
import { type SendOutcome, type SendRequest, sendMessage } from './data/messages.ts';
import { type UsageCounter, type UsageDay, usageOf } from './data/usage.ts';
import type { PrismaClient } from './db/index.ts';
import type { Sql } from './db/sql.ts';
import { tenantClient } from './db/tenant.ts';
import type { Metrics } from './plugins/metrics.ts';
import { type RequestState, stateOf } from './request-state.ts';
import type { Target } from './scoping/rules.ts';

export interface ChannelRef {
  id: string;
  slug: string;
}

/** Per-request loaders for what Prisma cannot batch by itself. */
function createLoaders(db: PrismaClient, caller: Caller, counter: UsageCounter) {
  const accountId = caller.kind === 'anonymous' ? null : caller.accountId;
  /** The caller's channels by slug: one query for all the slugs a request names. */
  const channelBySlug = new DataLoader<string, ChannelRef | null>(async (slugs) => {
    if (!accountId) return slugs.map(() => null);
    const rows = await db.channel.findMany({ where: { accountId, slug: { in: [...slugs] } }, select: { id: true, slug: true } });
    const bySlug = new Map(rows.map((r) => [r.slug, r]));
    return slugs.map((s) => bySlug.get(s) ?? null);
  });
  // A channel-scoped key's own channels came with the key (channels are never
  // renamed or deleted): a send within its scope looks nothing up.
  if (caller.kind === 'key') for (const channel of caller.key.channels) channelBySlug.prime(channel.slug, channel);
  return {
    channelBySlug,
    /** Usage of listed keys, one query per distinct `days` however many keys a list shows. */
    usage: new DataLoader<{ keyId: string; days: number }, UsageDay[], string>(
      async (requests) => {
        const results = new Map<number, Map<string, UsageDay[]>>();
        for (const days of new Set(requests.map((r) => r.days))) {
          const ids = requests.filter((r) => r.days === days).map((r) => r.keyId);
          results.set(days, await usageOf(db, ids, days, counter));
        }
        return requests.map(({ keyId, days }) => results.get(days)?.get(keyId) ?? []);
      },
      { cacheKeyFn: ({ keyId, days }) => `${keyId}:${days}` },
    ),
  };
}

export interface Context {
  /** Confined to the caller's account (src/db/tenant.ts). */
  db: PrismaClient;
  caller: Caller;
  /** The x-request-id of this request (incoming or generated), for the audit trail. */
  requestId: string;
  loaders: ReturnType<typeof createLoaders>;
  metrics: Pick<Metrics, 'sendRecipients'>;
  /** Every write of an API key goes through here (src/data/api-keys.ts). */
  keys: ApiKeyStore;
  /** The targets the access middleware resolved for this request's send fields, by response key. */
  sendTargets: Map<string | number, Target>;
  /** send's one statement (src/data/messages.ts): it names the account itself. */
  sendMessage: (request: SendRequest) => Promise<SendOutcome>;
  /** This request's Idempotency-Key, when it has one (see src/plugins/idempotency.ts). */
  idempotency: RequestState['idempotency'];
}

interface ContextDependencies {
  db: PrismaClient;
  /** Key usage this instance counted and has not written yet: usage reads add it. */
  usage: UsageCounter;
  sql: Sql;
  authenticate: Authenticate;
  admit: Admit;
  clientAddress: ClientAddress;
  metrics: Metrics;
  keys: ApiKeyStore;
}

/** Who acts in this request, for the audit trail. */
export function actorOf(ctx: Pick<Context, 'caller' | 'requestId'>): Actor {
  const { caller } = ctx;
  if (caller.kind === 'anonymous') throw new Error('actorOf: the field admits authenticated callers only');
  return {
    accountId: caller.accountId,
    memberId: caller.kind === 'member' ? caller.memberId : null,
    apiKeyId: caller.kind === 'key' ? caller.key.id : null,
    requestId: ctx.requestId,
  };
}

export function createContextFactory({ db, usage, sql, authenticate, admit, clientAddress, metrics, keys }: ContextDependencies) {
  const send = (request: SendRequest) => sendMessage(sql, request);
  return async ({ request, req }: { request: Request; req?: IncomingMessage }): Promise<Context> => {
    const address = clientAddress(request, req);
    const state = stateOf(request);
    const caller = await authenticate(request, address);
    if (caller.kind === 'key') {
      state.keyId = caller.key.id;
      state.rateLimit = await admit(caller, address);
    }
    // Resolvers only ever see a client confined to the caller's account.
    const scoped = caller.kind === 'anonymous' ? db : tenantClient(db, caller.accountId);
    return {
      db: scoped,
      caller,
      requestId: state.id,
      loaders: createLoaders(scoped, caller, usage),
      metrics,
      keys,
      sendTargets: new Map(),
      sendMessage: send,
      idempotency: state.idempotency,
    };
  };
}
