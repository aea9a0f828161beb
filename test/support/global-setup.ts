// Migrates one database for the whole run. Embedded (default): a migrated PGlite
// dumped to a file that each test file loads. PostgreSQL (TEST_DATABASE_URL):
// a uniquely named database, created here and dropped at the end.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { migrate, openDatabase } from '../../src/db/index.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    database: { kind: 'embedded'; dump: string } | { kind: 'postgres'; url: string };
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
  const dir = await mkdtemp(join(tmpdir(), 'herald-test-'));
  const pglite = await PGlite.create('memory://');
  const db = await openDatabase({ kind: 'embedded', dataDir: null }, { pglite });
  await migrate(db);
  const dump = join(dir, 'migrated.tar.gz');
  await writeFile(dump, Buffer.from(await (await pglite.dumpDataDir('gzip')).arrayBuffer()));
  await db.close();
  project.provide('database', { kind: 'embedded', dump });
  return () => rm(dir, { recursive: true, force: true });
}
