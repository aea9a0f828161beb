// The live inbox over a real socket, as clients open it: graphql-sse (SSE,
// distinct connections) and graphql-ws (WebSocket) on /graphql. Events arrive
// within a second of send's response; a stream resumed with `after` replays
// in order, then goes live, with no gap and no duplicate; it ends when its
// token expires or its recipient is deleted; refusals come before it opens.
import { setTimeout as sleep } from 'node:timers/promises';
import { Inbox, InboxEvents, MarkInbox, Send } from '../support/documents.ts';
import { describe, expect, TestAccount, type TestKey, test } from '../support/fixtures.ts';
import { dataOf, TestHerald } from '../support/herald.ts';
import { sse, ws } from '../support/streams.ts';

const subscription = (after?: string | null) => ({ document: InboxEvents, variables: after ? { after } : {} });

async function setUp(account: TestAccount) {
  await account.channels('news');
  await account.recipient('ada', ['news']);
  const key = await account.key({ kind: 'CHANNELS', channels: ['news'] });
  return { key, ada: await account.inboxOf('ada'), base: await account.herald.listen() };
}

/** Sends one message; its id and when send's response arrived. */
async function timedSend(key: TestKey, title: string): Promise<{ id: string; at: number }> {
  const id = dataOf(await key.run(Send, { input: { message: { title, body: 'b' } } })).send.message.id;
  return { id, at: Date.now() };
}

const transports = [
  ['SSE', (base: string, token: string, after?: string | null) => sse(base, token, subscription(after))],
  ['WebSocket', (base: string, token: string, after?: string | null) => ws(base, token).subscribe(subscription(after))],
] as const;

describe.each(transports)('the inbox subscription over %s', (_name, open) => {
  test('NEW within 1 s of send’s response, with its cursor and the counts', async ({ account }) => {
    const { key, ada, base } = await setUp(account);
    const stream = open(base, ada.token);
    await sleep(300); // the stream is open
    const sent = await timedSend(key, 'Hello');
    const [event] = await stream.waitFor(1, 1_000);
    const arrived = Date.now();
    expect(arrived - sent.at).toBeLessThanOrEqual(1_000);
    expect(event.inbox).toMatchObject({
      kind: 'NEW',
      unreadCount: 1,
      unseenCount: 1,
      item: { id: sent.id, title: 'Hello', channels: ['news'], seenAt: null, readAt: null, archivedAt: null },
    });
    expect(event.inbox.cursor).toEqual(expect.any(String));
    await stream.close();
  });

  test('UPDATED when the item changes on another device, with the item and the counts; item null after markInbox all', async ({
    account,
  }) => {
    const { key, ada, base } = await setUp(account);
    const [a] = [await timedSend(key, 'one'), await timedSend(key, 'two')];
    const stream = open(base, ada.token);
    await sleep(300);
    // (A NEW event of a send just before the stream opened may still come: this test is about UPDATED.)
    const updates = () => stream.data.filter((event) => event.inbox.kind === 'UPDATED');
    dataOf(await ada.run(MarkInbox, { input: { ids: [a.id], action: 'READ' } }));
    await expect.poll(() => updates().length, { timeout: 1_000, interval: 20 }).toBe(1);
    const [updated] = updates();
    expect(updated.inbox).toMatchObject({ kind: 'UPDATED', cursor: null, unreadCount: 1, unseenCount: 1, item: { id: a.id } });
    expect(updated.inbox.item?.readAt).toEqual(expect.any(String));
    dataOf(await ada.run(MarkInbox, { input: { all: true, action: 'ARCHIVED' } }));
    await expect.poll(() => updates().length, { timeout: 1_000, interval: 20 }).toBe(2);
    expect(updates()[1].inbox).toEqual({ kind: 'UPDATED', cursor: null, item: null, unreadCount: 0, unseenCount: 0 });
    await stream.close();
  });

  test('after: every item newer than the cursor, oldest first, then live; no gap and no duplicate while sends go on', async ({
    account,
  }) => {
    const { key, ada, base } = await setUp(account);
    const first = await timedSend(key, 'm0');
    // The cursor of m0, as the inbox query gives it.
    const history = dataOf(await ada.run(Inbox, { first: 1 })).inbox;
    const cursor = history.edges[0].cursor;
    expect(history.edges[0].node.id).toBe(first.id);
    const sent: string[] = [];
    for (let i = 1; i <= 5; i += 1) sent.push((await timedSend(key, `m${i}`)).id);
    // Sends go on while the stream replays and turns live.
    const sending = (async () => {
      for (let i = 6; i <= 20; i += 1) sent.push((await timedSend(key, `m${i}`)).id);
    })();
    const stream = open(base, ada.token, cursor);
    await sending;
    const events = await stream.waitFor(20, 10_000);
    expect(events.map((e) => e.inbox.kind)).toEqual(Array(20).fill('NEW'));
    expect(events.map((e) => e.inbox.item?.id)).toEqual(sent);
    await sleep(300);
    expect(stream.results).toHaveLength(20);
    // Resuming from the last event's cursor replays nothing and misses nothing.
    const resumed = open(base, ada.token, events[19].inbox.cursor);
    await sleep(300);
    const next = await timedSend(key, 'after');
    expect((await resumed.waitFor(1, 1_000))[0].inbox.item?.id).toBe(next.id);
    await Promise.all([stream.close(), resumed.close()]);
  });

  test('the stream ends when the recipient is deleted, within 5 s, even with no bus message about it', async ({ account, herald }) => {
    const { ada, base } = await setUp(account);
    const stream = open(base, ada.token);
    await sleep(300);
    await herald.db.prisma.recipient.delete({ where: { id: ada.id } });
    const started = Date.now();
    await Promise.race([stream.ended, sleep(6_000)]);
    expect(Date.now() - started).toBeLessThanOrEqual(5_000);
  });

  test('the stream ends when its token expires', async ({ account, herald }) => {
    const { ada, base } = await setUp(account);
    const short = await herald.yoga.connections.topology.tokens.sign(
      { accountId: await accountId(herald, account), recipientId: ada.id },
      2,
    );
    const stream = open(base, short.token);
    await Promise.race([stream.ended, sleep(6_000)]);
    // It ends at the token's expiry (whole seconds), not before, and not long after.
    expect(Date.now()).toBeGreaterThanOrEqual(short.expiresAt.getTime());
    expect(Date.now() - short.expiresAt.getTime()).toBeLessThanOrEqual(1_500);
  });
});

