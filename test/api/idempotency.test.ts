import { randomUUID } from 'node:crypto';
import type { SendInput } from '../generated/graphql.ts';
import { Send, UpdateApiKey } from '../support/documents.ts';
import { describe, expect, type TestAccount, type TestKey, test } from '../support/fixtures.ts';
import { dataOf, errorOf } from '../support/herald.ts';

const input = (title = 'Hello', channels?: string[]): SendInput => ({
  message: { title, body: 'Body' },
  ...(channels ? { target: { channels } } : {}),
});

const sendWith = (key: TestKey, idempotencyKey: string, body: SendInput = input()) =>
  key.herald.execute(Send, { input: body }, { token: key.secret, headers: { 'idempotency-key': idempotencyKey } });

async function messageCount(account: TestAccount): Promise<number> {
  return account.herald.db.prisma.message.count({ where: { account: { slug: account.slug } } });
}

async function seed(account: TestAccount) {
  await account.channels('news', 'ops');
  await account.recipients('n', 3, ['news']);
  await account.recipients('o', 2, ['ops']);
}

describe('Idempotency-Key on send', () => {
  test('a retry returns the first response, marked replayed, and sends nothing again', async ({ account, herald }) => {
    await seed(account);
    const key = await account.key({ kind: 'ALL' });
    const idempotencyKey = randomUUID();
    const first = await sendWith(key, idempotencyKey, input('Once', ['news']));
    const sent = dataOf(first).send.message;
    expect(first.headers.get('idempotency-replayed')).toBeNull();
    const deliveries = await herald.db.prisma.delivery.count({ where: { messageId: sent.id } });
    for (let retry = 0; retry < 3; retry += 1) {
      const again = await sendWith(key, idempotencyKey, input('Once', ['news']));
      expect(again.headers.get('idempotency-replayed')).toBe('true');
      expect(dataOf(again).send.message).toEqual(sent);
      expect(again.text).toBe(first.text);
    }
    expect(await messageCount(account)).toBe(1);
    expect(await herald.db.prisma.delivery.count({ where: { messageId: sent.id } })).toBe(deliveries);
    // The allowed twin of a retry: another Idempotency-Key is another send.
    expect(dataOf(await sendWith(key, randomUUID(), input('Once', ['news']))).send.message.id).not.toBe(sent.id);
    expect(await messageCount(account)).toBe(2);
  });

  test('the same key with another body: 422 IDEMPOTENCY_KEY_REUSED, nothing sent', async ({ account }) => {
    await seed(account);
    const key = await account.key({ kind: 'ALL' });
    const idempotencyKey = randomUUID();
    dataOf(await sendWith(key, idempotencyKey, input('First')));
    const before = await account.snapshot();
    for (const other of [input('Second'), input('First', ['ops'])]) {
      expect(errorOf(await sendWith(key, idempotencyKey, other))).toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED', status: 422 });
    }
    expect(await account.snapshot()).toEqual(before);
  });

  test('the body is compared as JSON: the order of variables’ keys does not matter', async ({ account, herald }) => {
    const key = await account.key({ kind: 'ALL' });
    const idempotencyKey = randomUUID();
    const query = 'mutation ($input: SendInput!) { send(input: $input) { message { id } } }';
    const post = (variables: unknown) =>
      herald.fetch({
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key.secret}`, 'idempotency-key': idempotencyKey },
        body: JSON.stringify({ query, variables }),
      });
    const first = await (await post({ input: { message: { title: 'T', body: 'B' } } })).json();
    const again = await post({ input: { message: { body: 'B', title: 'T' } } });
    expect(again.headers.get('idempotency-replayed')).toBe('true');
    expect(await again.json()).toEqual(first);
  });

  test('per API key: two keys may use the same Idempotency-Key for two sends', async ({ account }) => {
    const [one, two] = [await account.key({ kind: 'ALL' }), await account.key({ kind: 'ALL' })];
    const idempotencyKey = randomUUID();
    const a = dataOf(await sendWith(one, idempotencyKey)).send.message.id;
    const b = dataOf(await sendWith(two, idempotencyKey)).send.message.id;
    expect(a).not.toBe(b);
    expect(await messageCount(account)).toBe(2);
  });

  test('a request refused before anything was written is not remembered', async ({ account }) => {
    await seed(account);
    const key = await account.key({ kind: 'CHANNELS', channels: ['news'] });
    const idempotencyKey = randomUUID();
    expect(errorOf(await sendWith(key, idempotencyKey, input('Ops', ['ops']))).code).toBe('FORBIDDEN');
    expect(errorOf(await sendWith(key, idempotencyKey, { message: { title: ' ', body: 'B' } })).code).toBe('BAD_USER_INPUT');
    dataOf(await account.run(UpdateApiKey, { input: { id: key.id, scope: { kind: 'CHANNELS', channels: ['news', 'ops'] } } }));
    const sent = await sendWith(key, idempotencyKey, input('Ops', ['ops']));
    expect(dataOf(sent).send.message.recipientCount).toBe(2);
    expect(sent.headers.get('idempotency-replayed')).toBeNull();
  });

  test('the record and the message are written by one statement', async ({ account, herald }) => {
    const key = await account.key({ kind: 'ALL' });
    dataOf(await key.send(undefined)); // the key's first use writes lastUsedAt
    const { statements } = await herald.countStatements(async () => dataOf(await sendWith(key, randomUUID())));
    const writes = statements.filter((sql) => /INSERT INTO "(Message|IdempotencyKey)"/.test(sql));
    expect(writes).toHaveLength(1);
    expect(writes[0]).toMatch(/INSERT INTO "Message"[\s\S]*INSERT INTO "IdempotencyKey"/);
  });

  test('after 24 hours the key is forgotten: the same key sends again, and expired records are purged', async ({ account, herald }) => {
    const key = await account.key({ kind: 'ALL' });
    const idempotencyKey = randomUUID();
    const first = dataOf(await sendWith(key, idempotencyKey)).send.message.id;
    const record = await herald.db.prisma.idempotencyKey.findUniqueOrThrow({
      where: { apiKeyId_key: { apiKeyId: key.id, key: idempotencyKey } },
    });
    expect(record.expiresAt.getTime() - record.createdAt.getTime()).toBe(24 * 3600 * 1000);
    await herald.db.prisma.idempotencyKey.update({
      where: { apiKeyId_key: { apiKeyId: key.id, key: idempotencyKey } },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    const second = await sendWith(key, idempotencyKey);
    expect(second.headers.get('idempotency-replayed')).toBeNull();
    expect(dataOf(second).send.message.id).not.toBe(first);
    const { purgeExpiredIdempotencyKeys } = await import('../../src/data/messages.ts');
    await herald.db.prisma.idempotencyKey.create({
      data: { apiKeyId: key.id, key: 'old', fingerprint: 'x', messageId: first, expiresAt: new Date(Date.now() - 1000) },
    });
    expect(await purgeExpiredIdempotencyKeys(herald.db.prisma)).toBeGreaterThanOrEqual(1);
    expect(await herald.db.prisma.idempotencyKey.count({ where: { apiKeyId: key.id } })).toBe(1);
  });

  test('concurrent identical retries create exactly one message; each answer is that message or 409 with Retry-After', async ({
    account,
  }) => {
    await seed(account);
    const key = await account.key({ kind: 'ALL' });
    const idempotencyKey = randomUUID();
    const answers = await Promise.all(Array.from({ length: 12 }, () => sendWith(key, idempotencyKey, input('Race'))));
    expect(await messageCount(account)).toBe(1);
    const ids = new Set<string>();
    for (const answer of answers) {
      if (answer.status === 409) {
        expect(errorOf(answer).code).toBe('IDEMPOTENCY_KEY_IN_USE');
        expect(Number(answer.headers.get('retry-after'))).toBeGreaterThan(0);
      } else ids.add(dataOf(answer).send.message.id);
    }
    expect(ids.size).toBe(1);
  });

  test('while the first request runs: 409 IDEMPOTENCY_KEY_IN_USE with Retry-After, nothing written', async ({ account, herald }) => {
    if (herald.dbKind !== 'postgres') return; // one connection owns the embedded database: nothing runs beside a transaction
    const key = await account.key({ kind: 'ALL' });
    const idempotencyKey = randomUUID();
    // Holds the lock a running first request holds, from another connection.
    await herald.db.prisma.$transaction(async (tx) => {
      await tx.$queryRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`${key.id}:${idempotencyKey}`}, 0))::text`;
      const before = await account.snapshot();
      const answer = await sendWith(key, idempotencyKey);
      expect(errorOf(answer)).toMatchObject({ code: 'IDEMPOTENCY_KEY_IN_USE', status: 409 });
      expect(answer.headers.get('retry-after')).toBe('1');
      expect(await account.snapshot()).toEqual(before);
    });
    dataOf(await sendWith(key, idempotencyKey));
  });

  test.for([
    ['empty', ''],
    ['256 characters', 'k'.repeat(256)],
    ['a control character', 'key\u0001'],
    ['non-ASCII', 'clé'],
  ])('a malformed Idempotency-Key (%s): 400, nothing sent', async ([, value], { account, herald }) => {
    const key = await account.key({ kind: 'ALL' });
    const before = await account.snapshot();
    const response = await herald.fetch({
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key.secret}`, 'idempotency-key': value },
      body: JSON.stringify({ query: 'mutation { send(input: { message: { title: "T", body: "B" } }) { message { id } } }' }),
    });
    expect(response.status).toBe(400);
    expect((await response.json()).errors[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
    expect(await account.snapshot()).toEqual(before);
  });

  test('255 printable characters are a well-formed key (the twin of the refusals above)', async ({ account }) => {
    const key = await account.key({ kind: 'ALL' });
    dataOf(await sendWith(key, `${'~ '.repeat(127)}!`));
  });

  test('two sends in one request under one Idempotency-Key: 400, nothing sent', async ({ account, herald }) => {
    const key = await account.key({ kind: 'ALL' });
    const before = await account.snapshot();
    const result = await herald.execute(
      'mutation { a: send(input: { message: { title: "A", body: "B" } }) { message { id } } b: send(input: { message: { title: "B", body: "B" } }) { message { id } } }',
      undefined,
      { token: key.secret, headers: { 'idempotency-key': randomUUID() } },
    );
    expect(errorOf(result)).toMatchObject({ code: 'BAD_USER_INPUT', status: 400 });
    expect(await account.snapshot()).toEqual(before);
  });
});
