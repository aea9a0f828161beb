// The server's input limits (src/validation.ts, the key settings), checked in
// the page before any request. The server stays the authority: what it still
// refuses shows beside its field, in its words.
import { useState } from 'preact/hooks';

// Unicode category Cc, as the server refuses it.
export const CONTROL = /[\u0000-\u001F\u007F-\u009F]/u;
const SLUG = /^[a-z0-9-]{1,64}$/;

export const LIMITS = { keyName: 100, channelName: 100, slug: 64, rateLimitMax: 100_000, allowedIps: 100, externalId: 256 } as const;
/** The slug rule for the pattern attribute (compiled with the v flag, where "-" is escaped). */
export const SLUG_PATTERN = '[a-z0-9\\-]{1,64}';

/** A field's problem, in words for the person typing, or null. */
type Problem = string | null;

/** Characters as the server counts them (code points, not UTF-16 units). */
export const length = (text: string) => [...text].length;

export function checkName(value: string, max: number): Problem {
  const text = value.trim();
  if (!text) return 'Enter a name.';
  if (CONTROL.test(text)) return 'Remove the control characters (line breaks, tabs and the like).';
  const n = length(text);
  return n > max ? `At most ${max} characters (this one has ${n}).` : null;
}

/** A recipient's externalId as the account's backend gave it: 1 to 256 characters. */
export function checkExternalId(value: string): Problem {
  const text = value.trim();
  if (!text) return "Enter the recipient's externalId.";
  if (CONTROL.test(text)) return 'Remove the control characters (line breaks, tabs and the like).';
  const n = length(text);
  return n > LIMITS.externalId ? `At most ${LIMITS.externalId} characters (this one has ${n}).` : null;
}

/** A search of the Recipients view: a literal prefix, not trimmed, as the server takes it. */
export function checkSearch(value: string): Problem {
  if (CONTROL.test(value)) return 'Remove the control characters (tabs and the like).';
  const n = length(value);
  return n > LIMITS.externalId ? `At most ${LIMITS.externalId} characters (this one has ${n}).` : null;
}

export function checkSlug(value: string): Problem {
  const text = value.trim();
  if (!text) return 'Enter a slug.';
  return SLUG.test(text) ? null : 'Only lowercase letters, digits and "-", 1 to 64 of them.';
}

export function checkChannels(scoped: boolean, selected: readonly string[]): Problem {
  return scoped && selected.length === 0 ? 'Choose at least one channel, or All Recipients.' : null;
}

/** A datetime-local value: empty, or a time still in the future. */
export function checkExpiry(value: string, now = Date.now()): Problem {
  if (!value) return null;
  const at = new Date(value).getTime();
  if (Number.isNaN(at)) return 'Enter a date and a time.';
  return at <= now ? 'Choose a time in the future.' : null;
}

export function checkRateLimit(value: string): Problem {
  const text = value.trim();
  if (!text) return null;
  const n = Number(text);
  return /^\d+$/.test(text) && n >= 1 && n <= LIMITS.rateLimitMax ? null : 'A whole number from 1 to 100,000, or empty.';
}

/** The allowlist as typed: entries separated by line breaks, spaces or commas. */
export const ipEntries = (value: string) => value.split(/[\s,]+/).filter(Boolean);

export function checkAllowedIps(value: string): Problem {
  const n = ipEntries(value).length;
  return n > LIMITS.allowedIps ? `At most ${LIMITS.allowedIps} entries (this list has ${n}).` : null;
}

/**
 * A form's checks and the server's errors, by field. A check shows as soon as
 * its field is edited (as the person types, not when the field is left: an
 * error appearing on blur moves the button being clicked) or the form is
 * submitted; a server error shows until its field is edited or the form sent again.
 */
export function useFieldErrors(problems: Record<string, Problem>) {
  const [edited, setEdited] = useState<ReadonlySet<string>>(new Set());
  const [submitted, setSubmitted] = useState(false);
  const [server, setServer] = useState<Record<string, string>>({});
  const shown = (field: string) => submitted || edited.has(field);
  return {
    /** The error to show beside a field: the server's, else the page's check. */
    error: (field: string): string | undefined => server[field] ?? (shown(field) ? (problems[field] ?? undefined) : undefined),
    /** The field was edited: its check shows from now on, and the server's error on it goes. */
    edited: (field: string) => {
      setEdited((fields) => (fields.has(field) ? fields : new Set(fields).add(field)));
      if (server[field]) setServer(({ [field]: _, ...rest }) => rest);
    },
    /** At submit: every check shows; the first field that fails, or null when the form may be sent. */
    submit: (): string | null => {
      setSubmitted(true);
      setServer({});
      return Object.keys(problems).find((field) => problems[field]) ?? null;
    },
    /** The server refused: its errors by field ("" for the form as a whole). */
    refused: setServer,
    /** The form was sent and emptied: nothing shows until it is filled in again. */
    reset: () => {
      setEdited(new Set());
      setSubmitted(false);
      setServer({});
    },
  };
}
