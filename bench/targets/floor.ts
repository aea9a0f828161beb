// The floor: what the key check and send cost done as plainly as possible on
// the same database, with node:http and pg's prepared statements. Herald's
// rows are measured against these (issue "The hot path at the floor").
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import pg from 'pg';

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 });

export interface FloorKey {
  id: string;
  accountId: string;
  scopeKind: 'ALL' | 'CHANNELS';
  channelIds: string[];
  channelSlugs: string[];
}

/** One statement: the key by the SHA-256 of its secret, with its channels' ids and slugs. */
const KEY_BY_HASH = {
  name: 'floor-key-by-hash',
  text: `SELECT k.id, k."accountId", k."scopeKind",
                coalesce(array_agg(c.id) FILTER (WHERE c.id IS NOT NULL), '{}') AS "channelIds",
                coalesce(array_agg(c.slug) FILTER (WHERE c.id IS NOT NULL), '{}') AS "channelSlugs"
         FROM "ApiKey" k
         LEFT JOIN "ApiKeyChannel" kc ON kc."apiKeyId" = k.id
         LEFT JOIN "Channel" c ON c.id = kc."channelId"
         WHERE k."secretHash" = $1 AND k."revokedAt" IS NULL AND (k."expiresAt" IS NULL OR k."expiresAt" > now())
         GROUP BY k.id`,
};

export async function findKey(authorization: string | undefined): Promise<FloorKey | null> {
  const secret = authorization?.startsWith('Bearer ') ? authorization.slice(7) : null;
  if (!secret) return null;
  const hash = createHash('sha256').update(secret).digest('hex');
  const { rows } = await pool.query<FloorKey>({ ...KEY_BY_HASH, values: [hash] });
  return rows[0] ?? null;
}

/**
 * Send as one INSERT…SELECT: the message, its channels and the deliveries, with
 * the channel ids as parameters. Channel-scoped keys only (the bench's), as a floor.
 */
export const SEND = {
  name: 'floor-send',
  text: `WITH targets AS MATERIALIZED (SELECT DISTINCT "recipientId" AS id FROM "RecipientChannel" WHERE "channelId" = ANY($3::uuid[]) ORDER BY id),
         message AS (
           INSERT INTO "Message" ("accountId", "apiKeyId", title, body, data, "allRecipients", "recipientCount")
           SELECT $1::uuid, $2::uuid, $4, $5, $6::jsonb, false, (SELECT count(*)::int FROM targets)
           RETURNING id, "recipientCount"
         ),
         message_channels AS (INSERT INTO "MessageChannel" ("channelId", "messageId") SELECT c, message.id FROM message, unnest($3::uuid[]) AS c),
         deliveries AS (INSERT INTO "Delivery" ("messageId", "recipientId") SELECT message.id, targets.id FROM message, targets)
         SELECT id, "recipientCount" FROM message`,
};

export interface SendMessage {
  title: string;
  body: string;
  data?: unknown;
}

/** SEND's values, or null when a channel is outside the key's (or the key is not channel scoped). */
export function sendValues(key: FloorKey, slugs: string[], message: SendMessage): unknown[] | null {
  if (key.scopeKind !== 'CHANNELS') return null;
  const channelIds: string[] = [];
  for (const slug of slugs) {
    const at = key.channelSlugs.indexOf(slug);
    if (at < 0) return null;
    channelIds.push(key.channelIds[at]);
  }
  const data = message.data === undefined ? null : JSON.stringify(message.data);
  return [key.accountId, key.id, channelIds, message.title, message.body, data];
}

export const query = <T extends pg.QueryResultRow>(config: pg.QueryConfig) => pool.query<T>(config);

/** A JSON server: `handle` returns the status and the body to send. */
export function serve(handle: (req: IncomingMessage, body: string) => Promise<[number, string]>): void {
  const respond = (res: ServerResponse, [status, body]: [number, string]) => {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  };
  createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      handle(req, Buffer.concat(chunks).toString()).then(
        (answer) => respond(res, answer),
        (error: Error) => respond(res, [500, JSON.stringify({ errors: [{ message: error.message }] })]),
      );
    });
  }).listen(Number(process.env.PORT), '127.0.0.1');
  process.on('SIGTERM', () => pool.end().then(() => process.exit(0)));
}

export const unauthenticated: [number, string] = [401, '{"errors":[{"message":"The API key is invalid."}]}'];
