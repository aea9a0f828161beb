// send, in one SQL statement: the message, its channels, one delivery per
// distinct recipient, with an Idempotency-Key the record of the key, and the
// message.sent webhook events with their jobs (src/webhooks/enqueue.ts), all
// written together or not at all, however many recipients. Raw SQL, so the
// account is named in the statement itself (the tenant client does not see it).
import DataLoader from 'dataloader';
import { isAblated } from '../ablation.ts';
import { databaseDeadline, type WorkScope } from '../db/deadline.ts';
import type { PrismaClient } from '../db/index.ts';
import { DatabaseUnavailableError } from '../db/outage.ts';
import { composed, isUniqueViolation, type Sql } from '../db/sql.ts';
import { Prisma } from '../generated/prisma/client.ts';
import type { Target } from '../scoping/rules.ts';
import { type MessageVisibility, visibleMessages } from '../scoping/visibility.ts';
import { idFilter, isUuid } from '../validation.ts';
import { messageSentEvents } from '../webhooks/enqueue.ts';
import type { ChannelRef, ChannelService } from './channels.ts';
import { accountOf, type RequestScope } from './index.ts';

/** Off only in the bench's ablation table (src/ablation.ts). */
const withoutPublish = isAblated('bus-publish');

export type MessageRow = Prisma.MessageGetPayload<object>;

/** How long a send is remembered under its Idempotency-Key. */
export const IDEMPOTENCY_HOURS = 24;

export interface SendRequest {
  accountId: string;
  keyId: string;
  /** Every recipient of the account, or those of these channels (the account's). */
  target: { kind: 'ALL' } | { kind: 'CHANNELS'; channels: ChannelRef[] };
  title: string;
  body: string;
  data: Record<string, unknown> | null;
  /** The request's Idempotency-Key and the fingerprint of its body. */
  idempotency?: { key: string; fingerprint: string };
  /** The request's scope: send's statement ends with it, and checks its deadline on the server's clock. */
  work?: WorkScope;
}

export type SendOutcome =
  | { kind: 'sent'; message: MessageRow }
  /** The same key and body were sent before: this is that message. */
  | { kind: 'replayed'; message: MessageRow }
  /** The same key is being sent right now, by another request. */
  | { kind: 'in-use' }
  /** The same key was sent before with another body. */
  | { kind: 'reused' };

/**
 * The columns send returns, named: with `*`, a migration that adds a column
 * would change what running instances of the previous release read.
 */
const MESSAGE_COLUMNS = Prisma.raw(
  [
    'id',
    'seq',
    '"accountId"',
    '"apiKeyId"',
    'title',
    'body',
    'data',
    '"allRecipients"',
    '"channelSlugs"',
    '"recipientCount"',
    '"createdAt"',
  ].join(', '),
);

/** A Message row as pg reads it: bigint arrives as a string. */
type RawMessage = Omit<MessageRow, 'seq'> & { seq: string };

const messageRow = ({ seq, ...rest }: RawMessage): MessageRow => ({ ...rest, seq: BigInt(seq) });

interface Row extends Partial<RawMessage> {
  inTime: boolean;
  /** The message.sent events queued for the account's webhook endpoints. */
  webhookEvents: number;
  claimed: boolean;
  earlierFingerprint: string | null;
  earlierMessageId: string | null;
}

/**
 * Sent through the hot path's statements (src/db/sql.ts), prepared once per
 * connection. Within a request, never after it is over: a request whose client
 * left or whose deadline passed does not start the statement (src/db/deadline.ts
 * refuses it, and cancels it if that happens while it runs), and the statement
 * itself checks the deadline on the database's clock before it writes anything,
 * so that one that reaches the database late (a lock, a frozen server) does nothing.
 */
export async function sendMessage(sql: Sql, request: SendRequest): Promise<SendOutcome> {
  try {
    return await attempt(sql, request);
  } catch (error) {
    // Two first requests with one key at once: the loser's statement wrote nothing. Or a
    // record past its 24 hours still holds the key: it goes, and the send is tried once more.
    if (!request.idempotency || !isUniqueViolation(error)) throw error;
    await sql(Prisma.sql`
      DELETE FROM "IdempotencyKey"
      WHERE "apiKeyId" = ${request.keyId}::uuid AND key = ${request.idempotency.key} AND "expiresAt" <= now()`);
    return attempt(sql, request);
  }
}

