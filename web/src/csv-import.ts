// Import CSV: a file of `externalId,channels` lines, read and checked in the
// page, then sent through upsertRecipients in batches. Pure functions: the
// dialog (recipients-import.tsx) drives them, the unit tests read them.
import { CONTROL, checkSlug, LIMITS, length } from './checks.ts';
import { count } from './format.ts';

/** Channels inside the channels field: `marketing;billing` (a slug never holds a ";"). */
export const CHANNEL_SEPARATOR = ';';
/** The server's largest import, and so the largest batch. */
export const BATCH_ROWS = 10_000;
/**
 * Herald refuses a request body over 1 MiB (413). A batch's rows stay under
 * this many bytes of JSON, the rest of the request (the mutation) well within
 * the difference: 10,000 long externalIds would not fit in one request.
 */
export const BATCH_BYTES = 1_000_000;

export interface CsvRow {
  /** The line of the file the row starts on, counting from 1 (the header, when there is one, is line 1). */
  line: number;
  externalId: string;
  channels: string[];
}

export interface CsvProblem {
  line: number;
  message: string;
}

export interface ParsedCsv {
  rows: CsvRow[];
  problems: CsvProblem[];
  /** Whether the first line was the header `externalId,channels` (skipped). */
  header: boolean;
}

interface Fields {
  line: number;
  fields: string[];
  /** A quoted field ran to the end of the file. */
  unclosed: boolean;
}

/** RFC 4180 records: fields split by ",", quoted with "" (a quote inside doubled), lines ended by CRLF, LF or CR. */
function* records(text: string): Generator<Fields> {
  let line = 1;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const start = line;
    const fields: string[] = [];
    let field = '';
    let quoted = false;
    let unclosed = false;
    for (;;) {
      if (i >= n) {
        unclosed = quoted;
        fields.push(field);
        break;
      }
      const c = text[i];
      if (quoted) {
        if (c === '"' && text[i + 1] === '"') {
          field += '"';
          i += 2;
        } else if (c === '"') {
          quoted = false;
          i += 1;
        } else {
          if (c === '\n' || (c === '\r' && text[i + 1] !== '\n')) line += 1;
          field += c;
          i += 1;
        }
      } else if (c === '"' && field.trim() === '') {
        // A quote opens a field only at its start (spaces before it are dropped, as most spreadsheets write none).
        field = '';
        quoted = true;
        i += 1;
      } else if (c === ',') {
        fields.push(field);
        field = '';
        i += 1;
      } else if (c === '\r' || c === '\n') {
        i += c === '\r' && text[i + 1] === '\n' ? 2 : 1;
        line += 1;
        fields.push(field);
        break;
      } else {
        field += c;
        i += 1;
      }
    }
    yield { line: start, fields, unclosed };
  }
}

const isHeader = (fields: string[]) =>
  fields[0]?.trim().toLowerCase() === 'externalid' && (fields.length === 1 || fields[1]?.trim().toLowerCase() === 'channels');

/** The file's rows, and what the server would refuse in them (its limits on externalIds and slugs, an externalId given twice). */
export function parseCsv(text: string): ParsedCsv {
  const rows: CsvRow[] = [];
  const problems: CsvProblem[] = [];
  const seen = new Map<string, number>();
  let header = false;
  let first = true;
  for (const { line, fields, unclosed } of records(text.replace(/^\uFEFF/, ''))) {
    if (fields.every((f) => f.trim() === '')) continue;
    if (first) {
      first = false;
      if (isHeader(fields)) {
        header = true;
        continue;
      }
    }
    const problem = (message: string) => problems.push({ line, message });
    if (unclosed) {
      problem('A quoted field is not closed: a " is missing.');
      continue;
    }
    if (fields.length > 2) {
      problem(
        `${fields.length} fields where 2 are expected (externalId,channels). Separate channels with "${CHANNEL_SEPARATOR}", and quote an externalId that holds a comma.`,
      );
      continue;
    }
    const externalId = fields[0].trim();
    const characters = length(externalId);
    if (!externalId) {
      problem('The externalId is empty.');
      continue;
    }
    if (CONTROL.test(externalId)) {
      problem('The externalId holds control characters (a tab, a line break or the like).');
      continue;
    }
    if (characters > LIMITS.externalId) {
      problem(`The externalId has ${count(characters)} characters; at most ${LIMITS.externalId}.`);
      continue;
    }
    const channels = [
      ...new Set(
        (fields[1] ?? '')
          .split(CHANNEL_SEPARATOR)
          .map((s) => s.trim())
          .filter(Boolean),
      ),
    ];
    const badSlug = channels.find((slug) => checkSlug(slug));
    if (badSlug !== undefined) {
      problem(`"${badSlug}" is not a channel slug (lowercase letters, digits and "-", 1 to 64 of them).`);
      continue;
    }
    const earlier = seen.get(externalId);
    if (earlier !== undefined) {
      problem(`"${externalId}" is also on line ${count(earlier)}: a recipient may appear once in a file.`);
      continue;
    }
    seen.set(externalId, line);
    rows.push({ line, externalId, channels });
  }
  return { rows, problems, header };
}

export interface Batch {
  /** 1, 2, …: how the page names it. */
  number: number;
  rows: CsvRow[];
}

const encoder = new TextEncoder();

/** The rows in order, at most BATCH_ROWS and BATCH_BYTES (as JSON) a batch. */
export function batches(rows: readonly CsvRow[], maxRows = BATCH_ROWS, maxBytes = BATCH_BYTES): Batch[] {
  const out: Batch[] = [];
  let current: CsvRow[] = [];
  let bytes = 0;
  for (const row of rows) {
    const size = encoder.encode(JSON.stringify({ externalId: row.externalId, channels: row.channels })).length + 1;
    if (current.length > 0 && (current.length >= maxRows || bytes + size > maxBytes)) {
      out.push({ number: out.length + 1, rows: current });
      current = [];
      bytes = 0;
    }
    current.push(row);
    bytes += size;
  }
  if (current.length > 0) out.push({ number: out.length + 1, rows: current });
  return out;
}

/**
 * The server's refusal of a batch, its rows named by line: the server names a
 * row by its index in the batch (`recipients[42].channels: unknown channel slug
 * "vip"`), the page by the line of the file (`Line 44 (channels): unknown
 * channel slug "vip"`). An index the batch does not have is left as it is.
 */
export function refusalByLine(message: string, batch: Batch): { line: number | null; message: string } {
  const lineOf = (index: string) => batch.rows[Number(index)]?.line;
  const lead = /^recipients\[(\d+)\]\.(\w+)(:?) /.exec(message);
  const leadLine = lead ? lineOf(lead[1]) : undefined;
  let text = message;
  if (lead && leadLine !== undefined) {
    const [all, , field, colon] = lead;
    text = `Line ${count(leadLine)}${colon ? ` (${field}):` : `: ${field}`} ${message.slice(all.length)}`;
  }
  text = text.replace(/recipients\[(\d+)\](?:\.\w+)?/g, (all, index: string) => {
    const line = lineOf(index);
    return line === undefined ? all : `line ${count(line)}`;
  });
  return { line: leadLine ?? null, message: text };
}

/** "lines 2–10,001" (or "line 2"): where a batch is in the file. */
export function linesOf(batch: Batch): string {
  const from = count(batch.rows[0].line);
  const to = count(batch.rows[batch.rows.length - 1].line);
  return from === to ? `line ${from}` : `lines ${from}–${to}`;
}
