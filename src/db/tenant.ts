// Tenant isolation by construction: the client a request's resolvers get can
// only read and write its caller's account. Every top-level operation on an
// account-owned model has the account forced into its filter (reads, updates,
// deletes) or its data (creates), whatever the resolver passed. Deny by
// default: a model this file does not list is refused, so a new model is
// confined (or reached through its owner) only once someone decides it here.
// The exceptions are raw SQL statements, which name the account themselves:
// the hot path (src/data/messages.ts), the inbox (src/data/inbox.ts), usage,
// test webhook events (src/data/webhooks.ts) and the webhook worker (src/webhooks/worker.ts).
import { type WorkScope, withinScope } from './deadline.ts';
import type { PrismaClient } from './index.ts';

/** Models with an accountId: the account is forced into every operation. */
const ACCOUNT_OWNED = new Set(['Channel', 'Recipient', 'ApiKey', 'Message', 'Member', 'AuditEvent', 'WebhookEndpoint']);
/** Rows that have no account of their own: reached only through the model that owns them (a nested select or write). */
const THROUGH_OWNER = new Set([
  'RecipientChannel',
  'ApiKeyChannel',
  'MessageChannel',
  'Delivery',
  'ApiKeyUsage',
  'WebhookEndpointChannel',
  'WebhookDelivery',
  'WebhookAttempt',
]);
/**
 * Everything else is not an account's data (Account itself, authentication
 * failures, rate limits, idempotency records, signing keys): the root client
 * reads it, in authentication and housekeeping, never a resolver.
 */
const CREATES = new Set(['create', 'createMany', 'createManyAndReturn']);
const FILTERED = new Set([
  'findUnique',
  'findUniqueOrThrow',
  'findFirst',
  'findFirstOrThrow',
  'findMany',
  'count',
  'aggregate',
  'groupBy',
  'update',
  'updateMany',
  'updateManyAndReturn',
  'delete',
  'deleteMany',
  'upsert',
]);

/**
 * A client confined to `accountId` (null: not confined, for callers of no
 * account), whose every operation runs within `work` (its database work ends
 * with the request, ./deadline.ts). One extension does both: a request pays
 * for one (about 30 µs), and only if it reaches Prisma (./request-client.ts).
 */
export function tenantClient(db: PrismaClient, accountId: string | null, work?: WorkScope): PrismaClient {
  return db.$extends({
    name: 'tenant',
    query: {
      $allOperations({ model, operation, args, query }) {
        // Raw statements name the account themselves (see above).
        const scoped = model && accountId !== null ? confine(model, operation, args as Record<string, unknown>, accountId) : args;
        return withinScope(work, () => query(scoped as typeof args));
      },
    },
  }) as unknown as PrismaClient;
}

/** `args` of `model`'s `operation`, with `accountId` forced into them. */
function confine(model: string, operation: string, args: Record<string, unknown>, accountId: string): Record<string, unknown> {
  if (THROUGH_OWNER.has(model)) throw new Error(`tenantClient: ${model} is reached through its owner, not on its own`);
  if (!ACCOUNT_OWNED.has(model)) throw new Error(`tenantClient: ${model} is not an account's data: resolvers never reach it`);
  const scoped = { ...args };
  if (CREATES.has(operation)) {
    const data = scoped.data;
    scoped.data = Array.isArray(data) ? data.map((row) => ({ ...row, accountId })) : { ...(data as object), accountId };
  } else if (FILTERED.has(operation)) {
    scoped.where = { ...(scoped.where as object), accountId };
    if (operation === 'upsert') scoped.create = { ...(scoped.create as object), accountId };
  } else {
    throw new Error(`tenantClient: ${model}.${operation} is not scoped to the account`);
  }
  return scoped;
}
