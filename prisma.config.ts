import { defineConfig } from 'prisma/config';

// `prisma generate` only checks that a schema engine file exists; it never runs
// it. Pointing at a stub keeps generate offline. Migrations use the WASM engine
// (src/db/migrations.ts), never this path.
process.env.PRISMA_SCHEMA_ENGINE_BINARY ??= new URL('./scripts/no-schema-engine.sh', import.meta.url).pathname;

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
});
