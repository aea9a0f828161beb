// npm run db:migrate -- --name <name>   create a migration from prisma/schema.prisma
// npm run db:deploy                     apply pending migrations to DATABASE_URL, without serving
// npm run db:drift                      fail when schema.prisma and the migrations disagree
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config.ts';
import { migrate, openDatabase } from '../src/db/index.ts';
import { applyMigrations, pendingSchemaChange, writeMigration } from '../src/db/migrations.ts';

const { positionals, values } = parseArgs({ allowPositionals: true, options: { name: { type: 'string' } } });
const command = positionals[0];

async function main(): Promise<number> {
  if (command === 'deploy') {
    const db = await openDatabase(loadConfig().database);
    try {
      const applied = await migrate(db);
      console.log(applied.length ? `Applied: ${applied.join(', ')}` : 'No pending migrations.');
    } finally {
      await db.close();
    }
    return 0;
  }
  if (command === 'dev' || command === 'drift') {
    // A throwaway in-memory database: apply the migrations, then diff against schema.prisma.
    // Loaded here only: deploy runs where development dependencies are not installed.
    const { throwawayDatabase } = await import('./pglite-database.ts');
    const db = await throwawayDatabase();
    try {
      await applyMigrations(db.adapter);
      const change = await pendingSchemaChange(db.adapter, values.name ?? 'migration');
      if (command === 'drift') {
        if (!change) {
          console.log('db:drift: prisma/migrations matches prisma/schema.prisma');
          return 0;
        }
        console.error(
          `db:drift: prisma/schema.prisma has changes no migration holds:\n${change.script}\nRun: npm run db:migrate -- --name <name>`,
        );
        return 1;
      }
      if (!change) {
        console.log('Already in sync: no migration created.');
        return 0;
      }
      if (!values.name) {
        console.error('Name the migration: npm run db:migrate -- --name <name>');
        return 1;
      }
      console.log(`Created ${await writeMigration(change.directory, change.script)}`);
      return 0;
    } finally {
      await db.close();
    }
  }
  console.error('usage: migrate.ts dev --name <name> | deploy | drift');
  return 2;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
