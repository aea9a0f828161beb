// npm run schema            writes schema.graphql (sorted) from the code
// npm run schema -- --check fails when schema.graphql is stale
import { readFile, writeFile } from 'node:fs/promises';
import { lexicographicSortSchema, printSchema } from 'graphql';
import { schema } from '../src/schema/index.ts';

const path = new URL('../schema.graphql', import.meta.url);
const printed = `${printSchema(lexicographicSortSchema(schema))}\n`;

if (process.argv.includes('--check')) {
  const current = await readFile(path, 'utf8').catch(() => '');
  if (current !== printed) {
    console.error('schema.graphql is stale: run npm run schema and commit it.');
    process.exit(1);
  }
  console.log('schema.graphql is up to date');
} else {
  await writeFile(path, printed);
  console.log('wrote schema.graphql');
}