/** What one send's statement takes. */
interface SendValues extends Record<string, unknown> {
  deadline: number | null;
  accountId: string;
  keyId: string;
  title: string;
  body: string;
  data: string | null;
  allRecipients: boolean;
  channelIds: string[];
  channelSlugs: string[];
  /** The channels whose recipients it reaches; null: every recipient of the account. */
  targetChannels: string[] | null;
  /** With an Idempotency-Key: the key, its lock's name and the request's fingerprint. */
  idempotencyKey: string | null;
  lock: string | null;
  fingerprint: string | null;
}

/**
 * send's statement, composed once with and once without an Idempotency-Key
 * (src/db/sql.ts's `composed`): the rest is values.
 */
function sendStatement(idempotent: boolean) {
  return composed<SendValues>((value) => {
    const accountId = value('accountId');
    const keyId = value('keyId');
    const channelIds = value('channelIds');
    // The recipients, in id order, by a query planned for these channels (herald_send_targets,
    // in the migrations): the rest of the statement keeps one plan for every send.
    const recipients = Prisma.sql`SELECT id FROM herald_send_targets(${accountId}::uuid, ${value('targetChannels')}::uuid[])`;
    // With an Idempotency-Key: a transaction-scoped advisory lock on the key tells a
    // retry that arrives while the first request runs (on any instance) to come back
    // later, and the unique record stops the rare one that slips between two statements.
    const claim = idempotent
      ? Prisma.sql`SELECT pg_try_advisory_xact_lock(hashtextextended(${value('lock')}, 0)) AS held`
      : Prisma.sql`SELECT true AS held`;
    const earlier = idempotent
      ? Prisma.sql`SELECT fingerprint, "messageId" FROM "IdempotencyKey"
                   WHERE "apiKeyId" = ${keyId}::uuid AND key = ${value('idempotencyKey')} AND "expiresAt" > now()`
      : Prisma.sql`SELECT NULL::text AS fingerprint, NULL::uuid AS "messageId" WHERE false`;
    const record = idempotent
      ? Prisma.sql`INSERT INTO "IdempotencyKey" ("apiKeyId", key, fingerprint, "messageId", "expiresAt")
                   SELECT ${keyId}::uuid, ${value('idempotencyKey')}, ${value('fingerprint')}, id,
                          now() + make_interval(hours => ${IDEMPOTENCY_HOURS}) FROM message`
      : Prisma.sql`SELECT 1`;
    return Prisma.sql`
    WITH timely AS (SELECT clock_timestamp() < coalesce(to_timestamp(${value('deadline')}::float8 / 1000), 'infinity') AS ok),
    claim AS (${claim}),
    earlier AS (${earlier}),
    go AS (SELECT 1 FROM claim, timely WHERE held AND ok AND NOT EXISTS (SELECT 1 FROM earlier)),
    targets AS MATERIALIZED (${recipients}),
    message AS (
      INSERT INTO "Message" ("accountId", "apiKeyId", title, body, data, "allRecipients", "channelSlugs", "recipientCount")
      SELECT ${accountId}::uuid, ${keyId}::uuid, ${value('title')}, ${value('body')}, ${value('data')}::jsonb,
             ${value('allRecipients')}, ${value('channelSlugs')}::text[], (SELECT count(*)::int FROM targets)
      FROM go
      RETURNING ${MESSAGE_COLUMNS}
    ),
    message_channels AS (
      INSERT INTO "MessageChannel" ("channelId", "messageId") SELECT channel, message.id FROM message, unnest(${channelIds}::uuid[]) AS channel
    ),
    deliveries AS (
      INSERT INTO "Delivery" ("messageId", "recipientId", "messageSeq") SELECT message.id, targets.id, message.seq FROM message, targets
    ),
    record AS (${record}),
    ${messageSentEvents(accountId, channelIds)}
    SELECT (SELECT ok FROM timely) AS "inTime", (SELECT count(*) FROM hook_jobs)::int AS "webhookEvents", (SELECT held FROM claim) AS claimed, (SELECT fingerprint FROM earlier) AS "earlierFingerprint",
           (SELECT "messageId"::text FROM earlier) AS "earlierMessageId", ${MESSAGE_COLUMNS}
    FROM (SELECT 1) AS one LEFT JOIN message ON true`;
  });
}

const SEND = { plain: sendStatement(false), idempotent: sendStatement(true) };

