// The production entrypoint: `npm run build`, then plain `node dist/main.js`
// (no tsx, no npm) on PostgreSQL and on the embedded database.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { print } from 'graphql';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { signMemberToken } from '../../src/auth/jwt.ts';
import { Channels, CreateApiKey, CreateChannel, CreateRecipient, CreateRecipientToken, InboxEvents, Send } from '../support/documents.ts';
import { PROJECT_DIR, type ServerProcess, startServer, waitUntilReady } from '../support/server-process.ts';
import { sse, ws } from '../support/streams.ts';

const BASE_URL = process.env.FLEET_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const SECRET = 'production-build-test-secret-long-enough';
const dbName = `herald_build_${process.pid}_${Date.now().toString(36)}`;
const dbUrl = Object.assign(new URL(BASE_URL), { pathname: `/${dbName}` }).toString();
const admin = new pg.Client({ connectionString: BASE_URL });

const DATABASES = [
  ['PostgreSQL', () => dbUrl],
  ['the embedded database', () => 'memory:'],
] as const;

const started: ServerProcess[] = [];

async function start(databaseUrl: string, env: Record<string, string> = {}): Promise<ServerProcess> {
  const server = await startServer(['dist/main.js'], { DATABASE_URL: databaseUrl, AUTH_JWT_SECRET: SECRET, LOG_LEVEL: 'info', ...env });
  started.push(server);
  return server;
}

async function gql(server: ServerProcess, token: string, document: Parameters<typeof print>[0], variables?: unknown) {
  const response = await fetch(server.url('/graphql'), {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: print(document), variables }),
  });
  // biome-ignore lint/suspicious/noExplicitAny: a raw client; each test checks the shape it needs.
  return { status: response.status, body: (await response.json()) as any };
}

/** The exit code, or 'still running' when the process has not exited within `ms`. */
const exitWithin = (server: ServerProcess, ms: number) =>
  Promise.race([server.exited, new Promise<'still running'>((r) => setTimeout(r, ms, 'still running'))]);

beforeAll(async () => {
  await promisify(execFile)('npm', ['run', 'build'], { cwd: PROJECT_DIR });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${dbName}"`);
}, 120_000);

afterEach(() => {
  for (const server of started.splice(0))
    if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGKILL');
});

afterAll(async () => {
  await admin.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
  await admin.end();
});

describe.each(DATABASES)('node dist/main.js on %s', (_, databaseUrl) => {
  test('migrates, answers GraphQL, serves the dashboard, and drains on SIGTERM with exit 0', async () => {
    const server = await start(databaseUrl());
    await waitUntilReady(server);

    const member = await signMemberToken(new TextEncoder().encode(SECRET), { subject: 'ops', accountSlug: 'build' });
    const created = await gql(server, member, CreateChannel, { input: { slug: 'news', name: 'News' } });
    expect(created).toMatchObject({ status: 200, body: { data: { createChannel: { slug: 'news' } } } });
    expect((await gql(server, member, Channels)).body.data.channels).toEqual([expect.objectContaining({ slug: 'news' })]);
    // Our own GraphQLErrors reach the client as such (one graphql instance in the bundle), not masked.
    const refused = await gql(server, 'not-a-token', Channels);
    expect(refused.status).toBe(401);
    expect(refused.body.errors[0].extensions.code).toBe('UNAUTHENTICATED');

    // web/dist is found from dist/: the page and the assets it names.
    const page = await fetch(server.url('/'));
    expect(page.status).toBe(200);
    const assets = [...(await page.text()).matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]);
    expect(assets.length).toBeGreaterThan(0);
    for (const asset of assets) expect((await fetch(server.url(asset))).status).toBe(200);

    // The inbox streams of the bundle (ws, graphql-ws and graphql-jit inside it): a send reaches both.
    await gql(server, member, CreateRecipient, { input: { externalId: 'ada', channels: ['news'] } });
    const key = (await gql(server, member, CreateApiKey, { input: { name: 'k', scope: { kind: 'ALL' } } })).body.data.createApiKey.secret;
    const token = (await gql(server, member, CreateRecipientToken, { input: { externalId: 'ada' } })).body.data.createRecipientToken.token;
    const overSse = sse(server.url(''), token, { document: InboxEvents });
    const connection = ws(server.url(''), token);
    const overWs = connection.subscribe({ document: InboxEvents });
    await new Promise((r) => setTimeout(r, 500));
    const sent = await gql(server, key, Send, { input: { message: { title: 'built', body: 'b' } } });
    for (const stream of [overSse, overWs]) expect((await stream.waitFor(1, 3_000))[0].inbox.item?.title).toBe('built');
    expect(sent.status).toBe(200);

    // SIGTERM ends the open streams (they resume elsewhere) and drains.
    server.child.kill('SIGTERM');
    expect(await overSse.ended).toBeNull();
    expect((await connection.closed).code).toBe(1001);
    expect(await server.exited).toBe(0);
    expect(server.output.join('')).toMatch(/"msg":"stopped"/);
    expect(await fetch(server.url('/health')).catch(() => null)).toBeNull();
  });
});

test('a stdout whose reader is gone cannot wedge shutdown: SIGTERM exits within the deadline', async () => {
  const server = await start(dbUrl, { SHUTDOWN_TIMEOUT_MS: '2000' });
  await waitUntilReady(server);
  // As when the log shipper reading the pipe exits: every later write to stdout fails with EPIPE.
  server.child.stdout.destroy();
  // The server logs into the closed pipe as it shuts down.
  server.child.kill('SIGTERM');
  expect(await exitWithin(server, 5_000)).toBe(0);
  expect(await fetch(server.url('/health')).catch(() => null)).toBeNull();
});

test('a stdout whose reader stopped reading cannot wedge shutdown: requests go on, SIGTERM exits within the deadline', async () => {
  const server = await start(dbUrl, { SHUTDOWN_TIMEOUT_MS: '2000' });
  await waitUntilReady(server);
  // As when the log shipper hangs: the pipe fills up and stays full.
  server.child.stdout.pause();
  // ~2 MB of request log lines, far more than a pipe holds.
  const query = encodeURIComponent(`query ${'Padded'.repeat(50)} { __typename }`);
  const headers = { 'x-request-id': 'r'.repeat(128) };
  for (let i = 0; i < 150; i += 1) {
    const answers = await Promise.all(Array.from({ length: 20 }, () => fetch(server.url(`/graphql?query=${query}`), { headers })));
    expect(answers.map((r) => r.status)).toEqual(Array(20).fill(200));
  }
  server.child.kill('SIGTERM');
  expect(await exitWithin(server, 5_000)).toBe(0);
});
