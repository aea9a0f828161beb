// A recipient's inbox: its deliveries, newest first, with their state (seen,
// read, archived). Raw SQL through the hot path's statements: Delivery has no
// account of its own (the tenant client refuses it), so every statement names
// the recipient the verified token named, and joins its messages by account.
// The hub (src/realtime/hub.ts) reads through the same functions.
import type { RecipientCaller } from '../auth/caller.ts';
import type { Sql } from '../db/sql.ts';
import { NotFoundError } from '../errors.ts';
import { Prisma } from '../generated/prisma/client.ts';
import { openInboxStream } from '../realtime/inbox-stream.ts';
import { isUuid } from '../validation.ts';
import { inboxReadEvents } from '../webhooks/enqueue.ts';
import type { RequestScope } from './index.ts';

export type InboxFilter = 'ALL' | 'UNREAD' | 'UNSEEN' | 'ARCHIVED';
export type InboxAction = 'SEEN' | 'READ' | 'UNREAD' | 'ARCHIVED' | 'UNARCHIVED';

/** One message as its recipient sees it. `id` is the message's: an inbox holds a message once. */
export interface InboxItem {
  id: string;
  /** The message's seq: the item's place in the inbox, and its cursor. */
  seq: bigint;
  title: string;
  body: string;
  data: Record<string, unknown> | null;
  /** The slugs the message went to; empty when it went to every recipient. */
  channels: string[];
  createdAt: Date;
  seenAt: Date | null;
  readAt: Date | null;
  archivedAt: Date | null;
}

export interface InboxCounts {
  unreadCount: number;
  unseenCount: number;
}

export interface InboxEvent extends InboxCounts {
  kind: 'NEW' | 'UPDATED';
  /** Null for UPDATED after a change of many items at once (markInbox all): the client refetches. */
  item: InboxItem | null;
}

/** At most this many ids in one markInbox. */
export const MARK_MAX_IDS = 1_000;

const FILTERS: Record<InboxFilter, Prisma.Sql> = {
  ALL: Prisma.sql`d."archivedAt" IS NULL`,
  UNREAD: Prisma.sql`d."archivedAt" IS NULL AND d."readAt" IS NULL`,
  UNSEEN: Prisma.sql`d."archivedAt" IS NULL AND d."seenAt" IS NULL`,
  ARCHIVED: Prisma.sql`d."archivedAt" IS NOT NULL`,
};

/** Each action sets its column where it would change it (a no-op changes nothing, and counts as no update). */
const ACTIONS: Record<InboxAction, { set: Prisma.Sql; changes: Prisma.Sql }> = {
  SEEN: { set: Prisma.sql`"seenAt" = now()`, changes: Prisma.sql`d."seenAt" IS NULL` },
  READ: { set: Prisma.sql`"readAt" = now(), "seenAt" = coalesce(d."seenAt", now())`, changes: Prisma.sql`d."readAt" IS NULL` },
  UNREAD: { set: Prisma.sql`"readAt" = NULL`, changes: Prisma.sql`d."readAt" IS NOT NULL` },
  ARCHIVED: { set: Prisma.sql`"archivedAt" = now()`, changes: Prisma.sql`d."archivedAt" IS NULL` },
  UNARCHIVED: { set: Prisma.sql`"archivedAt" = NULL`, changes: Prisma.sql`d."archivedAt" IS NOT NULL` },
};

const ITEM_COLUMNS = Prisma.sql`m.id::text, d."messageSeq"::text AS seq, m.title, m.body, m.data, m."channelSlugs" AS channels,
  m."createdAt", d."seenAt", d."readAt", d."archivedAt"`;

type ItemRow = Omit<InboxItem, 'seq' | 'channels'> & { seq: string; channels: string[] | null };
const itemOf = ({ seq, channels, ...row }: ItemRow): InboxItem => ({ ...row, seq: BigInt(seq), channels: channels ?? [] });

/** A recipient's items, newest first, under a filter, below `before` (a cursor's seq). */
export async function itemsPage(
  sql: Sql,
  recipient: { accountId: string; recipientId: string },
  { filter, before, take }: { filter: InboxFilter; before?: bigint; take: number },
): Promise<InboxItem[]> {
  const rows = await sql<ItemRow>(
    Prisma.sql`
    SELECT ${ITEM_COLUMNS}
    FROM "Delivery" d JOIN "Message" m ON m.id = d."messageId" AND m."accountId" = ${recipient.accountId}::uuid
    WHERE d."recipientId" = ${recipient.recipientId}::uuid AND ${FILTERS[filter]}
      AND (${before?.toString() ?? null}::bigint IS NULL OR d."messageSeq" < ${before?.toString() ?? null}::bigint)
    ORDER BY d."messageSeq" DESC LIMIT ${take}`,
  );
  return rows.map(itemOf);
}

