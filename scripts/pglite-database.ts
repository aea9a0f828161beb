// The throwaway database of the migration authoring tools (db:migrate, db:drift):
// an in-memory PGlite. The schema engine's introspection of PostgreSQL's catalog
// needs PGlite's adapter: through @prisma/adapter-pg it cannot read the catalog's
// "char" columns (../shared/notes/prisma-offline.md). Not used at run time.
import { PGlite } from '@electric-sql/pglite';
import type { SqlDriverAdapter, SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import { PrismaPGlite } from 'pglite-prisma-adapter';

/** An empty in-memory database and its adapter; its executeScript is awaited so a failing migration fails. */
export async function throwawayDatabase(): Promise<{ adapter: SqlMigrationAwareDriverAdapterFactory; close(): Promise<void> }> {
  const pglite = await PGlite.create('memory://');
  const factory = new PrismaPGlite(pglite);
  const fix = (adapter: SqlDriverAdapter): SqlDriverAdapter => {
    const inner = adapter as unknown as { client: PGlite; onError(e: unknown): never };
    adapter.executeScript = async (script: string) => {
      try {
        await inner.client.exec(script);
      } catch (error) {
        inner.onError(error);
      }
    };
    return adapter;
  };
  return {
    adapter: {
      provider: factory.provider,
      adapterName: factory.adapterName,
      connect: async () => fix(await factory.connect()),
      connectToShadowDb: async () => fix(await factory.connectToShadowDb()),
    },
    close: () => pglite.close(),
  };
}
