// The scope rules of an API key, as pure functions: scope and request in,
// decision out. The access middleware (./middleware.ts) is their only caller
// that turns a refusal into an error.

export type KeyScope = { kind: 'ALL' } | { kind: 'CHANNELS'; channels: readonly string[] };

/** Who a send reaches: every recipient of the account, or the recipients of these channels. */
export type Target = { kind: 'ALL' } | { kind: 'CHANNELS'; channels: readonly string[] };

export type Refusal =
  | { reason: 'OUTSIDE_SCOPE'; slugs: string[] }
  | { reason: 'EMPTY_TARGET' }
  | { reason: 'NO_CHANNEL' }
  /** The recipient is in none of the key's channels. */
  | { reason: 'RECIPIENT_OUTSIDE_SCOPE' }
  /** Only members and ALL keys may do this (erasing a recipient). */
  | { reason: 'ALL_KEYS_ONLY' };

export type Decision<T> = ({ ok: true } & T) | ({ ok: false } & Refusal);

/** Slugs as requested: trimmed, duplicates dropped, first-seen order kept. */
export function normalizeSlugs(slugs: readonly string[]): string[] {
  return [...new Set(slugs.map((s) => s.trim()))];
}

function outside(scope: KeyScope, slugs: readonly string[]): string[] {
  if (scope.kind === 'ALL') return [];
  const allowed = new Set(scope.channels);
  return slugs.filter((s) => !allowed.has(s));
}

/**
 * The four rules of `send`:
 * ALL + absent → every recipient; ALL + given → the given slugs;
 * CHANNELS + absent → the key's channels; CHANNELS + given → the given slugs,
 * which must all be the key's (a slug that does not exist is outside it too).
 * An empty list targets no one.
 */
export function resolveTarget(scope: KeyScope, requested: readonly string[] | null | undefined): Decision<{ target: Target }> {
  if (requested == null) {
    return { ok: true, target: scope.kind === 'ALL' ? { kind: 'ALL' } : { kind: 'CHANNELS', channels: [...scope.channels] } };
  }
  const slugs = normalizeSlugs(requested);
  if (slugs.length === 0) return { ok: false, reason: 'EMPTY_TARGET' };
  const refused = outside(scope, slugs);
  if (refused.length > 0) return { ok: false, reason: 'OUTSIDE_SCOPE', slugs: refused };
  return { ok: true, target: { kind: 'CHANNELS', channels: slugs } };
}

/** A key may enrol a new recipient only in its own channels; a CHANNELS key in at least one. */
export function checkEnrolment(scope: KeyScope, channels: readonly string[]): Decision<object> {
  const slugs = normalizeSlugs(channels);
  if (scope.kind === 'CHANNELS' && slugs.length === 0) return { ok: false, reason: 'NO_CHANNEL' };
  const refused = outside(scope, slugs);
  return refused.length > 0 ? { ok: false, reason: 'OUTSIDE_SCOPE', slugs: refused } : { ok: true };
}

/** Which recipients a key reaches (reads, tokens, edits): a CHANNELS key, those in at least one of its channels. */
export function canReachRecipient(scope: KeyScope, recipientChannels: readonly string[]): boolean {
  if (scope.kind === 'ALL') return true;
  const allowed = new Set(scope.channels);
  return recipientChannels.some((slug) => allowed.has(slug));
}

/**
 * What a key may do to a recipient it names: reach it (see canReachRecipient);
 * with `allKeysOnly`, nothing unless it is an ALL key; with `channels`, replace
 * its channels. A CHANNELS key replaces only those within its scope: it may name
 * only its own channels, and the recipient's others stay as they are (it cannot
 * see them). The decision carries the recipient's channels after the change.
 */
export function checkRecipientAccess(
  scope: KeyScope,
  recipientChannels: readonly string[],
  { channels, allKeysOnly = false }: { channels?: readonly string[]; allKeysOnly?: boolean } = {},
): Decision<{ channels?: string[] }> {
  if (allKeysOnly && scope.kind !== 'ALL') return { ok: false, reason: 'ALL_KEYS_ONLY' };
  if (!canReachRecipient(scope, recipientChannels)) return { ok: false, reason: 'RECIPIENT_OUTSIDE_SCOPE' };
  if (channels === undefined) return { ok: true };
  const given = normalizeSlugs(channels);
  const refused = outside(scope, given);
  if (refused.length > 0) return { ok: false, reason: 'OUTSIDE_SCOPE', slugs: refused };
  if (scope.kind === 'ALL') return { ok: true, channels: given };
  const kept = recipientChannels.filter((slug) => !scope.channels.includes(slug));
  return { ok: true, channels: [...new Set([...kept, ...given])] };
}

/** What a key may narrow a read to (recipients of a channel): only its own channels. */
export function checkChannelFilter(scope: KeyScope, slugs: readonly string[]): Decision<object> {
  const refused = outside(scope, normalizeSlugs(slugs));
  return refused.length > 0 ? { ok: false, reason: 'OUTSIDE_SCOPE', slugs: refused } : { ok: true };
}

/** One row of a bulk import, as the access rules see it: the channels it names, and the recipient it names when that exists. */
export interface ImportRow {
  channels: readonly string[];
  /** The channels of the existing recipient with the row's externalId; null when there is none (the row creates it). */
  existing: readonly string[] | null;
}

/**
 * A bulk import (upsertRecipients) with a key: every row either names a
 * recipient the key may change (checkRecipientAccess with the row's channels)
 * or enrols a new one (checkEnrolment). The first refused row is named by its
 * index. An accepted import replaces, of each existing recipient's channels,
 * those `within` (null: all of them; a CHANNELS key: its own).
 */
export function checkImport(
  scope: KeyScope,
  rows: readonly ImportRow[],
): { ok: true; within: string[] | null } | ({ ok: false; index: number } & Refusal) {
  for (const [index, row] of rows.entries()) {
    const decision = row.existing === null ? checkEnrolment(scope, row.channels) : checkRecipientAccess(scope, row.existing, row);
    if (!decision.ok) {
      const { ok: _ok, ...refusal } = decision;
      return { ok: false, index, ...refusal };
    }
  }
  return { ok: true, within: scope.kind === 'ALL' ? null : [...scope.channels] };
}

/** Which messages a key sees: a CHANNELS key, those that went only to its channels. */
export function canSeeMessage(scope: KeyScope, message: { allRecipients: boolean; channels: readonly string[] }): boolean {
  if (scope.kind === 'ALL') return true;
  return !message.allRecipients && message.channels.length > 0 && outside(scope, message.channels).length === 0;
}
