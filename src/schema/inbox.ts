import { queryFromInfo } from '@pothos/plugin-prisma';
import type { InboxCounts, InboxEvent as InboxEventShape, InboxItem as InboxItemShape } from '../data/inbox.ts';
import { MARK_MAX_IDS } from '../data/inbox.ts';
import { BadUserInputError } from '../errors.ts';
import { resolvedRecipient } from '../scoping/middleware.ts';
import { builder } from './builder.ts';
import { cursorOf, PAGE_DEFAULT, PAGE_MAX, PageInfo, type PageInfoShape, pageArgs, pageRequest, parseCursor } from './pagination.ts';
import { Recipient } from './recipients.ts';

/** Inbox cursors: one list for pages (older items) and streams (newer ones). */
const INBOX = 'inbox';

const InboxFilter = builder.enumType('InboxFilter', {
  values: {
    ALL: { description: 'Every item not archived.' },
    UNREAD: { description: 'Items not archived and not read.' },
    UNSEEN: { description: 'Items not archived and not seen.' },
    ARCHIVED: { description: 'Archived items.' },
  },
});

const InboxAction = builder.enumType('InboxAction', {
  values: {
    SEEN: { description: 'Seen (in a list, say): unseenCount goes down.' },
    READ: { description: 'Read (opened): seen too.' },
    UNREAD: { description: 'Not read any more.' },
    ARCHIVED: { description: 'Out of the inbox, into ARCHIVED.' },
    UNARCHIVED: { description: 'Back in the inbox.' },
  },
});

const InboxEventKind = builder.enumType('InboxEventKind', {
  values: {
    NEW: { description: 'A message arrived (or, while replaying, had arrived after the cursor).' },
    UPDATED: {
      description:
        'An item changed state (seen, read, archived…), here or on another device; item is null after a change of many items at once (markInbox all): refetch.',
    },
  },
});

