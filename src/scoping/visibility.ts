// What a caller sees, as data filters applied in the database so lists and
// counts agree: a CHANNELS key sees its channels, and the messages canSeeMessage
// in ./rules.ts admits.
import type { ApiKeyCaller, MemberCaller } from '../auth/caller.ts';
import type { Prisma } from '../generated/prisma/client.ts';

type AccountCaller = MemberCaller | ApiKeyCaller;

export function visibleChannels(caller: AccountCaller): Prisma.ChannelWhereInput {
  const scope = caller.kind === 'key' ? caller.key.scope : null;
  return {
    accountId: caller.accountId,
    ...(scope?.kind === 'CHANNELS' ? { slug: { in: [...scope.channels] } } : {}),
  };
}

export function visibleMessages(caller: AccountCaller): Prisma.MessageWhereInput {
  const scope = caller.kind === 'key' ? caller.key.scope : null;
  if (scope?.kind !== 'CHANNELS') return { accountId: caller.accountId };
  return {
    accountId: caller.accountId,
    allRecipients: false,
    channels: { every: { channel: { slug: { in: [...scope.channels] } } } },
  };
}
