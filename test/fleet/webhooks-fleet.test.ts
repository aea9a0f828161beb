// Webhooks across a fleet: two real Herald processes on one PostgreSQL
// database deliver each event once between them, and an instance killed with
// SIGKILL in the middle of a delivery loses nothing: after a restart the
// event arrives, with the same webhook-id.
import { setTimeout as sleep } from 'node:timers/promises';
import { print } from 'graphql';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { signMemberToken } from '../../src/auth/jwt.ts';
import { CreateApiKey, CreateWebhookEndpoint, Send, WebhookAttempts } from '../support/documents.ts';
import { type ServerProcess, startServer, stop, waitUntilReady } from '../support/server-process.ts';
import { signedWith, WebhookReceiver } from '../support/webhook-receiver.ts';

const BASE_URL = process.env.FLEET_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.FLEET_REDIS_URL ?? 'redis://127.0.0.1:6379';
const SECRET = 'fleet-test-secret-long-enough-for-hs256';
const dbName = `herald_hooks_fleet_${process.pid}_${Date.now().toString(36)}`;
const dbUrl = Object.assign(new URL(BASE_URL), { pathname: `/${dbName}` }).toString();
const admin = new pg.Client({ connectionString: BASE_URL });

const instances: ServerProcess[] = [];

async function start(): Promise<ServerProcess> {
  const instance = await startServer(['--import', 'tsx', 'src/main.ts'], {
    DATABASE_URL: dbUrl,
    AUTH_JWT_SECRET: SECRET,
    REDIS_URL,
    LOG_LEVEL: 'warn',
    WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
    // A killed instance's job is taken back after 3 s (the default is a minute).
    WEBHOOK_TIMEOUT_MS: '1000',
    WEBHOOK_LOCK_TIMEOUT_MS: '3000',
    WEBHOOK_RETRY_SCHEDULE_MS: '500,500',
  });
  instances.push(instance);
  await waitUntilReady(instance);
  return instance;
}

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

let receiver: WebhookReceiver;
let a: ServerProcess;
let b: ServerProcess;
let member: string;
let key: string;

async function endpoint(instance: ServerProcess, path: string): Promise<{ id: string; secret: string }> {
  const { createWebhookEndpoint } = await gql(instance, member, CreateWebhookEndpoint, { input: { url: `${receiver.url}${path}` } });
  return { id: createWebhookEndpoint.endpoint.id, secret: createWebhookEndpoint.secret };
}

const send = (instance: ServerProcess, title: string) => gql(instance, key, Send, { input: { message: { title, body: 'b' } } });

beforeAll(async () => {
  await admin.connect();
  await admin.query(`CREATE DATABASE "${dbName}"`);
  receiver = await WebhookReceiver.start();
  [a, b] = await Promise.all([start(), start()]);
  member = await signMemberToken(new TextEncoder().encode(SECRET), { subject: 'ops', accountSlug: 'hooks' });
  key = (await gql(a, member, CreateApiKey, { input: { name: 'Sender', scope: { kind: 'ALL' } } })).createApiKey.secret;
}, 120_000);

afterAll(async () => {
  for (const instance of instances) if (instance.child.exitCode === null) instance.child.kill('SIGKILL');
  await receiver?.close();
  await admin.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
  await admin.end();
});

describe('webhooks in a fleet of two', () => {
  test('sends through both instances: each event delivered once, between them', async () => {
    const hook = await endpoint(a, '/once');
    const titles = Array.from({ length: 200 }, (_, i) => `m${i}`);
    for (let i = 0; i < titles.length; i += 20) {
      await Promise.all(titles.slice(i, i + 20).map((title, j) => send(j % 2 === 0 ? a : b, title)));
    }
    const requests = await receiver.waitFor('/once', 200, 30_000);
    await sleep(1_000);
    expect(receiver.at('/once')).toHaveLength(200);
    expect(new Set(requests.map((r) => r.headers['webhook-id'])).size).toBe(200);
    expect(new Set(requests.map((r) => r.event.data.title))).toEqual(new Set(titles));
    expect(requests.every((r) => signedWith(hook.secret, r))).toBe(true);
  });

  test('an instance killed (SIGKILL) mid-delivery: after a restart the event arrives, with the same webhook-id', async () => {
    // One instance, so that the one killed is the one delivering.
    await stop(b);
    const hook = await endpoint(a, '/killed');
    let killed = false;
    // The first try can reach the receiver before the send's own response has left A: the kill waits for that response.
    let sendAnswered = () => {};
    const answered = new Promise<void>((resolve) => {
      sendAnswered = resolve;
    });
    receiver.answerWith(async (request, res) => {
      if (request.path === '/killed' && !killed) {
        killed = true;
        await answered;
        a.child.kill('SIGKILL');
        await sleep(2_000);
        res.destroy();
        return;
      }
      res.end('ok');
    });
    await send(a, 'in flight');
    sendAnswered();
    const [first] = await receiver.waitFor('/killed', 1, 10_000);
    await a.exited;
    const restarted = await start();
    const [, second] = await receiver.waitFor('/killed', 2, 20_000);
    expect(second.headers['webhook-id']).toBe(first.headers['webhook-id']);
    expect(second.body).toBe(first.body);
    expect(signedWith(hook.secret, second)).toBe(true);
    // The killed try was never recorded: the log has the one that succeeded.
    let attempts: { attempt: number; status: string }[] = [];
    for (let i = 0; i < 50 && attempts.length === 0; i += 1) {
      attempts = (await gql(restarted, member, WebhookAttempts, { id: hook.id })).webhookEndpoint.attempts.edges.map(
        (e: { node: unknown }) => e.node,
      );
      if (attempts.length === 0) await sleep(100);
    }
    expect(attempts).toMatchObject([{ attempt: 1, status: 'SUCCEEDED' }]);
    await sleep(1_000);
    expect(receiver.at('/killed')).toHaveLength(2);
  });
});
