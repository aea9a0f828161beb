import { actorOf } from '../context.ts';
import { audited, createdFields } from '../data/audit.ts';
import { accountCaller, memberCaller } from '../scoping/middleware.ts';
import { visibleChannels } from '../scoping/visibility.ts';
import { LIMITS, slug, text } from '../validation.ts';
import { builder } from './builder.ts';
import { rethrowUniqueViolation } from './prisma-errors.ts';

export const Channel = builder.prismaObject('Channel', {
  description: 'A named group of recipients. Requests name channels by slug.',
  fields: (t) => ({
    id: t.exposeID('id'),
    slug: t.exposeString('slug', { description: 'Stable identifier used in request payloads, e.g. "marketing", "test-devices".' }),
    name: t.exposeString('name'),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

const CreateChannelInput = builder.inputType('CreateChannelInput', {
  fields: (t) => ({
    slug: t.string({ required: true, description: 'Lowercase letters, digits and "-", 1 to 64 characters; unique in the account.' }),
    name: t.string({ required: true, description: '1 to 100 characters.' }),
  }),
});

builder.queryField('channels', (t) =>
  t.prismaField({
    type: ['Channel'],
    description:
      "The channels the caller may see: all of the account's for a member or an ALL key, only the assigned ones for a CHANNELS key.",
    access: 'caller',
    resolve: (query, _root, _args, ctx) =>
      ctx.db.channel.findMany({ ...query, where: visibleChannels(accountCaller(ctx)), orderBy: { slug: 'asc' } }),
  }),
);

builder.mutationField('createChannel', (t) =>
  t.prismaField({
    type: 'Channel',
    description: 'Creates a channel. Members only.',
    access: 'member',
    args: { input: t.arg({ type: CreateChannelInput, required: true }) },
    resolve: async (query, _root, { input }, ctx) => {
      const { accountId } = memberCaller(ctx);
      const data = { slug: slug(input.slug, 'slug'), name: text(input.name, 'name', LIMITS.channelName) };
      return audited(ctx.db, actorOf(ctx), async (tx) => {
        const channel = await tx.channel
          .create({ ...query, data: { ...data, accountId } })
          .catch(rethrowUniqueViolation(`A channel with slug "${data.slug}" already exists.`, 'slug'));
        return { result: channel, event: { action: 'CHANNEL_CREATED', changes: createdFields(data) } };
      });
    },
  }),
);
