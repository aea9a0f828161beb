// Webhook delivery end to end: send (or markInbox) → the queue → a local
// receiver, every request verified with the standardwebhooks package.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll } from 'vitest';
import { MarkInbox, MessageById, RollWebhookEndpointSecret, SendWebhookTestEvent, UpdateWebhookEndpoint } from '../support/documents.ts';
import { test as base, describe, expect } from '../support/fixtures.ts';
import { dataOf, errorOf, TestHerald } from '../support/herald.ts';
import { signedWith, verify, WebhookReceiver } from '../support/webhook-receiver.ts';
import { attemptsOf, createEndpoint, waitForAttempts } from '../support/webhooks.ts';

/** Retries 300 ms apart and a 1 s timeout, so that the schedule and the timeout can be watched at work. */
const test = base.extend<{ $file: { herald: TestHerald } }>({
  herald: [
    // biome-ignore lint/correctness/noEmptyPattern: vitest reads the fixture's dependencies from this pattern.
    async ({}, use) => {
      const herald = await TestHerald.start({
        webhooks: { concurrency: 8, timeoutMs: 1_000, retryDelaysMs: [300, 300], allowPrivateNetworks: true, lockTimeoutMs: 60_000 },
      });
      await use(herald);
      await herald.close();
    },
    { scope: 'file' },
  ],
});

let receiver: WebhookReceiver;
beforeAll(async () => {
  receiver = await WebhookReceiver.start();
});
afterAll(() => receiver.close());

