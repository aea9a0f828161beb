// The live inbox across a fleet: two real Herald processes on one PostgreSQL
// database, the bus in Redis (REDIS_URL) or in PostgreSQL (LISTEN/NOTIFY).
// A send through one instance reaches streams held by the other; so do marks
// and deletions.
import { setTimeout as sleep } from 'node:timers/promises';
import { print } from 'graphql';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { signMemberToken } from '../../src/auth/jwt.ts';
import { CreateApiKey, CreateChannel, CreateRecipient, CreateRecipientToken, InboxEvents, MarkInbox, Send } from '../support/documents.ts';
import { type ServerProcess, startServer, stop, waitUntilReady } from '../support/server-process.ts';
import { sse, ws } from '../support/streams.ts';

const BASE_URL = process.env.FLEET_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.FLEET_REDIS_URL ?? 'redis://127.0.0.1:6379';
const SECRET = 'fleet-test-secret-long-enough-for-hs256';

async function gql(instance: ServerProcess, token: string, document: Parameters<typeof print>[0], variables: unknown) {
  const response = await fetch(instance.url('/graphql'), {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: print(document), variables }),
  });
  // biome-ignore lint/suspicious/noExplicitAny: a raw client; each test checks the shape it needs.
  const body = (await response.json()) as any;
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

