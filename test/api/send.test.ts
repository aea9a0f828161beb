import { Messages, Send, UpdateApiKey } from '../support/documents.ts';
import { describe, expect, test } from '../support/fixtures.ts';
import { dataOf, errorOf } from '../support/herald.ts';

// marketing: 3 recipients, billing: 2, both: 1 more (in both), nowhere: 1.
async function seed(account: import('../support/fixtures.ts').TestAccount) {
  await account.channels('marketing', 'billing', 'vip');
  await account.recipients('m', 3, ['marketing']);
  await account.recipients('b', 2, ['billing']);
  await account.recipient('both', ['marketing', 'billing']);
  await account.recipient('nowhere', []);
}

describe('send: the four scope rules', () => {
  test('ALL key, no target: every recipient of the account', async ({ account }) => {
    await seed(account);
    const key = await account.key({ kind: 'ALL' });
    const { send } = dataOf(await key.run(Send, { input: { message: { title: 'All', body: 'x' } } }));
    expect(send.message).toMatchObject({ allRecipients: true, recipientCount: 7, channels: [] });
  });

  test('ALL key, target given: only those channels, a recipient in two counted once', async ({ account }) => {
    await seed(account);
    const key = await account.key({ kind: 'ALL' });
    const result = await key.run(Send, { input: { target: { channels: ['marketing', 'billing'] }, message: { title: 'T', body: 'x' } } });
    expect(dataOf(result).send.message).toMatchObject({
      allRecipients: false,
      recipientCount: 6,
      channels: [{ slug: 'billing' }, { slug: 'marketing' }],
    });
  });

  test('CHANNELS key, no target: the channels assigned to the key', async ({ account }) => {
    await seed(account);
    const key = await account.key({ kind: 'CHANNELS', channels: ['billing', 'marketing'] });
    const { send } = dataOf(await key.run(Send, { input: { message: { title: 'T', body: 'x' } } }));
    expect(send.message).toMatchObject({ allRecipients: false, recipientCount: 6, channels: [{ slug: 'billing' }, { slug: 'marketing' }] });
  });

  test('CHANNELS key, target within its channels: sent to the target', async ({ account }) => {
    await seed(account);
    const key = await account.key({ kind: 'CHANNELS', channels: ['marketing', 'billing'] });
    const { send } = dataOf(await key.run(Send, { input: { target: { channels: ['billing'] }, message: { title: 'T', body: 'x' } } }));
    expect(send.message).toMatchObject({ recipientCount: 3, channels: [{ slug: 'billing' }] });
  });

  test('CHANNELS key, target outside its channels: 403 FORBIDDEN naming the slugs, nothing written', async ({ account }) => {
    await seed(account);
    const key = await account.key({ kind: 'CHANNELS', channels: ['marketing'] }, 'Marketing sender');
    const before = await account.snapshot();
    const result = await key.run(Send, {
      input: { target: { channels: ['marketing', 'billing', 'vip'] }, message: { title: 'T', body: 'x' } },
    });
    expect(errorOf(result)).toEqual({
      code: 'FORBIDDEN',
      status: 403,
      message: 'API key "Marketing sender" may not target channels: billing, vip',
    });
    expect(result.data).toBeNull();
    expect(await account.snapshot()).toEqual(before);
  });

  test('CHANNELS key naming a slug that does not exist: FORBIDDEN, not a hint that it does not exist', async ({ account }) => {
    await seed(account);
    const key = await account.key({ kind: 'CHANNELS', channels: ['marketing'] }, 'K');
    const error = errorOf(await key.send(['no-such-channel']));
    expect(error).toMatchObject({ code: 'FORBIDDEN', status: 403 });
    expect(error.message).toBe('API key "K" may not target channels: no-such-channel');
  });

  test('ALL key naming an unknown slug: BAD_USER_INPUT, nothing written', async ({ account }) => {
    await seed(account);
    const key = await account.key({ kind: 'ALL' });
    const before = await account.snapshot();
    const error = errorOf(await key.send(['marketing', 'nope']));
    expect(error.code).toBe('BAD_USER_INPUT');
    expect(error.message).toContain('nope');
    expect(await account.snapshot()).toEqual(before);
  });

  test('an empty target.channels targets no one: BAD_USER_INPUT for either kind of key', async ({ account }) => {
    await seed(account);
    for (const key of [await account.key({ kind: 'ALL' }), await account.key({ kind: 'CHANNELS', channels: ['marketing'] })]) {
      const before = await account.snapshot();
      const error = errorOf(await key.send([]));
      expect(error).toMatchObject({ code: 'BAD_USER_INPUT', status: 400 });
      expect(await account.snapshot()).toEqual(before);
    }
  });

  test('duplicate and padded slugs are the same channel', async ({ account }) => {
    await seed(account);
    const key = await account.key({ kind: 'CHANNELS', channels: ['marketing'] });
    expect(dataOf(await key.send(['marketing', ' marketing '])).send.message.recipientCount).toBe(4);
  });

  test('a channel with no recipients: the message is written with a count of 0', async ({ account }) => {
    await seed(account);
    const key = await account.key({ kind: 'ALL' });
    expect(dataOf(await key.send(['vip'])).send.message.recipientCount).toBe(0);
  });

  test('an account with no recipients at all: an ALL send reaches 0', async ({ account }) => {
    const key = await account.key({ kind: 'ALL' });
    expect(dataOf(await key.send(undefined)).send.message).toMatchObject({ recipientCount: 0, allRecipients: true });
  });
});

