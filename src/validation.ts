// The text limits of the domain, in one place. Each check returns the value to
// store (trimmed) or throws BAD_USER_INPUT naming the field.
import { BadUserInputError } from './errors.ts';

// Unicode category Cc: C0 controls, DEL and C1 controls.
const CONTROL = /[\u0000-\u001F\u007F-\u009F]/u;
const CONTROL_EXCEPT_LINE_BREAKS_AND_TABS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/u;
const SLUG = /^[a-z0-9-]{1,64}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const LIMITS = {
  apiKeyName: 100,
  channelName: 100,
  slug: 64,
  externalId: 256,
  title: 200,
  body: 10_000,
  dataBytes: 16 * 1024,
  dataDepth: 16,
} as const;

/** A slug list in an error message: the first few, then how many more. */
export function listForMessage(items: readonly string[], shown = 10): string {
  const head = items.slice(0, shown).map((s) => JSON.stringify(s).slice(1, -1).slice(0, 80));
  return items.length > shown ? `${head.join(', ')} and ${items.length - shown} more` : head.join(', ');
}

export function isSlug(value: string): boolean {
  return SLUG.test(value);
}

function length(value: string): number {
  let n = 0;
  for (const _ of value) n += 1;
  return n;
}

export function text(value: string, field: string, max: number, options: { min?: number; multiline?: boolean } = {}): string {
  const trimmed = value.trim();
  const min = options.min ?? 1;
  if (!trimmed.isWellFormed()) throw new BadUserInputError(`${field} must be valid Unicode (it has a lone surrogate).`, field);
  if ((options.multiline ? CONTROL_EXCEPT_LINE_BREAKS_AND_TABS : CONTROL).test(trimmed)) {
    throw new BadUserInputError(
      `${field} must not contain control characters${options.multiline ? ' other than line breaks and tabs' : ''}.`,
      field,
    );
  }
  const n = length(trimmed);
  if (n < min || n > max) {
    const range = min === 0 ? `at most ${max}` : `${min} to ${max}`;
    throw new BadUserInputError(`${field} must be ${range} characters after trimming whitespace (it has ${n}).`, field);
  }
  return trimmed;
}

export function slug(value: string, field: string): string {
  const trimmed = value.trim();
  if (!SLUG.test(trimmed)) {
    throw new BadUserInputError(
      `${field} must be 1 to 64 lowercase letters, digits or "-" (got ${JSON.stringify(trimmed.slice(0, 80))}).`,
      field,
    );
  }
  return trimmed;
}

/** A list of slugs: each well-formed, duplicates dropped. */
export function slugs(values: readonly string[], field: string): string[] {
  return [...new Set(values.map((v) => slug(v, field)))];
}

/**
 * Depth first, without recursion (a hostile object can be nested far deeper
 * than the stack), then size; strings and keys must be storable as jsonb.
 */
export function jsonObject(value: Record<string, unknown> | null | undefined, field: string): Record<string, unknown> | null {
  if (value == null) return null;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop() as [unknown, number];
    if (depth > LIMITS.dataDepth) throw new BadUserInputError(`${field} must be at most ${LIMITS.dataDepth} levels deep.`, field);
    for (const [key, child] of Object.entries(node as object)) {
      for (const text of typeof child === 'string' ? [key, child] : [key]) {
        if (text.includes('\u0000') || !text.isWellFormed()) {
          throw new BadUserInputError(`${field} must not contain NUL characters or lone surrogates.`, field);
        }
      }
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
    }
  }
  const bytes = Buffer.byteLength(JSON.stringify(value));
  if (bytes > LIMITS.dataBytes) {
    throw new BadUserInputError(`${field} must be at most ${LIMITS.dataBytes} bytes as JSON (it has ${bytes}).`, field);
  }
  return value;
}

export function isUuid(value: string): boolean {
  return UUID.test(value);
}

/** Ids are UUIDs: anything else matches no row (and never reaches the database as a uuid). */
export function idFilter(value: string): { id: string } | { id: { in: string[] } } {
  return isUuid(value) ? { id: value } : { id: { in: [] } };
}
