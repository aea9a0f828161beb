// What a caller sees, as data filters applied in the database so lists and
// counts agree: a CHANNELS key sees its channels, and the messages canSeeMessage
// in ./rules.ts admits.
import type { AccountCaller } from '../auth/caller.ts';
import { Prisma } from '../generated/prisma/client.ts';

export function visibleChannels(caller: AccountCaller): Prisma.ChannelWhereInput {
  const scope = caller.kind === 'key' ? caller.key.scope : null;
  return {
    accountId: caller.accountId,
    ...(scope?.kind === 'CHANNELS' ? { slug: { in: [...scope.channels] } } : {}),
  };
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