const InboxItem = builder.objectRef<InboxItemShape>('InboxItem').implement({
  description: 'One message as its recipient sees it.',
  fields: (t) => ({
    id: t.exposeID('id', { description: "The message's id: an inbox holds a message once." }),
    title: t.exposeString('title'),
    body: t.exposeString('body'),
    data: t.field({ type: 'JSONObject', nullable: true, resolve: (item) => item.data }),
    channels: t.exposeStringList('channels', {
      description: 'The slugs of the channels the message went to; empty when it went to all recipients.',
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    seenAt: t.expose('seenAt', { type: 'DateTime', nullable: true }),
    readAt: t.expose('readAt', { type: 'DateTime', nullable: true }),
    archivedAt: t.expose('archivedAt', { type: 'DateTime', nullable: true }),
  }),
});

const InboxEdge = builder.objectRef<{ cursor: string; node: InboxItemShape }>('InboxEdge').implement({
  fields: (t) => ({
    cursor: t.exposeString('cursor'),
    node: t.field({ type: InboxItem, resolve: (edge) => edge.node }),
  }),
});

interface InboxConnectionShape {
  edges: { cursor: string; node: InboxItemShape }[];
  pageInfo: PageInfoShape;
  /** Read once, and only when a count is asked for. */
  counts: () => Promise<InboxCounts & { totalCount: number }>;
}

const InboxConnection = builder.objectRef<InboxConnectionShape>('InboxConnection').implement({
  fields: (t) => ({
    edges: t.field({ type: [InboxEdge], resolve: (c) => c.edges }),
    pageInfo: t.field({ type: PageInfo, resolve: (c) => c.pageInfo }),
    totalCount: t.int({ description: 'Items under the filter, not only this page.', resolve: async (c) => (await c.counts()).totalCount }),
    unreadCount: t.int({ description: 'Items not archived and not read.', resolve: async (c) => (await c.counts()).unreadCount }),
    unseenCount: t.int({ description: 'Items not archived and not seen.', resolve: async (c) => (await c.counts()).unseenCount }),
  }),
});

builder.queryField('inbox', (t) =>
  t.field({
    type: InboxConnection,
    description:
      "Recipient tokens only: the recipient's inbox, newest first. ALL (the default) is every item not archived; UNREAD and UNSEEN narrow it; ARCHIVED is the archived ones.",
    access: 'inbox',
    args: { first: t.arg.int(pageArgs.first), after: t.arg.string(pageArgs.after), filter: t.arg({ type: InboxFilter }) },
    // Cost: the page's selection once per item asked for (an out-of-range `first` is refused by pageRequest).
    complexity: ({ first }) => ({ field: 1, multiplier: Math.min(first ?? PAGE_DEFAULT, PAGE_MAX) }),
    resolve: async (_root, { first, after, filter }, ctx) => {
      const request = pageRequest(INBOX, first, after);
      const which = filter ?? 'ALL';
      const rows = await ctx.data.inbox.page(which, request.before, request.take);
      let counts: ReturnType<InboxConnectionShape['counts']> | undefined;
      return { ...request.page(rows), counts: () => (counts ??= ctx.data.inbox.counts(which)) };
    },
  }),
);

const MarkInboxInput = builder.inputType('MarkInboxInput', {
  fields: (t) => ({
    ids: t.idList({
      description: `Exactly one of ids (1 to ${MARK_MAX_IDS.toLocaleString('en-US')} of the recipient's items) and all: true.`,
    }),
    all: t.boolean(),
    action: t.field({ type: InboxAction, required: true }),
  }),
});

const MarkInboxPayload = builder.objectRef<{ updated: number } & InboxCounts>('MarkInboxPayload').implement({
  fields: (t) => ({
    updated: t.exposeInt('updated', { description: 'Items whose state changed (an item already in that state is not counted).' }),
    unreadCount: t.exposeInt('unreadCount'),
    unseenCount: t.exposeInt('unseenCount'),
  }),
});

builder.mutationField('markInbox', (t) =>
  t.field({
    type: MarkInboxPayload,
    description: 'Recipient tokens only: marks the given items (ids) or every item (all: true) of the inbox.',
    access: 'inbox',
    args: { input: t.arg({ type: MarkInboxInput, required: true }) },
    resolve: (_root, { input }, ctx) => {
      const { ids, all, action } = input;
      if ((ids == null) === (all !== true)) {
        throw new BadUserInputError('Give exactly one of ids and all: true.', ids == null ? 'all' : 'ids');
      }
      if (ids != null && (ids.length === 0 || ids.length > MARK_MAX_IDS)) {
        throw new BadUserInputError(`ids must hold 1 to ${MARK_MAX_IDS.toLocaleString('en-US')} items.`, 'ids');
      }
      return ctx.data.inbox.mark(ids == null ? { all: true } : { ids }, action);
    },
  }),
);

const CreateRecipientTokenInput = builder.inputType('CreateRecipientTokenInput', {
  fields: (t) => ({
    externalId: t.string({ required: true }),
    ttlSeconds: t.int({ description: '60 to 86,400 seconds; absent: 3,600.' }),
  }),
});

const RecipientTokenPayload = builder
  .objectRef<{ token: string; expiresAt: Date; recipientId: string }>('RecipientTokenPayload')
  .implement({
    fields: (t) => ({
      token: t.exposeString('token', { description: 'Send it as `Authorization: Bearer <token>`.' }),
      expiresAt: t.expose('expiresAt', { type: 'DateTime' }),
      recipient: t.field({
        type: Recipient,
        // What the query selects of the recipient, read in one statement.
        resolve: (payload, _args, ctx, info) =>
          ctx.data.recipients.get(payload.recipientId, queryFromInfo({ context: ctx, info, typeName: 'Recipient' })),
      }),
    }),
  });

builder.mutationField('createRecipientToken', (t) =>
  t.field({
    type: RecipientTokenPayload,
    description:
      'A short-lived token with which one recipient reads its own inbox (queries, markInbox and the inbox subscription, nothing else). Members and keys; a CHANNELS key only for a recipient in one of its channels.',
    access: { recipient: (args) => ({ externalId: args.input.externalId }) },
    args: { input: t.arg({ type: CreateRecipientTokenInput, required: true }) },
    resolve: async (_root, { input }, ctx, info) => {
      const { recipient } = resolvedRecipient(ctx, info);
      const { token, expiresAt } = await ctx.data.recipients.mintToken(recipient, input.ttlSeconds);
      return { token, expiresAt, recipientId: recipient.id };
    },
  }),
);

const InboxEvent = builder.objectRef<InboxEventShape>('InboxEvent').implement({
  fields: (t) => ({
    kind: t.field({ type: InboxEventKind, resolve: (event) => event.kind }),
    cursor: t.string({
      nullable: true,
      description: "For NEW: the item's cursor, to resume with `inbox(after:)`.",
      resolve: (event) => (event.kind === 'NEW' && event.item ? cursorOf(INBOX, event.item.seq) : null),
    }),
    item: t.field({ type: InboxItem, nullable: true, resolve: (event) => event.item }),
    unreadCount: t.exposeInt('unreadCount'),
    unseenCount: t.exposeInt('unseenCount'),
  }),
});

builder.subscriptionField('inbox', (t) =>
  t.field({
    type: InboxEvent,
    description:
      "Recipient tokens only: the recipient's inbox as it changes. With `after` (a cursor from inbox or from an earlier event) it first replays every item newer than the cursor, oldest first (the order they arrived), then goes on live, with no gap and no duplicate. The stream ends when the token expires or the recipient is deleted.",
    access: 'inbox',
    args: { after: t.arg.string({ description: 'A cursor (from an InboxEdge or a NEW event): replay what came after it first.' }) },
    subscribe: (_root, { after }, ctx) => ctx.data.inbox.stream(after == null ? undefined : parseCursor(INBOX, after)),
    resolve: (event) => event,
  }),
);
