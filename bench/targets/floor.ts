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