async function attempt(sql: Sql, { accountId, keyId, target, title, body, data, idempotency, work }: SendRequest): Promise<SendOutcome> {
  const channelIds = target.kind === 'ALL' ? [] : target.channels.map((c) => c.id);
  if (work?.stopped) throw work.stopped;
  const statement = (idempotency ? SEND.idempotent : SEND.plain)({
    deadline: databaseDeadline(work),
    accountId,
    keyId,
    title,
    body,
    data: data === null ? null : JSON.stringify(data),
    allRecipients: target.kind === 'ALL',
    channelIds,
    channelSlugs: target.kind === 'ALL' ? [] : target.channels.map((c) => c.slug).sort(),
    targetChannels: target.kind === 'ALL' ? null : channelIds,
    idempotencyKey: idempotency?.key ?? null,
    lock: idempotency ? `${keyId}:${idempotency.key}` : null,
    fingerprint: idempotency?.fingerprint ?? null,
  });
  const [row] = await sql<Row>(statement, { prepare: true, scope: work });
  if (row.id) {
    const {
      inTime: _inTime,
      claimed: _claimed,
      earlierFingerprint: _fingerprint,
      earlierMessageId: _messageId,
      webhookEvents: _webhookEvents,
      ...message
    } = row;
    return { kind: 'sent', message: messageRow(message as RawMessage) };
  }
  if (!row.inTime) throw new DatabaseUnavailableError('slow', "the request's deadline passed before send reached the database");
  if (!row.claimed) return { kind: 'in-use' };
  if (row.earlierFingerprint !== idempotency?.fingerprint) return { kind: 'reused' };
  const [message] = await sql<RawMessage>(Prisma.sql`SELECT ${MESSAGE_COLUMNS} FROM "Message" WHERE id = ${row.earlierMessageId}::uuid`);
  return { kind: 'replayed', message: messageRow(message) };
}

/** Deletes records past their 24 hours, a batch at a time (lookups already ignore them). */
export async function purgeExpiredIdempotencyKeys(db: PrismaClient, batch = 10_000): Promise<number> {
  return db.$executeRaw`
    DELETE FROM "IdempotencyKey" WHERE ctid IN (
      SELECT ctid FROM "IdempotencyKey" WHERE "expiresAt" <= now() LIMIT ${batch}
    )`;
}

/** What became of a message in its recipients' inboxes and at the account's webhook endpoints (its message.sent event at each). */
export interface DeliveryStats {
  recipients: number;
  seen: number;
  read: number;
  webhooksSucceeded: number;
  webhooksPending: number;
  webhooksFailed: number;
}

type MessageSelection = { select?: Prisma.MessageSelect; include?: Prisma.MessageInclude } | object;

/** The caller's messages: what it may see of them, and send (keys). */
export class MessageService {
  private readonly stats: DataLoader<string, DeliveryStats>;

  constructor(
    private readonly scope: RequestScope,
    private readonly channels: ChannelService,
  ) {
    const { sql } = scope.shared;
    // Raw SQL over Delivery, which has no account of its own: the account is named with the message.
    this.stats = new DataLoader(async (ids) => {
      // Webhooks: the message.sent event at each endpoint, by where it stands (not its tries).
      const rows = await sql<{ id: string } & DeliveryStats>(Prisma.sql`
        SELECT m.id::text, m."recipientCount" AS recipients, s.seen, s.read, h.succeeded AS "webhooksSucceeded",
               h.pending AS "webhooksPending", h.failed AS "webhooksFailed"
        FROM "Message" m CROSS JOIN LATERAL (
          SELECT count(*) FILTER (WHERE d."seenAt" IS NOT NULL)::int AS seen, count(*) FILTER (WHERE d."readAt" IS NOT NULL)::int AS read
          FROM "Delivery" d WHERE d."messageId" = m.id
        ) AS s CROSS JOIN LATERAL (
          SELECT count(*) FILTER (WHERE w.status = 'SUCCEEDED')::int AS succeeded, count(*) FILTER (WHERE w.status = 'PENDING')::int AS pending,
                 count(*) FILTER (WHERE w.status = 'FAILED')::int AS failed
          FROM "WebhookDelivery" w WHERE w."messageId" = m.id AND w."eventType" = 'MESSAGE_SENT'
        ) AS h
        WHERE m.id = ANY(${ids.filter(isUuid)}::uuid[]) AND m."accountId" = ${accountOf(scope)}::uuid`);
      const byId = new Map(rows.map((r) => [r.id, r]));
      const none: DeliveryStats = { recipients: 0, seen: 0, read: 0, webhooksSucceeded: 0, webhooksPending: 0, webhooksFailed: 0 };
      return ids.map((id) => {
        const { id: _id, ...stats } = byId.get(id) ?? { id, ...none };
        return stats;
      });
    });
  }

