// The per-request (or per-subscription) context: who calls, and the one way
// from resolvers to data. An HTTP request is authenticated here, from its
// Authorization header; a WebSocket connection was authenticated once, when
// it opened (src/transports/websocket.ts), and each of its subscriptions
// reuses that caller.
import type { IncomingMessage } from 'node:http';
import { isAblated } from './ablation.ts';
import type { Admit } from './auth/admit.ts';
import type { Authenticate } from './auth/authenticate.ts';
import type { Caller } from './auth/caller.ts';
import type { ClientAddress } from './client-address.ts';
import { DataServices, type Shared } from './data/index.ts';
import type { WorkScope } from './db/deadline.ts';
import type { PrismaClient } from './db/index.ts';
import { requestClient } from './db/request-client.ts';
import { sqlWithin } from './db/sql.ts';
import { type RequestState, stateOf } from './request-state.ts';
import type { AccessContext, RecipientLookup, RecipientRef, Resolution } from './scoping/middleware.ts';

export interface Context extends AccessContext {
  /** Confined to the caller's account, bound to the request's scope (src/db/request-client.ts): plugin-prisma loads relations through it. */
  db: PrismaClient;
  caller: Caller;
  /** The x-request-id of this request (incoming or generated), for the audit trail. */
  requestId: string;
  /** Every resolver reaches data through here (src/data/index.ts). */
  data: DataServices;
  /** What the access middleware resolved for this request's root fields, by response key. */
  resolved: Map<string | number, Resolution>;
  loadRecipient(lookup: RecipientLookup): Promise<RecipientRef | null>;
  /** This request's Idempotency-Key, when it has one (see src/plugins/idempotency.ts). */
  idempotency: RequestState['idempotency'];
}

interface ContextDependencies {
  db: PrismaClient;
  shared: Shared;
  authenticate: Authenticate;
  admit: Admit;
  clientAddress: ClientAddress;
}

/** What graphql-ws gives the context of a subscription: the connection's caller, set when it opened. */
export interface ConnectionContext {
  connectionParams?: Record<string, unknown>;
  /** `work`: what bounds the database work of opening a stream (src/transports/sse.ts); a WebSocket's subscriptions have none. */
  extra: { caller: Caller; requestId: string; work?: WorkScope };
}

/** Yoga's initial context: an HTTP request, or a WebSocket subscription. */
type Initial = { request: Request; req?: IncomingMessage } | ConnectionContext;

// Off only in the bench's ablation table (src/ablation.ts).
const withoutTenantClient = isAblated('tenant-client');
const withoutAdmission = isAblated('rate-limit');

export function createContextFactory({ db, shared, authenticate, admit, clientAddress }: ContextDependencies) {
  const build = (caller: Caller, requestId: string, idempotency: RequestState['idempotency'], work: WorkScope | undefined): Context => {
    // Resolvers only ever see a client confined to the caller's account.
    const confinedTo = caller.kind === 'anonymous' || withoutTenantClient ? null : caller.accountId;
    const scoped = requestClient(db, confinedTo, work);
    const data = new DataServices({ db: scoped, sql: sqlWithin(shared.sql, work), work, caller, requestId, shared });
    return {
      db: scoped,
      caller,
      requestId,
      data,
      resolved: new Map(),
      loadRecipient: (lookup) => data.recipients.find(lookup),
      idempotency,
    };
  };

  return async (initial: Initial): Promise<Context> => {
    if (!('request' in initial)) return build(initial.extra.caller, initial.extra.requestId, undefined, initial.extra.work);
    const { request, req } = initial;
    const address = clientAddress(request.headers.get('x-forwarded-for'), req);
    const state = stateOf(request);
    const caller = await authenticate(request.headers.get('authorization'), address, state.work);
    if (caller.kind === 'key') {
      state.keyId = caller.key.id;
      if (!withoutAdmission) state.rateLimit = await admit(caller, address, state.work);
    }
    return build(caller, state.id, state.idempotency, state.work);
  };
}
