// The scope rules of an API key, as pure functions: scope and request in,
// decision out. The access middleware (./middleware.ts) is their only caller
// that turns a refusal into an error.

export type KeyScope = { kind: 'ALL' } | { kind: 'CHANNELS'; channels: readonly string[] };

/** Who a send reaches: every recipient of the account, or the recipients of these channels. */
export type Target = { kind: 'ALL' } | { kind: 'CHANNELS'; channels: readonly string[] };

export type Refusal = { reason: 'OUTSIDE_SCOPE'; slugs: string[] } | { reason: 'EMPTY_TARGET' } | { reason: 'NO_CHANNEL' };

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

/** A key may subscribe a new recipient only to its own channels; a CHANNELS key to at least one. */
export function checkSubscription(scope: KeyScope, channels: readonly string[]): Decision<object> {
  const slugs = normalizeSlugs(channels);
  if (scope.kind === 'CHANNELS' && slugs.length === 0) return { ok: false, reason: 'NO_CHANNEL' };
  const refused = outside(scope, slugs);
  return refused.length > 0 ? { ok: false, reason: 'OUTSIDE_SCOPE', slugs: refused } : { ok: true };
}

/** Which messages a key sees: a CHANNELS key, those that went only to its channels. */
export function canSeeMessage(scope: KeyScope, message: { allRecipients: boolean; channels: readonly string[] }): boolean {
  if (scope.kind === 'ALL') return true;
  return !message.allRecipients && message.channels.length > 0 && outside(scope, message.channels).length === 0;
}