/** Items that arrived after `after` (a cursor's seq), oldest first: a stream's replay, a page at a time. */
export async function itemsAfter(
  sql: Sql,
  recipient: { accountId: string; recipientId: string },
  after: bigint,
  take: number,
): Promise<InboxItem[]> {
  const rows = await sql<ItemRow>(
    Prisma.sql`
    SELECT ${ITEM_COLUMNS}
    FROM "Delivery" d JOIN "Message" m ON m.id = d."messageId" AND m."accountId" = ${recipient.accountId}::uuid
    WHERE d."recipientId" = ${recipient.recipientId}::uuid AND d."messageSeq" > ${after.toString()}::bigint
    ORDER BY d."messageSeq" ASC LIMIT ${take}`,
    { prepare: true },
  );
  return rows.map(itemOf);
}

/** These items of one recipient (those it has), by message id. */
export async function itemsByIds(
  sql: Sql,
  recipient: { accountId: string; recipientId: string },
  messageIds: readonly string[],
): Promise<InboxItem[]> {
  const rows = await sql<ItemRow>(Prisma.sql`
    SELECT ${ITEM_COLUMNS}
    FROM "Delivery" d JOIN "Message" m ON m.id = d."messageId" AND m."accountId" = ${recipient.accountId}::uuid
    WHERE d."recipientId" = ${recipient.recipientId}::uuid AND d."messageId" = ANY(${messageIds.filter(isUuid)}::uuid[])
    ORDER BY d."messageSeq" ASC`);
  return rows.map(itemOf);
}

/** The counts over the whole inbox, and how many items the filter keeps. */
export async function inboxCounts(
  sql: Sql,
  recipientId: string,
  filter: InboxFilter = 'ALL',
): Promise<InboxCounts & { totalCount: number }> {
  const [row] = await sql<InboxCounts & { totalCount: number }>(
    Prisma.sql`
    SELECT count(*) FILTER (WHERE ${FILTERS[filter]})::int AS "totalCount",
           count(*) FILTER (WHERE ${FILTERS.UNREAD})::int AS "unreadCount",
           count(*) FILTER (WHERE ${FILTERS.UNSEEN})::int AS "unseenCount"
    FROM "Delivery" d WHERE d."recipientId" = ${recipientId}::uuid`,
    { prepare: true },
  );
  return row;
}

/**
 * Which of these recipients a message reached, with each one's counts after it:
 * one statement, however many recipients an instance holds streams for.
 */
export function reachedAmong(
  sql: Sql,
  messageId: string,
  recipientIds: readonly string[],
): Promise<({ recipientId: string } & InboxCounts)[]> {
  return sql<{ recipientId: string } & InboxCounts>(
    Prisma.sql`
    SELECT r."recipientId"::text AS "recipientId", c."unreadCount", c."unseenCount"
    FROM "Delivery" r CROSS JOIN LATERAL (
      SELECT count(*) FILTER (WHERE ${FILTERS.UNREAD})::int AS "unreadCount", count(*) FILTER (WHERE ${FILTERS.UNSEEN})::int AS "unseenCount"
      FROM "Delivery" d WHERE d."recipientId" = r."recipientId"
    ) AS c
    WHERE r."messageId" = ${messageId}::uuid AND r."recipientId" = ANY(${recipientIds}::uuid[])`,
    { prepare: true },
  );
}

/** The message a NEW event shows, once for every stream it reaches. */
export async function messageItem(sql: Sql, messageId: string): Promise<Omit<InboxItem, 'seenAt' | 'readAt' | 'archivedAt'> | null> {
  const [row] = await sql<Omit<ItemRow, 'seenAt' | 'readAt' | 'archivedAt'>>(
    Prisma.sql`
    SELECT m.id::text, m.seq::text AS seq, m.title, m.body, m.data, m."channelSlugs" AS channels, m."createdAt"
    FROM "Message" m WHERE m.id = ${messageId}::uuid`,
    { prepare: true },
  );
  return row ? { ...row, seq: BigInt(row.seq), channels: row.channels ?? [] } : null;
}

