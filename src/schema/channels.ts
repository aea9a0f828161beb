import { LIMITS, slug, text } from '../validation.ts';
import { builder } from './builder.ts';

export const Channel = builder.prismaObject('Channel', {
  description: 'A named group of recipients. Requests name channels by slug.',
  fields: (t) => ({
    id: t.exposeID('id'),
    slug: t.exposeString('slug', { description: 'Stable identifier used in request payloads, e.g. "marketing", "test-devices".' }),
    name: t.exposeString('name'),
    recipientCount: t.int({
      description: 'Recipients subscribed to the channel now.',
      // One query for every channel of the response (a DataLoader), not one per channel.
      resolve: (channel, _args, ctx) => ctx.data.channels.recipientCount(channel.id),
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

/** What a deletion returns: the id of what it deleted. */
export const DeletePayload = builder.objectRef<{ id: string }>('DeletePayload').implement({
  fields: (t) => ({
    id: t.exposeID('id', { description: 'The id of what was deleted.' }),
  }),
});

const CreateChannelInput = builder.inputType('CreateChannelInput', {
  fields: (t) => ({
    slug: t.string({ required: true, description: 'Lowercase letters, digits and "-", 1 to 64 characters; unique in the account.' }),
    name: t.string({ required: true, description: '1 to 100 characters.' }),
  }),
});

const UpdateChannelInput = builder.inputType('UpdateChannelInput', {
  fields: (t) => ({
    id: t.id({ required: true }),
    name: t.string({ required: true, description: '1 to 100 characters.' }),
  }),
});

builder.queryField('channels', (t) =>
  t.prismaField({
    type: ['Channel'],
    description:
      "The channels the caller may see: all of the account's for a member or an ALL key, only the assigned ones for a CHANNELS key.",
    access: 'account',
    resolve: (query, _root, _args, ctx) => ctx.data.channels.list(query),
  }),
);

builder.mutationField('createChannel', (t) =>
  t.prismaField({
    type: 'Channel',
    description: 'Creates a channel. Members only.',
    access: 'member',
    args: { input: t.arg({ type: CreateChannelInput, required: true }) },
    resolve: (query, _root, { input }, ctx) =>
      ctx.data.channels.create({ slug: slug(input.slug, 'slug'), name: text(input.name, 'name', LIMITS.channelName) }, query),
  }),
);

builder.mutationField('updateChannel', (t) =>
  t.prismaField({
    type: 'Channel',
    description: 'Renames a channel (its slug never changes). Members only.',
    access: 'member',
    args: { input: t.arg({ type: UpdateChannelInput, required: true }) },
    resolve: (query, _root, { input }, ctx) => ctx.data.channels.rename(input.id, text(input.name, 'name', LIMITS.channelName), query),
  }),
);

builder.mutationField('deleteChannel', (t) =>
  t.field({
    type: DeletePayload,
    description:
      "Deletes a channel and its recipients' memberships. Refused (BAD_USER_INPUT, naming the keys) while a key that is not revoked is scoped to it. Past messages keep their history. Members only.",
    access: 'member',
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, ctx) => ctx.data.channels.delete(id),
  }),
);
