// The Recipients view's Import CSV, in the page's own code: a file read into
// rows with their line numbers, what the server would refuse found by line,
// batches within the server's limits, and the server's refusal of a batch
// named by line rather than by its index in the batch.
import { describe, expect, test } from 'vitest';
import { BATCH_BYTES, BATCH_ROWS, batches, type CsvRow, linesOf, parseCsv, refusalByLine } from '../../web/src/csv-import.ts';

const rowsOf = (text: string) => parseCsv(text).rows.map(({ line, externalId, channels }) => [line, externalId, channels.join('|')]);

describe('parseCsv', () => {
  test('a header line is skipped; each row keeps the line it is on; channels split on ";", trimmed, duplicates dropped', () => {
    const parsed = parseCsv('externalId,channels\nuser-1,marketing;billing\n\nuser-2, ops ; ops ;\nuser-3,\nuser-4\n');
    expect(parsed.header).toBe(true);
    expect(parsed.problems).toEqual([]);
    expect(rowsOf('externalId,channels\nuser-1,marketing;billing\n\nuser-2, ops ; ops ;\nuser-3,\nuser-4\n')).toEqual([
      [2, 'user-1', 'marketing|billing'],
      [4, 'user-2', 'ops'],
      [5, 'user-3', ''],
      [6, 'user-4', ''],
    ]);
  });

  test('without a header the first line is a row; a BOM, CRLF and a header in any case are understood', () => {
    expect(parseCsv('user-1,ops').header).toBe(false);
    expect(rowsOf('user-1,ops')).toEqual([[1, 'user-1', 'ops']]);
    const excel = parseCsv('\uFEFFExternalID,Channels\r\nuser-1,ops\r\nuser-2,ops\r\n');
    expect(excel.header).toBe(true);
    expect(excel.rows.map((r) => [r.line, r.externalId])).toEqual([
      [2, 'user-1'],
      [3, 'user-2'],
    ]);
  });

  test('quoted fields: a comma and a doubled quote inside; a line break inside a quote counts for the lines after it', () => {
    const parsed = parseCsv('"acme, inc/42","ops;billing"\n"say ""hi""",ops\n"two\nlines",ops\nafter,ops\n');
    expect(parsed.rows.map((r) => [r.line, r.externalId, r.channels])).toEqual([
      [1, 'acme, inc/42', ['ops', 'billing']],
      [2, 'say "hi"', ['ops']],
      [5, 'after', ['ops']],
    ]);
    // The externalId with a line break is refused (a control character), on the line it starts on.
    expect(parsed.problems).toEqual([{ line: 3, message: 'The externalId holds control characters (a tab, a line break or the like).' }]);
  });

  test('what the server refuses is found by line: empty, too long, a bad slug, a third field, an unclosed quote, a repeat', () => {
    const long = 'x'.repeat(257);
    const text = [
      'externalId,channels',
      'ok-1,ops',
      ',ops',
      `${long},ops`,
      `${'é'.repeat(256)},ops`,
      'ok-2,Marketing',
      'ok-3,ops,billing',
      'ok-1,billing',
      '"unclosed,ops',
    ].join('\n');
    const parsed = parseCsv(text);
    expect(parsed.rows.map((r) => r.line)).toEqual([2, 5]);
    expect(parsed.problems).toEqual([
      { line: 3, message: 'The externalId is empty.' },
      { line: 4, message: 'The externalId has 257 characters; at most 256.' },
      { line: 6, message: '"Marketing" is not a channel slug (lowercase letters, digits and "-", 1 to 64 of them).' },
      {
        line: 7,
        message:
          '3 fields where 2 are expected (externalId,channels). Separate channels with ";", and quote an externalId that holds a comma.',
      },
      { line: 8, message: '"ok-1" is also on line 2: a recipient may appear once in a file.' },
      { line: 9, message: 'A quoted field is not closed: a " is missing.' },
    ]);
  });

  test('an empty file, or one of blank lines, holds no rows and no problems', () => {
    expect(parseCsv('')).toEqual({ rows: [], problems: [], header: false });
    expect(parseCsv('\n\n  \n')).toEqual({ rows: [], problems: [], header: false });
  });
});

describe('batches', () => {
  const rows = (n: number, id = (i: number) => `user-${i}`): CsvRow[] =>
    Array.from({ length: n }, (_, i) => ({ line: i + 2, externalId: id(i), channels: ['ops'] }));

  test('at most 10,000 rows a batch, in order, numbered from 1', () => {
    const plan = batches(rows(25_001));
    expect(plan.map((b) => [b.number, b.rows.length])).toEqual([
      [1, BATCH_ROWS],
      [2, BATCH_ROWS],
      [3, 5_001],
    ]);
    expect(linesOf(plan[0])).toBe('lines 2–10,001');
    expect(linesOf(plan[2])).toBe('lines 20,002–25,002');
    expect(linesOf(batches(rows(1))[0])).toBe('line 2');
  });

  test('and within the request body limit: 10,000 externalIds of 256 characters go in more batches', () => {
    const plan = batches(rows(10_000, (i) => `${i}-`.padEnd(256, 'x')));
    expect(plan.length).toBeGreaterThan(2);
    for (const batch of plan) {
      const body = JSON.stringify({ input: { recipients: batch.rows.map(({ externalId, channels }) => ({ externalId, channels })) } });
      expect(Buffer.byteLength(body)).toBeLessThanOrEqual(BATCH_BYTES + 100);
    }
    expect(plan.flatMap((b) => b.rows).length).toBe(10_000);
  });
});

describe('refusalByLine', () => {
  const batch = { number: 2, rows: rows3() };
  function rows3(): CsvRow[] {
    return [
      { line: 10_002, externalId: 'a', channels: [] },
      { line: 10_003, externalId: 'b', channels: ['vip'] },
      { line: 10_005, externalId: 'a ', channels: [] },
    ];
  }

  test("the server's index in the batch becomes the file's line", () => {
    expect(refusalByLine('recipients[1].channels: unknown channel slug "vip"', batch)).toEqual({
      line: 10_003,
      message: 'Line 10,003 (channels): unknown channel slug "vip"',
    });
    expect(refusalByLine('recipients[2].externalId: "a" is also at recipients[0]; an externalId may appear once.', batch).message).toBe(
      'Line 10,005 (externalId): "a" is also at line 10,002; an externalId may appear once.',
    );
    expect(refusalByLine('recipients[0].externalId must be 1 to 256 characters after trimming whitespace (it has 300).', batch)).toEqual({
      line: 10_002,
      message: 'Line 10,002: externalId must be 1 to 256 characters after trimming whitespace (it has 300).',
    });
  });

  test('a refusal that names no row, or an index out of the batch, is left in its words', () => {
    expect(refusalByLine('Herald is busy: try again in a moment.', batch)).toEqual({
      line: null,
      message: 'Herald is busy: try again in a moment.',
    });
    expect(refusalByLine('recipients[7].channels: nope', batch)).toEqual({ line: null, message: 'recipients[7].channels: nope' });
  });
});