async function accountId(herald: TestHerald, account: TestAccount): Promise<string> {
  return (await herald.db.prisma.account.findUniqueOrThrow({ where: { slug: account.slug } })).id;
}

describe('refusals come before a stream opens', () => {
  test('SSE: a member or a key gets 403, an invalid token 401, as a plain response', async ({ account }) => {
    const { key, ada, base } = await setUp(account);
    const raw = (token: string) =>
      fetch(`${base}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: 'subscription { inbox { kind } }' }),
      });
    for (const token of [account.token, key.secret]) {
      const response = await raw(token);
      expect(response.status).toBe(403);
      expect(await response.text()).toContain('"code":"FORBIDDEN"');
    }
    const invalid = await raw(`${ada.token.slice(0, -4)}AAAA`);
    expect(invalid.status).toBe(401);
    await invalid.text();
    // The allowed twin opens, and answers with the stream's first heartbeat.
    const allowed = await raw(ada.token);
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get('content-type')).toContain('text/event-stream');
    const reader = allowed.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toMatch(/^:/);
    await reader.cancel();
  });

  test('WebSocket: no credentials or an invalid token close with 4401, a member or a key with 4403', async ({ account }) => {
    const { key, ada, base } = await setUp(account);
    const cases = [
      [undefined, 4401],
      [`${ada.token.slice(0, -4)}AAAA`, 4401],
      [account.token, 4403],
      [key.secret, 4403],
    ] as const;
    for (const [token, code] of cases) {
      const connection = ws(base, token);
      const stream = connection.subscribe(subscription());
      expect((await connection.closed).code).toBe(code);
      await stream.ended;
      await connection.dispose();
    }
  });

  test('WebSocket serves subscriptions only: a query over it is refused', async ({ account }) => {
    const { ada, base } = await setUp(account);
    const connection = ws(base, ada.token);
    const iterator = connection.client.iterate({ query: '{ inbox { totalCount } }' });
    await expect(iterator.next()).rejects.toEqual([expect.objectContaining({ message: expect.stringMatching(/subscriptions only/) })]);
    await connection.dispose();
  });
});

describe('stream limits', () => {
  test('per recipient (429) and per instance (503), each stream refused before it opens; a closed stream frees its place', async () => {
    const herald = await TestHerald.start({ streams: { perRecipient: 2, perInstance: 3 } });
    try {
      const account = await TestAccount.provision(herald, `limits-${crypto.randomUUID().slice(0, 8)}`);
      await account.recipient('ada', []);
      await account.recipient('bob', []);
      const [ada, bob] = [await account.inboxOf('ada'), await account.inboxOf('bob')];
      const base = await herald.listen();
      const status = async (token: string) => {
        const response = await fetch(`${base}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${token}` },
          body: JSON.stringify({ query: 'subscription { inbox { kind } }' }),
        });
        if (response.status !== 200) return { status: response.status, body: await response.text(), close: async () => {} };
        const reader = response.body!.getReader();
        await reader.read();
        return { status: 200, body: '', close: () => reader.cancel() };
      };
      const open = [await status(ada.token), await status(ada.token)];
      expect(open.map((s) => s.status)).toEqual([200, 200]);
      const third = await status(ada.token);
      expect(third.status).toBe(429);
      expect(third.body).toContain('"code":"RATE_LIMITED"');
      open.push(await status(bob.token));
      expect(open[2].status).toBe(200);
      const overInstance = await status(bob.token);
      expect(overInstance.status).toBe(503);
      expect(overInstance.body).toContain('"code":"SERVICE_UNAVAILABLE"');
      await open[0].close();
      await expect.poll(async () => (await status(ada.token)).status, { timeout: 3_000 }).toBe(200);
    } finally {
      await herald.close();
    }
  });

  test('a WebSocket message over WS_MAX_PAYLOAD_BYTES closes the connection (1009)', async () => {
    const herald = await TestHerald.start({ wsMaxPayloadBytes: 1_024 });
    try {
      const base = await herald.listen();
      const { default: WebSocket } = await import('ws');
      const socket = new WebSocket(`${base.replace('http', 'ws')}/graphql`, 'graphql-transport-ws');
      await new Promise((resolve) => socket.once('open', resolve));
      const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
      socket.send(JSON.stringify({ type: 'connection_init', payload: { padding: 'x'.repeat(2_000) } }));
      expect(await closed).toBe(1009);
    } finally {
      await herald.close();
    }
  });
});

describe('heartbeats', () => {
  test('an idle stream gets a heartbeat every interval (12 s by default): SSE comment lines, WebSocket pings', async () => {
    const herald = await TestHerald.start();
    try {
      const account = await TestAccount.provision(herald, `beats-${crypto.randomUUID().slice(0, 8)}`);
      await account.recipient('ada', []);
      const ada = await account.inboxOf('ada');
      const base = await herald.listen({ heartbeatMs: 200 });
      const response = await fetch(`${base}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${ada.token}` },
        body: JSON.stringify({ query: 'subscription { inbox { kind } }' }),
      });
      const reader = response.body!.getReader();
      let text = '';
      const started = Date.now();
      while ((text.match(/^:$/gm) ?? []).length < 4 && Date.now() - started < 5_000) {
        text += new TextDecoder().decode((await reader.read()).value);
      }
      expect((text.match(/^:$/gm) ?? []).length).toBeGreaterThanOrEqual(4);
      await reader.cancel();

      const { default: WebSocket } = await import('ws');
      const socket = new WebSocket(`${base.replace('http', 'ws')}/graphql`, 'graphql-transport-ws');
      await new Promise((resolve) => socket.once('open', resolve));
      socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${ada.token}` } }));
      let pings = 0;
      socket.on('ping', () => {
        pings += 1;
      });
      await expect.poll(() => pings, { timeout: 5_000 }).toBeGreaterThanOrEqual(3);
      socket.close();
    } finally {
      await herald.close();
    }
  });
});
