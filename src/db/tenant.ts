// Tenant isolation by construction: the client a request's resolvers get can
// only read and write its caller's account. Every top-level operation on an
// account-owned model has the account forced into its filter (reads, updates,
// deletes) or its data (creates), whatever the resolver passed.
import type { PrismaClient } from './index.ts';

const ACCOUNT_OWNED = new Set(['Channel', 'Recipient', 'ApiKey', 'Message', 'Member', 'AuditEvent']);
/** Rows that have no account of their own: reached only through the model that owns them. */
const THROUGH_OWNER = new Set(['RecipientChannel', 'ApiKeyChannel', 'MessageChannel']);
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

/** Building an extended client costs ~70 µs; each holds only its account id, so one per account is reused. */
const clients = new WeakMap<PrismaClient, Map<string, PrismaClient>>();
const MAX_CACHED_ACCOUNTS = 10_000;

export function tenantClient(db: PrismaClient, accountId: string): PrismaClient {
  let byAccount = clients.get(db);
  if (!byAccount) {
    byAccount = new Map();
    clients.set(db, byAccount);
  }
  let client = byAccount.get(accountId);
  if (!client) {
    if (byAccount.size >= MAX_CACHED_ACCOUNTS) byAccount.delete(byAccount.keys().next().value as string);
    client = confine(db, accountId);
    byAccount.set(accountId, client);
  }
  return client;
}

function confine(db: PrismaClient, accountId: string): PrismaClient {
  return db.$extends({
    name: 'tenant',
    query: {
      $allModels: {
        $allOperations({ model, operation, args, query }) {
          if (THROUGH_OWNER.has(model)) throw new Error(`tenantClient: ${model} is reached through its owner, not on its own`);
          if (!ACCOUNT_OWNED.has(model)) return query(args);
          const scoped = { ...(args as Record<string, unknown>) };
          if (CREATES.has(operation)) {
            const data = scoped.data;
            scoped.data = Array.isArray(data) ? data.map((row) => ({ ...row, accountId })) : { ...(data as object), accountId };
          } else if (FILTERED.has(operation)) {
            scoped.where = { ...(scoped.where as object), accountId };
            if (operation === 'upsert') scoped.create = { ...(scoped.create as object), accountId };
          } else {
            throw new Error(`tenantClient: ${model}.${operation} is not scoped to the account`);
          }
          return query(scoped as typeof args);
        },
      },
    },
  }) as unknown as PrismaClient;
}