describe('delivery', () => {
  test('a send reaches the endpoint within 1 s, signed per Standard Webhooks, with the message.sent body', async ({ account }) => {
    await account.channels('news');
    await account.recipients('r', 2, ['news']);
    const key = await account.key({ kind: 'ALL' });
    const endpoint = await createEndpoint(account, receiver);
    const sent = dataOf(await key.sendWith(['news'], { data: { order: 42 } }));
    const respondedAt = performance.now();
    const [request] = await receiver.waitFor(endpoint.path, 1, 1_000);
    expect(request.at - respondedAt).toBeLessThan(1_000);
    expect(verify(endpoint.secret, request)).toEqual(request.event);
    const message = sent.send.message;
    expect(request.event).toEqual({
      type: 'message.sent',
      timestamp: message.createdAt,
      data: { id: message.id, title: 'Hello', body: 'Body', data: { order: 42 }, channels: ['news'], recipientCount: 2 },
    });
    expect(request.headers['webhook-id']).toMatch(/^evt_[0-9a-f]{32}$/);
    expect(Math.abs(Number(request.headers['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(5);
    expect(request.headers['content-type']).toBe('application/json');
    // The refused twin: another secret does not verify it.
    const other = await createEndpoint(account, receiver);
    expect(signedWith(other.secret, request)).toBe(false);
  });

  test('a 500 is retried on schedule with the same webhook-id, and the attempt log shows both tries', async ({ account }) => {
    const key = await account.key({ kind: 'ALL' });
    const endpoint = await createEndpoint(account, receiver);
    let calls = 0;
    receiver.answerWith((request, res) => {
      if (request.path !== endpoint.path) return void res.end('ok');
      calls += 1;
      res.statusCode = calls === 1 ? 500 : 200;
      res.end(calls === 1 ? 'x'.repeat(5_000) : 'thanks');
    });
    try {
      dataOf(await key.sendWith(null));
      const [first, second] = await receiver.waitFor(endpoint.path, 2, 10_000);
      expect(second.headers['webhook-id']).toBe(first.headers['webhook-id']);
      expect(second.body).toBe(first.body);
      expect(signedWith(endpoint.secret, second)).toBe(true);
      expect(second.at - first.at).toBeGreaterThanOrEqual(250);
      const [latest, earliest] = await waitForAttempts(account, endpoint.id, 2);
      expect(earliest).toMatchObject({ attempt: 1, status: 'PENDING', responseStatus: 500, eventType: 'MESSAGE_SENT' });
      expect(earliest.eventId).toBe(first.headers['webhook-id']);
      expect(earliest.nextAttemptAt).not.toBeNull();
      // The response body is cut to 1 KB.
      expect(earliest.responseBody).toBe('x'.repeat(1_024));
      expect(latest).toMatchObject({ attempt: 2, status: 'SUCCEEDED', responseStatus: 200, responseBody: 'thanks', nextAttemptAt: null });
      expect(latest.durationMs).toBeGreaterThanOrEqual(0);
    } finally {
      receiver.respond(200, 'ok');
    }
  });

  test('an endpoint failing every try: the schedule ends in FAILED, and the message counts it', async ({ account }) => {
    const key = await account.key({ kind: 'ALL' });
    const failing = await createEndpoint(account, receiver);
    const healthy = await createEndpoint(account, receiver);
    receiver.answerWith((request, res) => {
      res.statusCode = request.path === failing.path ? 503 : 200;
      res.end();
    });
    try {
      const { send } = dataOf(await key.sendWith(null));
      // 1 + 2 retries (this file's schedule).
      await receiver.waitFor(failing.path, 3, 10_000);
      await waitForAttempts(account, healthy.id, 1);
      const attempts = await waitForAttempts(account, failing.id, 3);
      expect(attempts.map((a) => [a.attempt, a.status])).toEqual([
        [3, 'FAILED'],
        [2, 'PENDING'],
        [1, 'PENDING'],
      ]);
      await sleep(500);
      expect(receiver.at(failing.path)).toHaveLength(3);
      const { message } = dataOf(await account.run(MessageById, { id: send.message.id }));
      expect(message?.deliveryStats).toMatchObject({ webhooksSucceeded: 1, webhooksPending: 0, webhooksFailed: 1 });
    } finally {
      receiver.respond(200, 'ok');
    }
  });

  test('deliveryStats counts a delivery still being tried as pending', async ({ account }) => {
    const key = await account.key({ kind: 'ALL' });
    const endpoint = await createEndpoint(account, receiver);
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    receiver.answerWith(async (request, res) => {
      if (request.path === endpoint.path) await held;
      res.end('ok');
    });
    try {
      const { send } = dataOf(await key.sendWith(null));
      await receiver.waitFor(endpoint.path);
      const before = dataOf(await account.run(MessageById, { id: send.message.id })).message?.deliveryStats;
      expect(before).toMatchObject({ webhooksSucceeded: 0, webhooksPending: 1, webhooksFailed: 0 });
      release();
      await waitForAttempts(account, endpoint.id, 1);
      const after = dataOf(await account.run(MessageById, { id: send.message.id })).message?.deliveryStats;
      expect(after).toMatchObject({ webhooksSucceeded: 1, webhooksPending: 0, webhooksFailed: 0 });
    } finally {
      release();
      receiver.respond(200, 'ok');
    }
  });

  test('a slow endpoint times out (this file: 1 s) and is tried again', async ({ account }) => {
    const key = await account.key({ kind: 'ALL' });
    const endpoint = await createEndpoint(account, receiver);
    let calls = 0;
    receiver.answerWith(async (request, res) => {
      if (request.path === endpoint.path && ++calls === 1) await sleep(1_500);
      res.end('ok');
    });
    try {
      dataOf(await key.sendWith(null));
      const [latest, first] = await waitForAttempts(account, endpoint.id, 2, 10_000);
      expect(first).toMatchObject({ attempt: 1, status: 'PENDING', responseStatus: null, error: 'Timed out after 1000 ms' });
      expect(first.durationMs).toBeGreaterThanOrEqual(990);
      expect(first.durationMs).toBeLessThan(1_400);
      expect(latest).toMatchObject({ attempt: 2, status: 'SUCCEEDED' });
    } finally {
      receiver.respond(200, 'ok');
    }
  });

  test('no redirect is followed: a 3xx is a failed try', async ({ account }) => {
    const key = await account.key({ kind: 'ALL' });
    const endpoint = await createEndpoint(account, receiver);
    const target = await createEndpoint(account, receiver, { events: ['INBOX_ITEM_READ'] });
    receiver.answerWith((request, res) => {
      if (request.path === endpoint.path) {
        res.writeHead(307, { location: `${receiver.url}${target.path}` });
        return void res.end();
      }
      res.end('ok');
    });
    try {
      dataOf(await key.sendWith(null));
      const [first] = (await waitForAttempts(account, endpoint.id, 1)).slice(-1);
      expect(first).toMatchObject({ status: 'PENDING', responseStatus: 307 });
      expect(receiver.at(target.path)).toHaveLength(0);
    } finally {
      receiver.respond(200, 'ok');
    }
  });

  test('410 Gone disables the endpoint; enabling it again resumes deliveries', async ({ account }) => {
    const key = await account.key({ kind: 'ALL' });
    const endpoint = await createEndpoint(account, receiver);
    receiver.answerWith((request, res) => {
      res.statusCode = request.path === endpoint.path ? 410 : 200;
      res.end();
    });
    try {
      dataOf(await key.sendWith(null));
      const [attempt] = await waitForAttempts(account, endpoint.id, 1);
      expect(attempt).toMatchObject({ status: 'FAILED', responseStatus: 410, nextAttemptAt: null });
      const listed = await account.run(UpdateWebhookEndpoint, { input: { id: endpoint.id } });
      expect(dataOf(listed).updateWebhookEndpoint).toMatchObject({ enabled: false, disabledReason: 'The endpoint answered 410 Gone.' });
      // Disabled: a send queues nothing for it.
      dataOf(await key.sendWith(null));
      await sleep(400);
      expect(receiver.at(endpoint.path)).toHaveLength(1);
      receiver.respond(200, 'ok');
      const enabled = dataOf(await account.run(UpdateWebhookEndpoint, { input: { id: endpoint.id, enabled: true } }));
      expect(enabled.updateWebhookEndpoint).toMatchObject({ enabled: true, disabledReason: null });
      dataOf(await key.sendWith(null));
      const requests = await receiver.waitFor(endpoint.path, 2);
      expect(signedWith(endpoint.secret, requests[1])).toBe(true);
    } finally {
      receiver.respond(200, 'ok');
    }
  });

  test('5 days without a success disable the endpoint at its next failure', async ({ account, herald }) => {
    const key = await account.key({ kind: 'ALL' });
    const endpoint = await createEndpoint(account, receiver);
    await herald.db.prisma.$executeRaw`
      UPDATE "WebhookEndpoint" SET "failingSince" = now() - interval '5 days 1 minute' WHERE id = ${endpoint.id}::uuid`;
    receiver.answerWith((request, res) => {
      res.statusCode = request.path === endpoint.path ? 500 : 200;
      res.end();
    });
    try {
      dataOf(await key.sendWith(null));
      const [attempt] = await waitForAttempts(account, endpoint.id, 1);
      expect(attempt).toMatchObject({ status: 'FAILED', responseStatus: 500, nextAttemptAt: null });
      const { updateWebhookEndpoint } = dataOf(await account.run(UpdateWebhookEndpoint, { input: { id: endpoint.id } }));
      expect(updateWebhookEndpoint).toMatchObject({ enabled: false, disabledReason: 'No successful delivery for 5 days.' });
    } finally {
      receiver.respond(200, 'ok');
    }
  });

  test('its refused twin: failing for less than 5 days keeps the endpoint enabled', async ({ account, herald }) => {
    const key = await account.key({ kind: 'ALL' });
    const endpoint = await createEndpoint(account, receiver);
    await herald.db.prisma.$executeRaw`
      UPDATE "WebhookEndpoint" SET "failingSince" = now() - interval '4 days 23 hours' WHERE id = ${endpoint.id}::uuid`;
    receiver.answerWith((request, res) => {
      res.statusCode = request.path === endpoint.path ? 500 : 200;
      res.end();
    });
    try {
      dataOf(await key.sendWith(null));
      const [attempt] = await waitForAttempts(account, endpoint.id, 1);
      expect(attempt).toMatchObject({ status: 'PENDING', responseStatus: 500 });
      const { updateWebhookEndpoint } = dataOf(await account.run(UpdateWebhookEndpoint, { input: { id: endpoint.id } }));
      expect(updateWebhookEndpoint).toMatchObject({ enabled: true, disabledReason: null });
    } finally {
      receiver.respond(200, 'ok');
    }
  });
});

describe('filters', () => {
  test("channel filter: an endpoint gets the messages sent to one of its channels, not the others'", async ({ account }) => {
    await account.channels('news', 'alerts', 'other');
    await account.recipient('r-1', ['news', 'alerts', 'other']);
    const key = await account.key({ kind: 'ALL' });
    const filtered = await createEndpoint(account, receiver, { channels: ['news', 'alerts'] });
    const everything = await createEndpoint(account, receiver);
    dataOf(await key.sendWith(['other'], { title: 'to other' }));
    dataOf(await key.sendWith(['alerts', 'other'], { title: 'to alerts' }));
    dataOf(await key.sendWith(null, { title: 'to everyone' }));
    dataOf(await key.sendWith(['news'], { title: 'to news' }));
    await receiver.waitFor(everything.path, 4);
    await receiver.waitFor(filtered.path, 2);
    await sleep(300);
    expect(receiver.at(filtered.path).map((r) => r.event.data.title)).toEqual(expect.arrayContaining(['to alerts', 'to news']));
    expect(receiver.at(filtered.path)).toHaveLength(2);
    expect(receiver.at(everything.path)).toHaveLength(4);
  });

  test('event filter: an endpoint for inbox.item.read gets no message.sent, and the reverse', async ({ account }) => {
    await account.recipient('reader', []);
    const key = await account.key({ kind: 'ALL' });
    const reads = await createEndpoint(account, receiver, { events: ['INBOX_ITEM_READ'] });
    const sends = await createEndpoint(account, receiver, { events: ['MESSAGE_SENT'] });
    const { send } = dataOf(await key.sendWith(null));
    const inbox = await account.inboxOf('reader');
    const marked = dataOf(await inbox.run(MarkInbox, { input: { ids: [send.message.id], action: 'READ' } }));
    expect(marked.markInbox.updated).toBe(1);
    const [read] = await receiver.waitFor(reads.path);
    expect(verify(reads.secret, read)).toMatchObject({ type: 'inbox.item.read' });
    expect(read.event.data).toEqual({ messageId: send.message.id, externalId: 'reader', readAt: expect.any(String) });
    expect(Date.parse(read.event.data.readAt as string)).toBeGreaterThan(Date.now() - 10_000);
    expect(read.event.timestamp).toBe(read.event.data.readAt);
    await receiver.waitFor(sends.path);
    // Marking it read again changes nothing: no second event; SEEN and UNREAD are no read.
    dataOf(await inbox.run(MarkInbox, { input: { ids: [send.message.id], action: 'READ' } }));
    dataOf(await inbox.run(MarkInbox, { input: { ids: [send.message.id], action: 'UNREAD' } }));
    dataOf(await inbox.run(MarkInbox, { input: { ids: [send.message.id], action: 'SEEN' } }));
    await sleep(400);
    expect(receiver.at(reads.path)).toHaveLength(1);
    expect(receiver.at(sends.path)).toHaveLength(1);
    expect(receiver.at(sends.path)[0].event.type).toBe('message.sent');
  });

  test('markInbox all: one inbox.item.read per item that became read', async ({ account }) => {
    await account.recipient('reader', []);
    const key = await account.key({ kind: 'ALL' });
    for (let i = 0; i < 3; i += 1) dataOf(await key.sendWith(null, { title: `m${i}` }));
    const inbox = await account.inboxOf('reader');
    const reads = await createEndpoint(account, receiver, { events: ['INBOX_ITEM_READ'] });
    const messages = dataOf(await key.sendWith(null, { title: 'read first' }));
    dataOf(await inbox.run(MarkInbox, { input: { ids: [messages.send.message.id], action: 'READ' } }));
    dataOf(await inbox.run(MarkInbox, { input: { all: true, action: 'READ' } }));
    const requests = await receiver.waitFor(reads.path, 4);
    await sleep(300);
    expect(receiver.at(reads.path)).toHaveLength(4);
    expect(new Set(requests.map((r) => r.event.data.messageId)).size).toBe(4);
    expect(new Set(requests.map((r) => r.headers['webhook-id'])).size).toBe(4);
  });
});

describe('secrets and test events', () => {
  test('after a roll, both signatures during the grace; after it, only the new one', async ({ account }) => {
    const key = await account.key({ kind: 'ALL' });
    const endpoint = await createEndpoint(account, receiver);
    const { rollWebhookEndpointSecret } = dataOf(
      await account.run(RollWebhookEndpointSecret, { input: { id: endpoint.id, gracePeriodSeconds: 2 } }),
    );
    const { secret } = rollWebhookEndpointSecret;
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    expect(secret).not.toBe(endpoint.secret);
    expect(rollWebhookEndpointSecret.endpoint.previousSecretExpiresAt).not.toBeNull();
    dataOf(await key.sendWith(null));
    const [during] = await receiver.waitFor(endpoint.path);
    expect(during.headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(signedWith(secret, during)).toBe(true);
    expect(signedWith(endpoint.secret, during)).toBe(true);
    await sleep(2_100);
    dataOf(await key.sendWith(null));
    const [, after] = await receiver.waitFor(endpoint.path, 2);
    expect(after.headers['webhook-signature'].split(' ')).toHaveLength(1);
    expect(signedWith(secret, after)).toBe(true);
    expect(signedWith(endpoint.secret, after)).toBe(false);
  });

  test('a roll with no grace: only the new signature at once', async ({ account }) => {
    const key = await account.key({ kind: 'ALL' });
    const endpoint = await createEndpoint(account, receiver);
    const { rollWebhookEndpointSecret } = dataOf(
      await account.run(RollWebhookEndpointSecret, { input: { id: endpoint.id, gracePeriodSeconds: 0 } }),
    );
    expect(rollWebhookEndpointSecret.endpoint.previousSecretExpiresAt).toBeNull();
    dataOf(await key.sendWith(null));
    const [request] = await receiver.waitFor(endpoint.path);
    expect(signedWith(rollWebhookEndpointSecret.secret, request)).toBe(true);
    expect(signedWith(endpoint.secret, request)).toBe(false);
  });

  test('Send test event: an example event of the type, signed, in the attempt log under its id', async ({ account }) => {
    const endpoint = await createEndpoint(account, receiver);
    for (const eventType of ['MESSAGE_SENT', 'INBOX_ITEM_READ'] as const) {
      const { sendWebhookTestEvent } = dataOf(await account.run(SendWebhookTestEvent, { input: { id: endpoint.id, eventType } }));
      expect(sendWebhookTestEvent.endpointId).toBe(endpoint.id);
      const requests = await receiver.waitFor(endpoint.path, eventType === 'MESSAGE_SENT' ? 1 : 2);
      const request = requests.at(-1);
      if (!request) throw new Error('no request');
      expect(request.headers['webhook-id']).toBe(sendWebhookTestEvent.eventId);
      expect(verify(endpoint.secret, request)).toMatchObject({ type: eventType === 'MESSAGE_SENT' ? 'message.sent' : 'inbox.item.read' });
    }
    const attempts = await waitForAttempts(account, endpoint.id, 2);
    expect(attempts.map((a) => a.eventType)).toEqual(['INBOX_ITEM_READ', 'MESSAGE_SENT']);
    // Disabled: refused, and nothing is queued.
    dataOf(await account.run(UpdateWebhookEndpoint, { input: { id: endpoint.id, enabled: false } }));
    const refused = errorOf(await account.run(SendWebhookTestEvent, { input: { id: endpoint.id, eventType: 'MESSAGE_SENT' } }));
    expect(refused.code).toBe('BAD_USER_INPUT');
    const unknown = errorOf(
      await account.run(SendWebhookTestEvent, { input: { id: '00000000-0000-4000-8000-000000000001', eventType: 'MESSAGE_SENT' } }),
    );
    expect(unknown.code).toBe('NOT_FOUND');
    await sleep(300);
    expect(receiver.at(endpoint.path)).toHaveLength(2);
  });
});

describe('volume', () => {
  test('200 sends are delivered once each', async ({ account }) => {
    const key = await account.key({ kind: 'ALL' });
    const endpoint = await createEndpoint(account, receiver);
    const ids: string[] = [];
    for (let i = 0; i < 200; i += 10) {
      const batch = await Promise.all(Array.from({ length: 10 }, (_, j) => key.sendWith(null, { title: `m${i + j}` })));
      ids.push(...batch.map((r) => dataOf(r).send.message.id));
    }
    const requests = await receiver.waitFor(endpoint.path, 200, 15_000);
    await sleep(500);
    expect(receiver.at(endpoint.path)).toHaveLength(200);
    expect(new Set(requests.map((r) => r.event.data.id))).toEqual(new Set(ids));
    expect(new Set(requests.map((r) => r.headers['webhook-id'])).size).toBe(200);
    expect(requests.every((r) => signedWith(endpoint.secret, r))).toBe(true);
    expect(await attemptsOf(account, endpoint.id, 100)).toHaveLength(100);
  });
});
