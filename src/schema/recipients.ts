import { actorOf } from '../context.ts';
import { audited, createdFields } from '../data/audit.ts';
import { accountCaller } from '../scoping/middleware.ts';
import { LIMITS, slugs, text } from '../validation.ts';
import { builder } from './builder.ts';
import { resolveChannels } from './channel-refs.ts';
import { Channel } from './channels.ts';
import { rethrowUniqueViolation } from './prisma-errors.ts';

builder.prismaObject('Recipient', {
  description: 'Someone messages go to, subscribed to zero or more channels.',
  fields: (t) => ({
    id: t.exposeID('id'),
    externalId: t.exposeString('externalId', { description: "The account's own identifier for this recipient." }),
    channels: t.field({
      type: [Channel],
      select: { channels: { select: { channel: true }, orderBy: { channel: { slug: 'asc' } } } },
      resolve: (recipient) => recipient.channels.map((c) => c.channel),
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

const CreateRecipientInput = builder.inputType('CreateRecipientInput', {
  fields: (t) => ({
    externalId: t.string({ required: true, description: "The account's own identifier: 1 to 256 characters, unique in the account." }),
    channels: t.stringList({ required: true, description: 'Channel slugs the recipient subscribes to (may be empty).' }),
  }),
});

builder.mutationField('createRecipient', (t) =>
  t.prismaField({
    type: 'Recipient',
    description: 'Creates a recipient. A CHANNELS key must subscribe it to at least one channel, all within its scope.',
    access: { subscribe: (args) => args.input.channels },
    args: { input: t.arg({ type: CreateRecipientInput, required: true }) },
    resolve: async (query, _root, { input }, ctx) => {
      const { accountId } = accountCaller(ctx);
      const externalId = text(input.externalId, 'externalId', LIMITS.externalId);
      const channels = await resolveChannels(ctx, slugs(input.channels, 'channels'), 'channels');
      return audited(ctx.db, actorOf(ctx), async (tx) => {
        const recipient = await tx.recipient
          .create({
            ...query,
            data: { accountId, externalId, channels: { create: channels.map(({ id }) => ({ channelId: id })) } },
          })
          .catch(rethrowUniqueViolation(`A recipient with externalId ${JSON.stringify(externalId)} already exists.`, 'externalId'));
        const changes = createdFields({ externalId, channels: channels.map((c) => c.slug).sort() });
        return { result: recipient, event: { action: 'RECIPIENT_CREATED', changes } };
      });
    },
  }),
);