  private visible(): MessageVisibility {
    const { caller } = this.scope;
    if (caller.kind !== 'member' && caller.kind !== 'key') throw new Error('messages: members and keys only');
    return visibleMessages(caller);
  }

  /**
   * The ids of the messages a CHANNELS key sees (its filter is SQL: see
   * visibleMessages), newest first: a page below `before`, or one message.
   */
  private async scopedIds(condition: Prisma.Sql, { before, id, take }: { before?: bigint; id?: string; take: number }): Promise<string[]> {
    const rows = await this.scope.sql<{ id: string }>(
      Prisma.sql`
      SELECT m.id::text FROM "Message" m
      WHERE ${condition}
        ${before === undefined ? Prisma.empty : Prisma.sql`AND m.seq < ${before.toString()}::bigint`}
        ${id === undefined ? Prisma.empty : Prisma.sql`AND m.id = ${id}::uuid`}
      ORDER BY m.seq DESC LIMIT ${take}`,
    );
    return rows.map((r) => r.id);
  }

  /** Messages the caller may see, newest first, with seq below `before` (a cursor's). */
  async list({ before, take }: { before?: bigint; take: number }, selection: MessageSelection): Promise<MessageRow[]> {
    const visible = this.visible();
    if (visible.kind === 'where') {
      return this.scope.db.message.findMany({
        ...selection,
        where: before === undefined ? visible.where : { AND: [visible.where, { seq: { lt: before } }] },
        orderBy: { seq: 'desc' },
        take,
      }) as Promise<MessageRow[]>;
    }
    // A CHANNELS key: the page's ids by its filter, then the rows with what the query selects.
    const ids = await this.scopedIds(visible.condition, { before, take });
    return this.scope.db.message.findMany({ ...selection, where: { id: { in: ids } }, orderBy: { seq: 'desc' } }) as Promise<MessageRow[]>;
  }

  async count(): Promise<number> {
    const visible = this.visible();
    if (visible.kind === 'where') return this.scope.db.message.count({ where: visible.where });
    const [row] = await this.scope.sql<{ count: number }>(
      Prisma.sql`SELECT count(*)::int AS count FROM "Message" m WHERE ${visible.condition}`,
    );
    return row.count;
  }

  /** One message the caller may see; null otherwise. */
  async find(id: string, selection: MessageSelection): Promise<MessageRow | null> {
    const visible = this.visible();
    if (visible.kind === 'where') {
      return this.scope.db.message.findFirst({ ...selection, where: { AND: [visible.where, idFilter(id)] } }) as Promise<MessageRow | null>;
    }
    const ids = isUuid(id) ? await this.scopedIds(visible.condition, { id, take: 1 }) : [];
    return this.scope.db.message.findFirst({ ...selection, where: { id: { in: ids } } }) as Promise<MessageRow | null>;
  }

  deliveryStats(messageId: string): Promise<DeliveryStats> {
    return this.stats.load(messageId);
  }

  /**
   * send: the target the access rules resolved, in one statement; then the
   * fleet is told (one bus message, whatever the recipient count), so that
   * every instance's open inboxes get the message.
   */
  async send(
    target: Target,
    message: { title: string; body: string; data: Record<string, unknown> | null },
    idempotency: SendRequest['idempotency'],
  ): Promise<SendOutcome> {
    const { caller, shared } = this.scope;
    if (caller.kind !== 'key') throw new Error('send: API keys only');
    const channels = target.kind === 'ALL' ? [] : await this.channels.resolve(target.channels, 'target.channels');
    const outcome = await sendMessage(shared.sql, {
      accountId: caller.accountId,
      keyId: caller.key.id,
      target: target.kind === 'ALL' ? { kind: 'ALL' } : { kind: 'CHANNELS', channels },
      ...message,
      idempotency,
      work: this.scope.work,
    });
    if (outcome.kind === 'sent') {
      shared.onSent(outcome.message.recipientCount);
      if (!withoutPublish)
        shared.bus.publish({
          type: 'message.sent',
          accountId: caller.accountId,
          messageId: outcome.message.id,
          seq: outcome.message.seq.toString(),
        });
    }
    return outcome;
  }
}