describe.each([
  ['Redis pub/sub', { REDIS_URL }],
  ['PostgreSQL LISTEN/NOTIFY', {}],
] as const)('two instances, the bus in %s', (_name, env) => {
  const dbName = `herald_inbox_fleet_${process.pid}_${Date.now().toString(36)}_${Object.keys(env).length}`;
  const dbUrl = Object.assign(new URL(BASE_URL), { pathname: `/${dbName}` }).toString();
  const admin = new pg.Client({ connectionString: BASE_URL });
  let a: ServerProcess;
  let b: ServerProcess;
  let member: string;
  let key: string;

  const token = async (externalId: string) =>
    (await gql(a, member, CreateRecipientToken, { input: { externalId } })).createRecipientToken.token as string;
  const send = (title: string) => gql(a, key, Send, { input: { message: { title, body: 'b' } } });

  beforeAll(async () => {
    await admin.connect();
    await admin.query(`CREATE DATABASE "${dbName}"`);
    const start = () =>
      startServer(['--import', 'tsx', 'src/main.ts'], { DATABASE_URL: dbUrl, AUTH_JWT_SECRET: SECRET, LOG_LEVEL: 'warn', ...env });
    a = await start();
    await waitUntilReady(a);
    b = await start();
    await waitUntilReady(b);
    member = await signMemberToken(new TextEncoder().encode(SECRET), { subject: 'ops', accountSlug: 'fleet' });
    await gql(a, member, CreateChannel, { input: { slug: 'news', name: 'News' } });
    for (let i = 0; i < 1_000; i += 100) {
      await Promise.all(
        Array.from({ length: 100 }, (_, j) => gql(b, member, CreateRecipient, { input: { externalId: `r${i + j}`, channels: ['news'] } })),
      );
    }
    key = (await gql(a, member, CreateApiKey, { input: { name: 'k', scope: { kind: 'ALL' } } })).createApiKey.secret;
  }, 180_000);

  afterAll(async () => {
    await Promise.all([a, b].filter(Boolean).map((instance) => stop(instance)));
    await admin.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
    await admin.end();
  });

  test('a send through A reaches a stream on B within 1 s, over SSE and over WebSocket', async () => {
    const recipient = await token('r0');
    const overSse = sse(b.url(''), recipient, { document: InboxEvents });
    const connection = ws(b.url(''), recipient);
    const overWs = connection.subscribe({ document: InboxEvents });
    await sleep(500);
    const sent = (await send('across')).send.message.id;
    const at = Date.now();
    for (const stream of [overSse, overWs]) {
      const [event] = await stream.waitFor(1, 2_000);
      expect(event.inbox.item?.id).toBe(sent);
    }
    expect(Date.now() - at).toBeLessThanOrEqual(1_000);
    // A mark through A reaches B's streams too.
    await gql(a, recipient, MarkInbox, { input: { ids: [sent], action: 'READ' } });
    for (const stream of [overSse, overWs]) {
      const [, updated] = await stream.waitFor(2, 2_000);
      expect(updated.inbox).toMatchObject({ kind: 'UPDATED', item: { id: sent }, unreadCount: expect.any(Number) });
    }
    await Promise.all([overSse.close(), overWs.close()]);
    await connection.dispose();
  });

  test('1,000 streams on B, one send through A: every one gets it', async () => {
    // Minted a hundred at a time: a thousand at once would meet the instance's in-flight limit (503), as it should.
    const tokens: string[] = [];
    for (let i = 0; i < 1_000; i += 100) {
      tokens.push(...(await Promise.all(Array.from({ length: 100 }, (_, j) => token(`r${i + j}`)))));
    }
    const streams = tokens.map((t) => sse(b.url(''), t, { document: InboxEvents }));
    // Every stream is open (B's gauge says so) before the send: a stream opened after it would rightly miss it.
    const openStreams = async () => Number(/^herald_inbox_streams (\d+)$/m.exec(await (await fetch(b.url('/metrics'))).text())?.[1]);
    await expect.poll(openStreams, { timeout: 20_000, interval: 200 }).toBe(1_000);
    const sent = (await send('to all')).send.message.id;
    const events = await Promise.all(streams.map((stream) => stream.waitFor(1, 10_000)));
    expect(events.every(([event]) => event.inbox.item?.id === sent)).toBe(true);
    await Promise.all(streams.map((stream) => stream.close()));
  }, 60_000);

  // Redis tells how many connections subscribe to a channel (PostgreSQL tells a session only its own LISTENs).
  if ('REDIS_URL' in env) {
    test("an instance follows an account's channel only while it holds streams of the account, once however many", async () => {
      const redis = new Redis(REDIS_URL);
      const client = new pg.Client({ connectionString: dbUrl });
      await client.connect();
      const { rows: accounts } = await client.query(`SELECT id::text FROM "Account" WHERE slug = 'fleet'`);
      await client.end();
      const channel = `herald_events:${accounts[0].id}`;
      const followers = async () => Number(((await redis.pubsub('NUMSUB', channel)) as [string, number])[1]);
      try {
        await expect.poll(followers, { timeout: 5_000, interval: 50 }).toBe(0);
        const streams = [
          sse(b.url(''), await token('r1'), { document: InboxEvents }),
          sse(b.url(''), await token('r2'), { document: InboxEvents }),
        ];
        await expect.poll(followers, { timeout: 5_000, interval: 50 }).toBe(1);
        // A send still reaches both through the one subscription.
        const sent = (await send('followed')).send.message.id;
        for (const stream of streams) expect((await stream.waitFor(1, 2_000))[0].inbox.item?.id).toBe(sent);
        await streams[0].close();
        await sleep(200);
        expect(await followers()).toBe(1);
        await streams[1].close();
        await expect.poll(followers, { timeout: 5_000, interval: 50 }).toBe(0);
      } finally {
        redis.disconnect();
      }
    });
  }

  test('a recipient deleted through A: its streams on B end within 5 s', async () => {
    const recipient = await token('r999');
    const overSse = sse(b.url(''), recipient, { document: InboxEvents });
    const connection = ws(b.url(''), recipient);
    const overWs = connection.subscribe({ document: InboxEvents });
    await sleep(500);
    const client = new pg.Client({ connectionString: dbUrl });
    await client.connect();
    await client.query(`DELETE FROM "Recipient" WHERE "externalId" = 'r999'`);
    await client.end();
    const started = Date.now();
    await Promise.all([overSse.ended, overWs.ended, connection.closed]);
    expect(Date.now() - started).toBeLessThanOrEqual(5_000);
    expect((await connection.closed).code).toBe(4401);
  });
});