describe('send: who may call it', () => {
  test('a member calling send: 403 FORBIDDEN, nothing written', async ({ account }) => {
    await seed(account);
    const before = await account.snapshot();
    const error = errorOf(await account.run(Send, { input: { message: { title: 'T', body: 'x' } } }));
    expect(error).toMatchObject({ code: 'FORBIDDEN', status: 403 });
    expect(await account.snapshot()).toEqual(before);
  });

  test('no credentials: 401 UNAUTHENTICATED', async ({ herald }) => {
    const error = errorOf(await herald.execute(Send, { input: { message: { title: 'T', body: 'x' } } }));
    expect(error).toMatchObject({ code: 'UNAUTHENTICATED', status: 401 });
  });
});

describe('send: the message', () => {
  test('title, body and data are stored as sent (trimmed), and the message is listed', async ({ account }) => {
    await seed(account);
    const key = await account.key({ kind: 'ALL' });
    const data = { orderId: 42, tags: ['a', 'b'], nested: { ok: true } };
    const { send } = dataOf(await key.run(Send, { input: { message: { title: '  Order shipped ', body: 'Line 1\n\tLine 2', data } } }));
    expect(send.message).toMatchObject({ title: 'Order shipped', body: 'Line 1\n\tLine 2', data });
    const listed = dataOf(await account.run(Messages, { first: 1 })).messages.edges[0].node;
    expect(listed).toMatchObject({ id: send.message.id, title: 'Order shipped', data, recipientCount: 7 });
  });

  test.for([
    ['an empty title', { title: '   ', body: 'x' }, 'message.title'],
    ['a title of 201 characters', { title: 't'.repeat(201), body: 'x' }, 'message.title'],
    ['a body of 10,001 characters', { title: 'T', body: 'b'.repeat(10_001) }, 'message.body'],
    ['a control character in the title', { title: 'T\u0007', body: 'x' }, 'message.title'],
    ['a control character in the body', { title: 'T', body: 'x\u0000y' }, 'message.body'],
    ['data over 16 KB', { title: 'T', body: 'x', data: { blob: 'x'.repeat(16 * 1024) } }, 'message.data'],
    ['data 17 levels deep', { title: 'T', body: 'x', data: JSON.parse(`${'{"a":'.repeat(17)}1${'}'.repeat(17)}`) }, 'message.data'],
  ] as const)('%s: BAD_USER_INPUT, nothing written', async ([, message, field], { account }) => {
    await seed(account);
    const key = await account.key({ kind: 'ALL' });
    const before = await account.snapshot();
    const result = await key.run(Send, { input: { message } });
    expect(errorOf(result).code).toBe('BAD_USER_INPUT');
    expect(result.errors?.[0].extensions?.field).toBe(field);
    expect(await account.snapshot()).toEqual(before);
  });

  test.for([
    ['a title of 200 characters', { title: 't'.repeat(200), body: '' }],
    ['a body of 10,000 characters', { title: 'T', body: 'b'.repeat(10_000) }],
    ['data 16 levels deep', { title: 'T', body: 'x', data: JSON.parse(`${'{"a":'.repeat(16)}1${'}'.repeat(16)}`) }],
  ] as const)('%s: accepted', async ([, message], { account }) => {
    const key = await account.key({ kind: 'ALL' });
    expect(dataOf(await key.run(Send, { input: { message } })).send.message.title).toBe(message.title);
  });
});

describe('send: consistency', () => {
  test('one delivery per distinct recipient reached', async ({ account, herald }) => {
    await seed(account);
    const key = await account.key({ kind: 'ALL' });
    const { send } = dataOf(await key.send(['marketing', 'billing']));
    const deliveredTo = await herald.deliveredTo(send.message.id as string);
    expect(deliveredTo.sort()).toEqual(['b-0', 'b-1', 'both', 'm-0', 'm-1', 'm-2']);
  });

  test('parallel sends: every message and every delivery counted exactly', async ({ account, herald }) => {
    await seed(account);
    const keys = [await account.key({ kind: 'ALL' }), await account.key({ kind: 'CHANNELS', channels: ['marketing'] })];
    const results = await Promise.all(Array.from({ length: 24 }, (_, i) => keys[i % 2].send(i % 2 ? undefined : ['billing'])));
    for (const r of results) dataOf(r);
    const accountRow = await herald.db.prisma.account.findUniqueOrThrow({ where: { slug: account.slug } });
    expect(await herald.db.prisma.message.count({ where: { accountId: accountRow.id } })).toBe(24);
    // 12 to billing (3 each) + 12 to marketing (4 each)
    const messages = await herald.db.prisma.message.findMany({ where: { accountId: accountRow.id }, select: { id: true } });
    expect(await herald.db.prisma.delivery.count({ where: { messageId: { in: messages.map((m) => m.id) } } })).toBe(12 * 3 + 12 * 4);
  });

  test('a scope edit takes effect on the very next request with the key', async ({ account }) => {
    await seed(account);
    const key = await account.key({ kind: 'CHANNELS', channels: ['marketing'] });
    dataOf(await key.send(['marketing']));
    dataOf(await account.run(UpdateApiKey, { input: { id: key.id, scope: { kind: 'CHANNELS', channels: ['billing'] } } }));
    expect(errorOf(await key.send(['marketing'])).code).toBe('FORBIDDEN');
    expect(dataOf(await key.send(undefined)).send.message.recipientCount).toBe(3);
    dataOf(await account.run(UpdateApiKey, { input: { id: key.id, scope: { kind: 'ALL' } } }));
    expect(dataOf(await key.send(undefined)).send.message.recipientCount).toBe(7);
  });

  test('a rename shows in the next scope-violation message', async ({ account }) => {
    await seed(account);
    const key = await account.key({ kind: 'CHANNELS', channels: ['marketing'] }, 'Old name');
    dataOf(await account.run(UpdateApiKey, { input: { id: key.id, name: 'New name' } }));
    expect(errorOf(await key.send(['billing'])).message).toBe('API key "New name" may not target channels: billing');
  });
});
