import { queryFromInfo } from '@pothos/plugin-prisma';
import type { DeliveryStats as DeliveryStatsShape, MessageRow } from '../data/messages.ts';
import { IdempotencyKeyInUseError, IdempotencyKeyReusedError } from '../errors.ts';
import { resolvedTarget } from '../scoping/middleware.ts';
import { jsonObject, LIMITS, text } from '../validation.ts';
import { builder } from './builder.ts';
import { Channel } from './channels.ts';
import { PAGE_DEFAULT, PAGE_MAX, PageInfo, type PageInfoShape, pageArgs, pageRequest } from './pagination.ts';

const DeliveryStats = builder.objectRef<DeliveryStatsShape>('DeliveryStats').implement({
  description: "What became of a message in its recipients' inboxes and at the account's webhook endpoints.",
  fields: (t) => ({
    recipients: t.exposeInt('recipients', { description: 'Inbox items the message created (its recipients at the time of sending).' }),
    seen: t.exposeInt('seen', { description: 'Of those, how many their recipient has seen.' }),
    read: t.exposeInt('read', { description: 'Of those, how many their recipient has read.' }),
    webhooksSucceeded: t.exposeInt('webhooksSucceeded', { description: 'Webhook deliveries of the message that succeeded.' }),
    webhooksPending: t.exposeInt('webhooksPending', { description: 'Webhook deliveries still being tried.' }),
    webhooksFailed: t.exposeInt('webhooksFailed', { description: 'Webhook deliveries that gave up.' }),
  }),
});

const Message = builder.prismaObject('Message', {
  description: 'What send created: the message, its target and how many recipients it reached.',
  fields: (t) => ({
    id: t.exposeID('id'),
    title: t.exposeString('title'),
    body: t.exposeString('body'),
    data: t.field({
      type: 'JSONObject',
      nullable: true,
      // send stores only JSON objects (see validation.jsonObject).
      resolve: (message) => message.data as Record<string, unknown> | null,
    }),
    allRecipients: t.exposeBoolean('allRecipients', { description: 'True when the message went to every recipient of the account.' }),
    channels: t.field({
      type: [Channel],
      description: 'The channels the message went to; empty when allRecipients is true.',
      select: { channels: { select: { channel: true }, orderBy: { channel: { slug: 'asc' } } } },
      resolve: (message) => message.channels.map((c) => c.channel),
    }),
    recipientCount: t.exposeInt('recipientCount', { description: 'How many distinct recipients the message reached.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    deliveryStats: t.field({
      type: DeliveryStats,
      description: "What became of the message in its recipients' inboxes (and, when configured, at webhook endpoints).",
      resolve: (message, _args, ctx) => ctx.data.messages.deliveryStats(message.id),
    }),
  }),
});

// ---- messages: newest first (see ./pagination.ts) ----

const MessageEdge = builder.objectRef<{ cursor: string; node: MessageRow }>('MessageEdge').implement({
  fields: (t) => ({
    cursor: t.exposeString('cursor'),
    node: t.field({ type: Message, resolve: (edge) => edge.node }),
  }),
});

const MessageConnection = builder
  .objectRef<{ edges: { cursor: string; node: MessageRow }[]; pageInfo: PageInfoShape; totalCount: () => Promise<number> }>(
    'MessageConnection',
  )
  .implement({
    fields: (t) => ({
      edges: t.field({ type: [MessageEdge], resolve: (c) => c.edges }),
      pageInfo: t.field({ type: PageInfo, resolve: (c) => c.pageInfo }),
      totalCount: t.int({ description: 'All messages the caller may see, not only this page.', resolve: (c) => c.totalCount() }),
    }),
  });

builder.queryField('messages', (t) =>
  t.field({
    type: MessageConnection,
    description:
      'Messages the caller may see, newest first. A CHANNELS key sees only the messages whose channels all lie within its scope.',
    access: 'account',
    args: { first: t.arg.int(pageArgs.first), after: t.arg.string(pageArgs.after) },
    // Cost: the page's selection once per message asked for (an out-of-range `first` is refused by pageRequest).
    complexity: ({ first }) => ({ field: 1, multiplier: Math.min(first ?? PAGE_DEFAULT, PAGE_MAX) }),
    resolve: async (_root, { first, after }, ctx, info) => {
      const request = pageRequest('message', first, after);
      const query = queryFromInfo({ context: ctx, info, path: ['edges', 'node'], typeName: 'Message' });
      const rows = await ctx.data.messages.list({ before: request.before, take: request.take }, query);
      return { ...request.page(rows), totalCount: () => ctx.data.messages.count() };
    },
  }),
);

builder.queryField('message', (t) =>
  t.prismaField({
    type: 'Message',
    nullable: true,
    description: 'One message the caller may see (as in `messages`); null otherwise.',
    access: 'account',
    args: { id: t.arg.id({ required: true }) },
    resolve: (query, _root, { id }, ctx) => ctx.data.messages.find(id, query),
  }),
);

// ---- send ----

const TargetInput = builder.inputType('TargetInput', {
  fields: (t) => ({
    channels: t.stringList({ description: "Channel slugs. Absent: the key's whole scope." }),
  }),
});

const MessageInput = builder.inputType('MessageInput', {
  fields: (t) => ({
    title: t.string({ required: true, description: '1 to 200 characters.' }),
    body: t.string({ required: true, description: 'At most 10,000 characters; line breaks and tabs allowed.' }),
    data: t.field({ type: 'JSONObject', description: 'Any JSON object: at most 16 KB as JSON and 16 levels deep.' }),
  }),
});

const SendInput = builder.inputType('SendInput', {
  fields: (t) => ({
    target: t.field({ type: TargetInput }),
    message: t.field({ type: MessageInput, required: true }),
  }),
});

const SendPayload = builder.objectRef<{ message: MessageRow }>('SendPayload').implement({
  fields: (t) => ({
    message: t.field({ type: Message, resolve: (payload) => payload.message }),
  }),
});

builder.mutationField('send', (t) =>
  t.field({
    type: SendPayload,
    description: "Sends a message with an API key, within the key's scope.",
    access: { send: (args) => args.input.target?.channels },
    args: { input: t.arg({ type: SendInput, required: true }) },
    resolve: async (_root, args, ctx, info) => {
      const { message } = args.input;
      const title = text(message.title, 'message.title', LIMITS.title);
      const body = text(message.body, 'message.body', LIMITS.body, { min: 0, multiline: true });
      const data = jsonObject(message.data, 'message.data');
      const { idempotency } = ctx;
      const outcome = await ctx.data.messages.send(resolvedTarget(ctx, info), { title, body, data }, idempotency);
      switch (outcome.kind) {
        case 'in-use':
          throw new IdempotencyKeyInUseError();
        case 'reused':
          throw new IdempotencyKeyReusedError();
        case 'replayed':
          if (idempotency) idempotency.replayed = true;
          return { message: outcome.message };
        case 'sent':
          return { message: outcome.message };
      }
    },
  }),
);
