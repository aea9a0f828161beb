// Migrates one database for the whole run. Embedded (default): the embedded
// PostgreSQL of `npm start`, a temporary cluster started here and stopped at the
// end. PostgreSQL (TEST_DATABASE_URL): a uniquely named database, created here
// and dropped at the end.
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { migrate, openDatabase } from '../../src/db/index.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    database: { kind: 'embedded' | 'postgres'; url: string };
  }
}

export default async function setup(project: TestProject) {
  const base = process.env.TEST_DATABASE_URL;
  if (base) {
    const name = `herald_test_${process.pid}_${Date.now().toString(36)}`;
    const admin = new pg.Client({ connectionString: base });
    await admin.connect();
    await admin.query(`CREATE DATABASE "${name}"`);
    const url = new URL(base);
    url.pathname = `/${name}`;
    const db = await openDatabase({ kind: 'postgres', url: url.toString() });
    await migrate(db);
    await db.close();
    project.provide('database', { kind: 'postgres', url: url.toString() });
    return async () => {
      await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await admin.end();
    };
  }
  const db = await openDatabase({ kind: 'embedded', dataDir: null });
  await migrate(db);
  project.provide('database', { kind: 'embedded', url: db.url });
  return () => db.close();
}