/** Which of these recipients still exist (a stream of a deleted recipient ends). */
export async function existingRecipients(sql: Sql, recipientIds: readonly string[]): Promise<Set<string>> {
  const rows = await sql<{ id: string }>(Prisma.sql`SELECT id::text FROM "Recipient" WHERE id = ANY(${recipientIds}::uuid[])`);
  return new Set(rows.map((r) => r.id));
}

/** What markInbox changed: the items (with their new state) and the counts after. */
export interface MarkResult extends InboxCounts {
  updated: number;
  /** The items that changed, when they were named (null for `all`). */
  changed: { id: string; readAt: Date | null }[];
}

/** The recipient of an inbox request (a recipient token). */
export class InboxService {
  constructor(private readonly scope: RequestScope) {}

  private get recipient(): RecipientCaller {
    const { caller } = this.scope;
    if (caller.kind !== 'recipient') throw new Error('inbox: recipient tokens only');
    return caller;
  }

  page(filter: InboxFilter, before: bigint | undefined, take: number): Promise<InboxItem[]> {
    return itemsPage(this.scope.sql, this.recipient, { filter, before, take });
  }

  counts(filter: InboxFilter): Promise<InboxCounts & { totalCount: number }> {
    return inboxCounts(this.scope.sql, this.recipient.recipientId, filter);
  }

  /** The live inbox: refused here, before it opens, when the instance or the recipient is at its stream limit. */
  stream(after: bigint | undefined): Promise<AsyncIterable<InboxEvent>> {
    return openInboxStream(this.scope.shared.hub, this.scope.shared.sql, this.recipient, after);
  }

  /**
   * Marks the named items (all of them the recipient's, or nothing changes:
   * NOT_FOUND names the others) or every item; then tells the recipient's
   * other streams, on every instance.
   */
  async mark(target: { ids: readonly string[] } | { all: true }, action: InboxAction): Promise<MarkResult> {
    const { sql, bus } = this.scope.shared;
    const { accountId, recipientId } = this.recipient;
    const ids = 'ids' in target ? [...new Set(target.ids)] : null;
    const which = ids === null ? Prisma.sql`true` : Prisma.sql`d."messageId" = ANY(${ids.filter(isUuid)}::uuid[])`;
    const { set, changes } = ACTIONS[action];
    // One statement: every named item must be the recipient's, or none changes; an item that
    // becomes read is an inbox.item.read webhook event, queued in the same statement.
    const [row] = await sql<{ found: number; changed: { id: string; readAt: string | null }[] | null }>(Prisma.sql`
      WITH found AS (SELECT count(*)::int AS n FROM "Delivery" d WHERE d."recipientId" = ${recipientId}::uuid AND ${which}),
      changed AS (
        UPDATE "Delivery" AS d SET ${set}
        WHERE d."recipientId" = ${recipientId}::uuid AND ${which} AND ${changes}
          AND (${ids === null} OR (SELECT n FROM found) = ${ids?.length ?? 0})
        RETURNING d."messageId", d."readAt"
      )
      ${action === 'READ' ? Prisma.sql`, ${inboxReadEvents(accountId, Prisma.sql`(SELECT "externalId" FROM "Recipient" WHERE id = ${recipientId}::uuid)`)}` : Prisma.empty}
      SELECT (SELECT n FROM found) AS found,
             (SELECT json_agg(json_build_object('id', "messageId", 'readAt', "readAt")) FROM changed) AS changed
             ${action === 'READ' ? Prisma.sql`, (SELECT count(*) FROM hook_jobs)::int AS "webhookEvents"` : Prisma.empty}`);
    if (ids !== null && row.found !== ids.length) {
      const present = new Set((await itemsByIds(sql, this.recipient, ids)).map((item) => item.id));
      const missing = ids.filter((id) => !present.has(id));
      throw new NotFoundError('Inbox item', missing.slice(0, 10).join(', '));
    }
    const changed = (row.changed ?? []).map((c) => ({ id: c.id, readAt: c.readAt === null ? null : new Date(c.readAt) }));
    const counts = await inboxCounts(sql, recipientId);
    if (changed.length > 0) {
      bus.publish({
        type: 'inbox.updated',
        accountId,
        recipientId,
        // A bus message stays small (PostgreSQL's NOTIFY takes 8,000 bytes): many items at once are a "refetch".
        messageIds: ids !== null && changed.length <= 100 ? changed.map((c) => c.id) : null,
        unreadCount: counts.unreadCount,
        unseenCount: counts.unseenCount,
      });
    }
    return {
      updated: changed.length,
      changed: ids === null ? [] : changed,
      unreadCount: counts.unreadCount,
      unseenCount: counts.unseenCount,
    };
  }
}
