// send, in one SQL statement: the message, its channels, one delivery per
// distinct recipient and, with an Idempotency-Key, the record of the key, all
// written together or not at all, however many recipients. Raw SQL, so the
// account is named in the statement itself (the tenant client does not see it).
import { currentScope, databaseDeadline } from '../db/deadline.ts';
import type { PrismaClient } from '../db/index.ts';
import { DatabaseUnavailableError } from '../db/outage.ts';
import { isUniqueViolation, type Sql } from '../db/sql.ts';
import { Prisma } from '../generated/prisma/client.ts';

export type MessageRow = Prisma.MessageGetPayload<object>;

/** How long a send is remembered under its Idempotency-Key. */
export const IDEMPOTENCY_HOURS = 24;

export interface SendRequest {
  accountId: string;
  keyId: string;
  /** Every recipient of the account, or those of these channels (ids of the account's channels). */
  target: { kind: 'ALL' } | { kind: 'CHANNELS'; channelIds: string[] };
  title: string;
  body: string;
  data: Record<string, unknown> | null;
  /** The request's Idempotency-Key and the fingerprint of its body. */
  idempotency?: { key: string; fingerprint: string };
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
 * The columns send returns, named: a prepared statement keeps its result's
 * shape, so `*` would break running instances when a migration adds a column.
 */
const MESSAGE_COLUMNS = Prisma.raw(
  ['id', 'seq', '"accountId"', '"apiKeyId"', 'title', 'body', 'data', '"allRecipients"', '"recipientCount"', '"createdAt"'].join(', '),
);

/** A Message row as pg reads it: bigint arrives as a string. */
type RawMessage = Omit<MessageRow, 'seq'> & { seq: string };

const messageRow = ({ seq, ...rest }: RawMessage): MessageRow => ({ ...rest, seq: BigInt(seq) });

interface Row extends Partial<RawMessage> {
  inTime: boolean;
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

async function attempt(sql: Sql, { accountId, keyId, target, title, body, data, idempotency }: SendRequest): Promise<SendOutcome> {
  const scope = currentScope();
  if (scope?.signal.aborted) throw scope.signal.reason;
  const deadline = databaseDeadline(scope);
  const channelIds = target.kind === 'ALL' ? [] : target.channelIds;
  // The channel ids as values: the planner reads each channel's size from its
  // statistics and looks up small channels by index even beside a huge one.
  // In id order: the deliveries' index grows at its right edge, not at random pages.
  const recipients =
    target.kind === 'ALL'
      ? Prisma.sql`SELECT id FROM "Recipient" WHERE "accountId" = ${accountId}::uuid ORDER BY id`
      : Prisma.sql`SELECT DISTINCT "recipientId" AS id FROM "RecipientChannel" WHERE "channelId" = ANY(${channelIds}::uuid[]) ORDER BY id`;
  // With an Idempotency-Key: a transaction-scoped advisory lock on the key tells a
  // retry that arrives while the first request runs (on any instance) to come back
  // later, and the unique record stops the rare one that slips between two statements.
  const claim = idempotency
    ? Prisma.sql`SELECT pg_try_advisory_xact_lock(hashtextextended(${`${keyId}:${idempotency.key}`}, 0)) AS held`
    : Prisma.sql`SELECT true AS held`;
  const earlier = idempotency
    ? Prisma.sql`SELECT fingerprint, "messageId" FROM "IdempotencyKey"
                 WHERE "apiKeyId" = ${keyId}::uuid AND key = ${idempotency.key} AND "expiresAt" > now()`
    : Prisma.sql`SELECT NULL::text AS fingerprint, NULL::uuid AS "messageId" WHERE false`;
  const record = idempotency
    ? Prisma.sql`INSERT INTO "IdempotencyKey" ("apiKeyId", key, fingerprint, "messageId", "expiresAt")
                 SELECT ${keyId}::uuid, ${idempotency.key}, ${idempotency.fingerprint}, id,
                        now() + make_interval(hours => ${IDEMPOTENCY_HOURS}) FROM message`
    : Prisma.sql`SELECT 1`;
  const [row] = await sql<Row>(
    Prisma.sql`
    WITH timely AS (SELECT clock_timestamp() < coalesce(to_timestamp(${deadline}::float8 / 1000), 'infinity') AS ok),
    claim AS (${claim}),
    earlier AS (${earlier}),
    go AS (SELECT 1 FROM claim, timely WHERE held AND ok AND NOT EXISTS (SELECT 1 FROM earlier)),
    targets AS MATERIALIZED (${recipients}),
    message AS (
      INSERT INTO "Message" ("accountId", "apiKeyId", title, body, data, "allRecipients", "recipientCount")
      SELECT ${accountId}::uuid, ${keyId}::uuid, ${title}, ${body}, ${data === null ? null : JSON.stringify(data)}::jsonb,
             ${target.kind === 'ALL'}, (SELECT count(*)::int FROM targets)
      FROM go
      RETURNING ${MESSAGE_COLUMNS}
    ),
    message_channels AS (
      INSERT INTO "MessageChannel" ("channelId", "messageId") SELECT channel, message.id FROM message, unnest(${channelIds}::uuid[]) AS channel
    ),
    deliveries AS (
      INSERT INTO "Delivery" ("messageId", "recipientId") SELECT message.id, targets.id FROM message, targets
    ),
    record AS (${record})
    SELECT (SELECT ok FROM timely) AS "inTime", (SELECT held FROM claim) AS claimed, (SELECT fingerprint FROM earlier) AS "earlierFingerprint",
           (SELECT "messageId"::text FROM earlier) AS "earlierMessageId", ${MESSAGE_COLUMNS}
    FROM (SELECT 1) AS one LEFT JOIN message ON true`,
    { prepare: true },
  );
  if (row.id) {
    const { inTime: _inTime, claimed: _claimed, earlierFingerprint: _fingerprint, earlierMessageId: _messageId, ...message } = row;
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
