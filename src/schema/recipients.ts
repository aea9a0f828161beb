import { LIMITS, slugs, text } from '../validation.ts';
import { builder } from './builder.ts';
import { Channel } from './channels.ts';

export const Recipient = builder.prismaObject('Recipient', {
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
    access: { enrol: (args) => args.input.channels },
    args: { input: t.arg({ type: CreateRecipientInput, required: true }) },
    resolve: (query, _root, { input }, ctx) =>
      ctx.data.recipients.create(
        { externalId: text(input.externalId, 'externalId', LIMITS.externalId), channels: slugs(input.channels, 'channels') },
        query,
      ),
  }),
);
