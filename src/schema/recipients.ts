import { queryFromInfo } from '@pothos/plugin-prisma';
import { type GraphQLResolveInfo, Kind, type SelectionSetNode } from 'graphql';
import { IMPORT_MAX_ROWS, type ImportRow } from '../data/recipients.ts';
import { BadUserInputError } from '../errors.ts';
import type { Recipient as RecipientRow } from '../generated/prisma/client.ts';
import { resolvedImport, resolvedRecipient } from '../scoping/middleware.ts';
import { visibleMemberships } from '../scoping/visibility.ts';
import { LIMITS, slug, slugs, text } from '../validation.ts';
import { builder } from './builder.ts';
import { Channel, DeletePayload } from './channels.ts';
import { PAGE_DEFAULT, PAGE_MAX, PageInfo, type PageInfoShape } from './pagination.ts';

export const Recipient = builder.prismaObject('Recipient', {
  description: 'Someone messages go to, subscribed to zero or more channels.',
  fields: (t) => ({
    id: t.exposeID('id'),
    externalId: t.exposeString('externalId', { description: "The account's own identifier for this recipient." }),
    channels: t.field({
      type: [Channel],
      description: 'The channels the recipient is subscribed to; a CHANNELS key sees only its own.',
      select: (_args, ctx) => ({
        channels: { where: visibleMemberships(ctx.caller), select: { channel: true }, orderBy: { channel: { slug: 'asc' } } },
      }),
      resolve: (recipient) => recipient.channels.map((c) => c.channel),
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

// ---- recipients: by externalId, a cursor connection ----

/**
 * The cursor is the externalId of the page's last recipient, under the list's
 * name: a page follows it in externalId order, however recipients are added or
 * removed meanwhile. A cursor of another list is refused.
 */
const LIST = 'recipient';

const CONTROL = /\p{Cc}/u;

const cursorOf = (externalId: string) => Buffer.from(`${LIST}:${externalId}`).toString('base64url');

function parseCursor(cursor: string): string {
  const bytes = Buffer.from(cursor, 'base64url');
  const decoded = bytes.toString();
  const externalId = decoded.startsWith(`${LIST}:`) ? decoded.slice(LIST.length + 1) : '';
  // What no externalId can be: empty, too long, not UTF-8, with a control character.
  if (externalId === '' || externalId.length > 2 * LIMITS.externalId || !Buffer.from(decoded).equals(bytes) || CONTROL.test(externalId)) {
    throw new BadUserInputError('after is not a cursor of this list.', 'after');
  }
  return externalId;
}

/** A literal prefix, not trimmed: any text an externalId may start with. */
function parseSearch(search: string | null | undefined): string | undefined {
  if (search == null || search === '') return undefined;
  if (!search.isWellFormed() || CONTROL.test(search) || [...search].length > LIMITS.externalId) {
    throw new BadUserInputError(`search must be at most ${LIMITS.externalId} characters, without control characters.`, 'search');
  }
  return search;
}

/** Whether the field's selection asks for `name` (through fragments too). */
function asksFor(info: GraphQLResolveInfo, name: string): boolean {
  const seen = new Set<string>();
  const visit = (set: SelectionSetNode | undefined): boolean =>
    set?.selections.some((selection) => {
      if (selection.kind === Kind.FIELD) return selection.name.value === name;
      if (selection.kind === Kind.INLINE_FRAGMENT) return visit(selection.selectionSet);
      if (seen.has(selection.name.value)) return false;
      seen.add(selection.name.value);
      return visit(info.fragments[selection.name.value]?.selectionSet);
    }) ?? false;
  return info.fieldNodes.some((node) => visit(node.selectionSet));
}

const RecipientEdge = builder.objectRef<{ cursor: string; node: RecipientRow }>('RecipientEdge').implement({
  fields: (t) => ({
    cursor: t.exposeString('cursor'),
    node: t.field({ type: Recipient, resolve: (edge) => edge.node }),
  }),
});

const RecipientConnection = builder
  .objectRef<{ edges: { cursor: string; node: RecipientRow }[]; pageInfo: PageInfoShape; totalCount: () => Promise<number> }>(
    'RecipientConnection',
  )
  .implement({
    fields: (t) => ({
      edges: t.field({ type: [RecipientEdge], resolve: (c) => c.edges }),
      pageInfo: t.field({ type: PageInfo, resolve: (c) => c.pageInfo }),
      totalCount: t.int({
        description: 'All recipients the caller may see under the filters, not only this page.',
        resolve: (c) => c.totalCount(),
      }),
    }),
  });

builder.queryField('recipients', (t) =>
  t.field({
    type: RecipientConnection,
    description:
      'Recipients the caller may see, ordered by externalId. A CHANNELS key sees only recipients in at least one of its channels, and of their channels only its own. `channel` narrows to one channel slug; `search` to externalIds that start with it.',
    access: { read: (args) => (args.channel == null ? [] : [args.channel]) },
    args: {
      first: t.arg.int({ description: `Page size: 1 to ${PAGE_MAX}, ${PAGE_DEFAULT} when absent.` }),
      after: t.arg.string({ description: 'The endCursor of the previous page.' }),
      channel: t.arg.string({ description: 'Only the recipients of this channel (a slug).' }),
      search: t.arg.string({ description: 'Only the externalIds that start with this text, taken literally (% and _ included).' }),
    },
    // Cost: the page's selection once per recipient asked for (an out-of-range `first` is refused).
    complexity: ({ first }) => ({ field: 1, multiplier: Math.min(first ?? PAGE_DEFAULT, PAGE_MAX) }),
    resolve: async (_root, args, ctx, info) => {
      const take = args.first ?? PAGE_DEFAULT;
      if (!Number.isInteger(take) || take < 1 || take > PAGE_MAX) throw new BadUserInputError(`first must be 1 to ${PAGE_MAX}.`, 'first');
      const after = args.after == null ? undefined : parseCursor(args.after);
      const search = parseSearch(args.search);
      const channelId =
        args.channel == null ? undefined : (await ctx.data.channels.resolve([slug(args.channel, 'channel')], 'channel'))[0].id;
      const query = queryFromInfo({ context: ctx, info, path: ['edges', 'node'], typeName: 'Recipient' });
      // The count, when asked for, is read while the page is (over a large account it takes longer than the page).
      let total = asksFor(info, 'totalCount') ? ctx.data.recipients.count({ channelId, search }) : undefined;
      total?.catch(() => {}); // a failure is the totalCount field's to report
      const rows = await ctx.data.recipients.list({ after, take: take + 1, channelId, search }, query);
      const edges = rows.slice(0, take).map((node) => ({ cursor: cursorOf(node.externalId), node }));
      return {
        edges,
        pageInfo: {
          hasNextPage: rows.length > take,
          hasPreviousPage: after !== undefined,
          startCursor: edges[0]?.cursor ?? null,
          endCursor: edges.at(-1)?.cursor ?? null,
        },
        totalCount: () => (total ??= ctx.data.recipients.count({ channelId, search })),
      };
    },
  }),
);

builder.queryField('recipient', (t) =>
  t.prismaField({
    type: 'Recipient',
    nullable: true,
    description: "One recipient by the account's own identifier, when the caller may see it; null otherwise.",
    access: 'account',
    args: { externalId: t.arg.string({ required: true }) },
    resolve: (query, _root, { externalId }, ctx) => ctx.data.recipients.findVisible(externalId.trim(), query),
  }),
);

// ---- changes ----

const CreateRecipientInput = builder.inputType('CreateRecipientInput', {
  fields: (t) => ({
    externalId: t.string({ required: true, description: "The account's own identifier: 1 to 256 characters, unique in the account." }),
    channels: t.stringList({ required: true, description: 'Channel slugs the recipient subscribes to (may be empty).' }),
  }),
});

const UpdateRecipientInput = builder.inputType('UpdateRecipientInput', {
  fields: (t) => ({
    id: t.id({ required: true }),
    channels: t.stringList({ required: true, description: "Channel slugs: the recipient's channels from now on (may be empty)." }),
  }),
});

const RecipientInput = builder.inputType('RecipientInput', {
  fields: (t) => ({
    externalId: t.string({ required: true }),
    channels: t.stringList({ required: true }),
  }),
});

const UpsertRecipientsInput = builder.inputType('UpsertRecipientsInput', {
  fields: (t) => ({
    recipients: t.field({
      type: [RecipientInput],
      required: true,
      description: `1 to ${IMPORT_MAX_ROWS.toLocaleString('en-US')} recipients; an externalId may appear once.`,
    }),
  }),
});

const UpsertRecipientsPayload = builder.objectRef<{ created: number; updated: number }>('UpsertRecipientsPayload').implement({
  fields: (t) => ({
    created: t.exposeInt('created'),
    updated: t.exposeInt('updated'),
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

builder.mutationField('updateRecipient', (t) =>
  t.prismaField({
    type: 'Recipient',
    description: "Replaces a recipient's channels. A CHANNELS key may only add or remove its own channels (its others stay).",
    access: { recipient: (args) => ({ id: args.input.id }), channels: (args) => args.input.channels },
    args: { input: t.arg({ type: UpdateRecipientInput, required: true }) },
    resolve: (query, _root, _args, ctx, info) => {
      const { recipient, channels = [] } = resolvedRecipient(ctx, info);
      return ctx.data.recipients.setChannels(recipient, slugs(channels, 'channels'), query);
    },
  }),
);

builder.mutationField('deleteRecipient', (t) =>
  t.field({
    type: DeletePayload,
    description:
      'Erases a recipient: its memberships, inbox and tokens; its open inbox streams end on every instance. Members and ALL keys only.',
    access: { recipient: (args) => ({ id: args.id }), allKeysOnly: true },
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, _args, ctx, info) => ctx.data.recipients.erase(resolvedRecipient(ctx, info).recipient),
  }),
);

/** The rows of an import, refused at once when there are none or too many (before the access rules look any up). */
function importRows(rows: readonly { externalId: string; channels: readonly string[] }[]) {
  if (rows.length === 0 || rows.length > IMPORT_MAX_ROWS) {
    throw new BadUserInputError(
      `recipients must hold 1 to ${IMPORT_MAX_ROWS.toLocaleString('en-US')} rows (it has ${rows.length}).`,
      'recipients',
    );
  }
  return rows;
}

/** Each row within the text limits, its slugs well-formed, its externalId not given before; the first bad row is named by its index. */
function parseImportRows(rows: readonly { externalId: string; channels: readonly string[] }[]): ImportRow[] {
  const seen = new Map<string, number>();
  return rows.map((row, index) => {
    const externalId = text(row.externalId, `recipients[${index}].externalId`, LIMITS.externalId);
    const first = seen.get(externalId);
    if (first !== undefined) {
      const field = `recipients[${index}].externalId`;
      throw new BadUserInputError(
        `${field}: ${JSON.stringify(externalId)} is also at recipients[${first}]; an externalId may appear once.`,
        field,
      );
    }
    seen.set(externalId, index);
    return { externalId, channels: slugs(row.channels, `recipients[${index}].channels`) };
  });
}

builder.mutationField('upsertRecipients', (t) =>
  t.field({
    type: UpsertRecipientsPayload,
    description:
      'Creates or updates up to 10,000 recipients at once, by externalId (their channels are set to the given ones). All or nothing: one invalid row refuses the whole call, naming its index.',
    access: { import: (args) => importRows(args.input.recipients) },
    args: { input: t.arg({ type: UpsertRecipientsInput, required: true }) },
    resolve: (_root, { input }, ctx, info) => {
      const rows = parseImportRows(importRows(input.recipients));
      return ctx.data.recipients.import(rows, resolvedImport(ctx, info));
    },
  }),
);
