import { readFile } from 'node:fs/promises';
import { lexicographicSortSchema, printSchema } from 'graphql';
import { expect, test } from 'vitest';
import { schema } from '../src/schema/index.ts';

test('schema.graphql is the schema the code builds (run npm run schema after a change)', async () => {
  const committed = await readFile(new URL('../schema.graphql', import.meta.url), 'utf8');
  expect(`${printSchema(lexicographicSortSchema(schema))}\n`).toBe(committed);
});
