// src/db/sql.ts's `composed`: a statement put together once, run with each call's values.
import { describe, expect, test } from 'vitest';
import { composed } from '../../src/db/sql.ts';
import { Prisma } from '../../src/generated/prisma/client.ts';

describe('a composed statement', () => {
  const statement = composed<{ id: string; names: string[] }>((value) => {
    const inner = Prisma.sql`name = ANY(${value('names')}) AND kind = ${'fixed'}`;
    return Prisma.sql`SELECT * FROM t WHERE id = ${value('id')} AND ${inner} AND other = ${value('id')}`;
  });

  test("puts each run's values where its slots were, and the constants where they were", () => {
    const run = statement({ id: 'a', names: ['x', 'y'] });
    expect(run.text).toBe('SELECT * FROM t WHERE id = $1 AND name = ANY($2) AND kind = $3 AND other = $4');
    expect(run.values).toEqual(['a', ['x', 'y'], 'fixed', 'a']);
    expect(statement({ id: 'b', names: [] }).values).toEqual(['b', [], 'fixed', 'b']);
  });

  test('keeps one text whatever the values (one prepared statement for every run)', () => {
    expect(statement({ id: 'a', names: [] }).text).toBe(statement({ id: 'b', names: ['z', 'w'] }).text);
  });
});
