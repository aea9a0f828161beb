// The Prisma client a request's resolvers and services get: confined to the
// caller's account and bound to the request's scope (./tenant.ts), built when
// the request first reaches Prisma. A request that never does (send, and most
// of the hot path, run their own statements: ./sql.ts) builds nothing.
import { type WorkScope, withinScope } from './deadline.ts';
import type { PrismaClient } from './index.ts';
import { tenantClient } from './tenant.ts';

export function requestClient(db: PrismaClient, accountId: string | null, work: WorkScope | undefined): PrismaClient {
  let client: PrismaClient | undefined;
  const built = () => {
    client ??= tenantClient(db, accountId, work);
    return client;
  };
  return new Proxy({} as PrismaClient, {
    get(_, property) {
      // Not a promise (asked by whatever checks whether a value is one): nothing to build for that.
      if (property === 'then') return undefined;
      const target = built();
      // A transaction takes its connection before any of its operations: that wait is the request's too.
      if (property === '$transaction') {
        return (...args: Parameters<PrismaClient['$transaction']>) => withinScope(work, () => target.$transaction(...args));
      }
      const value = Reflect.get(target, property);
      return typeof value === 'function' ? value.bind(target) : value;
    },
    has: (_, property) => Reflect.has(built(), property),
  });
}
