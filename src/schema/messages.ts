import { queryFromInfo } from '@pothos/plugin-prisma';
import { BadUserInputError } from '../errors.ts';
import { Prisma } from '../generated/prisma/client.ts';
import { accountCaller, keyCaller, resolvedTarget } from '../scoping/middleware.ts';
import { visibleMessages } from '../scoping/visibility.ts';
import { jsonObject, LIMITS, text } from '../validation.ts';
import { builder } from './builder.ts';
import { resolveChannels } from './channel-refs.ts';

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
    channels: t.relation('channels', {
      description: 'The channels the message went to; empty when allRecipients is true.',
      query: { orderBy: { slug: 'asc' } },
    }),
    recipientCount: t.exposeInt('recipientCount', { description: 'How many distinct recipients the message reached.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

// ---- messages: newest first, cursor = the message's creation sequence ----

const PAGE_DEFAULT = 20;
const PAGE_MAX = 100;

const MAX_SEQ = 2n ** 63n - 1n;
const encodeCursor = (seq: bigint) => Buffer.from(`message:${seq}`).toString('base64url');
function decodeCursor(cursor: string): bigint {
  const match = /^message:(\d{1,19})$/.exec(Buffer.from(cursor, 'base64url').toString());
  if (!match || BigInt(match[1]) > MAX_SEQ) throw new BadUserInputError('after is not a cursor of this list.', 'after');
  return BigInt(match[1]);
}

interface PageInfoShape {
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  startCursor: string | null;
  endCursor: string | null;
}

const PageInfo = builder.objectRef<PageInfoShape>('PageInfo').implement({
  fields: (t) => ({
    hasNextPage: t.exposeBoolean('hasNextPage'),
    hasPreviousPage: t.exposeBoolean('hasPreviousPage'),
    startCursor: t.exposeString('startCursor', { nullable: true }),
    endCursor: t.exposeString('endCursor', { nullable: true }),
  }),
});

type MessageRow = Prisma.MessageGetPayload<object>;

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
    access: 'caller',
    args: {
      first: t.arg.int({ description: `Page size: 0 to ${PAGE_MAX}, ${PAGE_DEFAULT} when absent.` }),
      after: t.arg.string({ description: 'The endCursor of the previous page.' }),
    },
    resolve: async (_root, { first, after }, ctx, info) => {
      const take = first ?? PAGE_DEFAULT;
      if (!Number.isInteger(take) || take < 0 || take > PAGE_MAX) {
        throw new BadUserInputError(`first must be 0 to ${PAGE_MAX}.`, 'first');
      }
      const visible = visibleMessages(accountCaller(ctx));
      const before = after == null ? undefined : decodeCursor(after);
      const query = queryFromInfo({ context: ctx, info, path: ['edges', 'node'], typeName: 'Message' });
      const rows = await ctx.db.message.findMany({
        ...query,
        where: before === undefined ? visible : { AND: [visible, { seq: { lt: before } }] },
        orderBy: { seq: 'desc' },
        take: take + 1,
      });
      const page = rows.slice(0, take);
      const edges = page.map((node) => ({ cursor: encodeCursor(node.seq), node }));
      return {
        edges,
        pageInfo: {
          hasNextPage: rows.length > take,
          hasPreviousPage: before !== undefined,
          startCursor: edges[0]?.cursor ?? null,
          endCursor: edges.at(-1)?.cursor ?? null,
        },
        totalCount: () => ctx.db.message.count({ where: visible }),
      };
    },
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
    resolve: async (_root, args, ctx) => {
      const { accountId, key } = keyCaller(ctx);
      const target = resolvedTarget(args);
      const { message } = args.input;
      const title = text(message.title, 'message.title', LIMITS.title);
      const body = text(message.body, 'message.body', LIMITS.body, { min: 0, multiline: true });
      const data = jsonObject(message.data, 'message.data');
      // The ids first: given as values, the planner reads each channel's size from
      // its statistics and looks up small channels by index even beside a huge one.
      const channelIds = target.kind === 'ALL' ? [] : (await resolveChannels(ctx, target.channels, 'target.channels')).map(({ id }) => id);
      // One statement: the message, its channels and one delivery per distinct
      // recipient are written together or not at all, however many recipients.
      const recipients =
        target.kind === 'ALL'
          ? Prisma.sql`SELECT id FROM "Recipient" WHERE "accountId" = ${accountId}::uuid`
          : Prisma.sql`SELECT DISTINCT "B" AS id FROM "_RecipientChannels" WHERE "A" = ANY(${channelIds}::uuid[])`;
      const [row] = await ctx.db.$queryRaw<MessageRow[]>`
        WITH targets AS MATERIALIZED (${recipients}),
        message AS (
          INSERT INTO "Message" ("accountId", "apiKeyId", title, body, data, "allRecipients", "recipientCount")
          SELECT ${accountId}::uuid, ${key.id}::uuid, ${title}, ${body}, ${data === null ? null : JSON.stringify(data)}::jsonb,
                 ${target.kind === 'ALL'}, (SELECT count(*)::int FROM targets)
          RETURNING *
        ),
        message_channels AS (
          INSERT INTO "_MessageChannels" ("A", "B") SELECT channel, message.id FROM message, unnest(${channelIds}::uuid[]) AS channel
        ),
        deliveries AS (
          INSERT INTO "Delivery" ("messageId", "recipientId") SELECT message.id, targets.id FROM message, targets
        )
        SELECT * FROM message`;
      ctx.metrics.sendRecipients.inc(row.recipientCount);
      return { message: row };
    },
  }),
);
