import type { IncomingMessage } from 'node:http';
import DataLoader from 'dataloader';
import type { Authenticate, Caller } from './auth/index.ts';
import type { KeyCache } from './auth/key-cache.ts';
import type { PrismaClient } from './db/index.ts';
import { tenantClient } from './db/tenant.ts';
import type { Metrics } from './plugins/metrics.ts';

export interface ChannelRef {
  id: string;
  slug: string;
}

/** Per-request loaders for what Prisma cannot batch by itself. */
function createLoaders(db: PrismaClient, caller: Caller) {
  const accountId = caller.kind === 'anonymous' ? null : caller.accountId;
  return {
    /** The caller's channels by slug: one query for all the slugs a request names. */
    channelBySlug: new DataLoader<string, ChannelRef | null>(async (slugs) => {
      if (!accountId) return slugs.map(() => null);
      const rows = await db.channel.findMany({ where: { accountId, slug: { in: [...slugs] } }, select: { id: true, slug: true } });
      const bySlug = new Map(rows.map((r) => [r.slug, r]));
      return slugs.map((s) => bySlug.get(s) ?? null);
    }),
  };
}

export interface Context {
  /** Confined to the caller's account (src/db/tenant.ts). */
  db: PrismaClient;
  caller: Caller;
  loaders: ReturnType<typeof createLoaders>;
  metrics: Pick<Metrics, 'sendRecipients'>;
  /** Call after a key's edit commits, so the next request with it reads it afresh. */
  keyChanged(keyId: string): void;
}

interface ContextDependencies {
  db: PrismaClient;
  authenticate: Authenticate;
  metrics: Metrics;
  trustProxy: boolean;
  keyCache: KeyCache | undefined;
}

/** The client's address: the socket's, or X-Forwarded-For's first hop behind a trusted proxy. */
function sourceAddress(request: Request, req: IncomingMessage | undefined, trustProxy: boolean): string {
  const forwarded = trustProxy ? request.headers.get('x-forwarded-for')?.split(',')[0]?.trim() : undefined;
  return forwarded || req?.socket?.remoteAddress || 'unknown';
}

export function createContextFactory({ db, authenticate, metrics, trustProxy, keyCache }: ContextDependencies) {
  const keyChanged = (keyId: string) => keyCache?.invalidate(keyId);
  return async ({ request, req }: { request: Request; req?: IncomingMessage }): Promise<Context> => {
    const caller = await authenticate(request, sourceAddress(request, req, trustProxy));
    // Resolvers only ever see a client confined to the caller's account.
    const scoped = caller.kind === 'anonymous' ? db : tenantClient(db, caller.accountId);
    return { db: scoped, caller, loaders: createLoaders(scoped, caller), metrics, keyChanged };
  };
}
