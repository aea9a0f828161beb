// Migrations through Prisma's WASM schema engine: the native engine cannot be
// downloaded on offline machines. Same `prisma/migrations` layout as `prisma migrate`.
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { bindMigrationAwareSqlAdapterFactory, type SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';

export const SCHEMA_PATH = resolve(import.meta.dirname, '../../prisma/schema.prisma');
export const MIGRATIONS_DIR = resolve(import.meta.dirname, '../../prisma/migrations');
const LOCKFILE = 'migration_lock.toml';
const FILTERS = { externalTables: [], externalEnums: [] };

interface Engine {
  applyMigrations(input: unknown): Promise<{ appliedMigrationNames: string[] }>;
  devDiagnostic(input: unknown): Promise<unknown>;
  createMigration(input: unknown): Promise<{ migrationScript: string | null; generatedMigrationName: string; extension: string }>;
  free(): void;
}

type EngineModule = { SchemaEngine: { new: (o: unknown, log: (m: string) => void, a: object) => Promise<Engine> } };
let engineModule: Promise<EngineModule> | undefined;

/**
 * Loads the WASM engine without --experimental-wasm-modules, once per process
 * (its glue keeps views of the instance's memory: a second instance breaks it).
 * Callers load it only when there is migration work (see db/index.ts).
 */
function loadEngineModule(): Promise<EngineModule> {
  engineModule ??= (async () => {
    const require = createRequire(import.meta.url);
    const gluePath = require.resolve('@prisma/schema-engine-wasm/schema_engine_bg');
    const glue = await import(gluePath);
    const bytes = await readFile(join(dirname(gluePath), 'schema_engine_bg.wasm'));
    const { instance } = await WebAssembly.instantiate(bytes, { './schema_engine_bg.js': glue });
    glue.__wbg_set_wasm(instance.exports);
    (instance.exports.__wbindgen_start as () => void)();
    return glue;
  })();
  return engineModule;
}

async function withEngine<T>(
  adapter: SqlMigrationAwareDriverAdapterFactory,
  fn: (engine: Engine, schema: string) => Promise<T>,
): Promise<T> {
  const { SchemaEngine } = await loadEngineModule();
  const schema = await readFile(SCHEMA_PATH, 'utf8');
  const engine = await SchemaEngine.new({ datamodels: [[SCHEMA_PATH, schema]] }, () => {}, bindMigrationAwareSqlAdapterFactory(adapter));
  try {
    return await fn(engine, schema);
  } finally {
    engine.free();
  }
}

export async function localMigrationNames(): Promise<string[]> {
  const entries = await readdir(MIGRATIONS_DIR, { withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
}

async function migrationsList() {
  const names = await localMigrationNames();
  const lockContent = await readFile(join(MIGRATIONS_DIR, LOCKFILE), 'utf8').catch(() => null);
  return {
    baseDir: MIGRATIONS_DIR,
    lockfile: { path: LOCKFILE, content: lockContent },
    shadowDbInitScript: '',
    migrationDirectories: await Promise.all(
      names.map(async (path) => ({
        path,
        migrationFile: {
          path: 'migration.sql',
          content: { tag: 'ok', value: await readFile(join(MIGRATIONS_DIR, path, 'migration.sql'), 'utf8') },
        },
      })),
    ),
  };
}

/** Applies pending migrations; returns the names it applied. */
export async function applyMigrations(adapter: SqlMigrationAwareDriverAdapterFactory): Promise<string[]> {
  const list = await migrationsList();
  return withEngine(
    adapter,
    async (engine) => (await engine.applyMigrations({ migrationsList: list, filters: FILTERS })).appliedMigrationNames,
  );
}

/**
 * The SQL that would bring the migrations up to schema.prisma, or null when they
 * match. The adapter must point at a database with every migration applied.
 */
export async function pendingSchemaChange(
  adapter: SqlMigrationAwareDriverAdapterFactory,
  name = 'drift',
): Promise<{ script: string; directory: string } | null> {
  const list = await migrationsList();
  return withEngine(adapter, async (engine, schema) => {
    // createMigration needs the shadow database that devDiagnostic sets up.
    await engine.devDiagnostic({ migrationsList: list, filters: FILTERS });
    const out = await engine.createMigration({
      draft: false,
      migrationName: name,
      migrationsList: list,
      schema: { files: [{ path: SCHEMA_PATH, content: schema }] },
      filters: FILTERS,
    });
    return out.migrationScript ? { script: out.migrationScript, directory: out.generatedMigrationName } : null;
  });
}

/** Writes a new migration folder and the lockfile, as `prisma migrate dev` does. */
export async function writeMigration(directory: string, script: string): Promise<string> {
  const dir = join(MIGRATIONS_DIR, directory);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'migration.sql'), script);
  await writeFile(
    join(MIGRATIONS_DIR, LOCKFILE),
    '# Please do not edit this file manually\n# It should be added in your version-control system (e.g., Git)\nprovider = "postgresql"\n',
  );
  return dir;
}
