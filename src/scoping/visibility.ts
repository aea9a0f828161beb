// What a caller sees, as data filters applied in the database so lists and
// counts agree: a CHANNELS key sees its channels, the recipients in at least
// one of them (and, of their channels, its own), and the messages canSeeMessage
// in ./rules.ts admits.
import type { AccountCaller, Caller } from '../auth/caller.ts';
import { Prisma } from '../generated/prisma/client.ts';

/** The channel ids of a CHANNELS key; null for a member or an ALL key (they see every channel). */
function scopedChannelIds(caller: Caller): string[] | null {
  return caller.kind === 'key' && caller.key.scope.kind === 'CHANNELS' ? caller.key.channels.map((c) => c.id) : null;
}

export function visibleChannels(caller: AccountCaller): Prisma.ChannelWhereInput {
  const scope = caller.kind === 'key' ? caller.key.scope : null;
  return {
    accountId: caller.accountId,
    ...(scope?.kind === 'CHANNELS' ? { slug: { in: [...scope.channels] } } : {}),
  };
}

/** A CHANNELS key sees the recipients in at least one of its channels (canReachRecipient). */
export function visibleRecipients(caller: AccountCaller): Prisma.RecipientWhereInput {
  const ids = scopedChannelIds(caller);
  return { accountId: caller.accountId, ...(ids ? { channels: { some: { channelId: { in: ids } } } } : {}) };
}

/** Of a recipient's channels, a CHANNELS key sees its own. */
export function visibleMemberships(caller: Caller): Prisma.RecipientChannelWhereInput {
  const ids = scopedChannelIds(caller);
  return ids ? { channelId: { in: ids } } : {};
}

/**
 * A CHANNELS key sees the messages that went to channels (not to all
 * recipients), all of them within its scope, by the slugs the message keeps
 * (its history): deleting a channel, which takes the message's MessageChannel
 * rows with it, must not widen what a key sees. Prisma cannot say "array
 * contained in", so that filter is SQL over "Message" m, naming the account.
 */
export type MessageVisibility = { kind: 'where'; where: Prisma.MessageWhereInput } | { kind: 'sql'; condition: Prisma.Sql };

export function visibleMessages(caller: AccountCaller): MessageVisibility {
  const scope = caller.kind === 'key' ? caller.key.scope : null;
  if (scope?.kind !== 'CHANNELS') return { kind: 'where', where: { accountId: caller.accountId } };
  return {
    kind: 'sql',
    condition: Prisma.sql`m."accountId" = ${caller.accountId}::uuid AND NOT m."allRecipients"
      AND cardinality(m."channelSlugs") > 0 AND m."channelSlugs" <@ ${[...scope.channels]}::text[]`,
  };
}
