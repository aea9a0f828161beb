// Webhook endpoints: members manage them, every change audited, the secret
// shown once; bad input and SSRF refused, changing nothing.
import { afterAll, beforeAll } from 'vitest';
import {
  AuditEvents,
  CreateWebhookEndpoint,
  DeleteChannel,
  DeleteWebhookEndpoint,
  RollWebhookEndpointSecret,
  SendWebhookTestEvent,
  UpdateWebhookEndpoint,
  WebhookAttempts,
  WebhookEndpoints,
} from '../support/documents.ts';
import { describe, expect, TestAccount, test, uniqueSlug } from '../support/fixtures.ts';
import { dataOf, errorOf, TestHerald } from '../support/herald.ts';

const HOOK = 'http://127.0.0.1:9/hooks';

async function create(account: TestAccount, input: Record<string, unknown> = {}) {
  return dataOf(await account.run(CreateWebhookEndpoint, { input: { url: HOOK, ...input } })).createWebhookEndpoint;
}

async function trail(account: TestAccount) {
  return dataOf(await account.run(AuditEvents, { first: 100 })).auditEvents.edges.map((e) => e.node);
}

/** What a refused request must leave as it was. */
async function state(account: TestAccount) {
  return { endpoints: dataOf(await account.run(WebhookEndpoints)).webhookEndpoints, trail: await trail(account) };
}

describe('webhook endpoints', () => {
  test('create: the secret once, the defaults, newest first; the secret never appears again', async ({ account }) => {
    await account.channels('news', 'alerts');
    const first = await create(account);
    expect(first.secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    expect(first.endpoint).toMatchObject({
      url: HOOK,
      description: null,
      enabled: true,
      disabledReason: null,
      events: ['MESSAGE_SENT'],
      channels: [],
    });
    const second = await create(account, {
      url: 'http://127.0.0.1:9/other',
      description: '  Orders backend  ',
      channels: ['news', 'alerts', 'news'],
      events: ['INBOX_ITEM_READ', 'MESSAGE_SENT'],
    });
    expect(second.endpoint).toMatchObject({
      description: 'Orders backend',
      channels: [{ slug: 'alerts' }, { slug: 'news' }],
      events: ['INBOX_ITEM_READ', 'MESSAGE_SENT'],
    });
    const listed = await account.run(WebhookEndpoints);
    expect(dataOf(listed).webhookEndpoints.map((e) => e.id)).toEqual([second.endpoint.id, first.endpoint.id]);
    expect(listed.text).not.toContain(first.secret);
    const rolled = dataOf(await account.run(RollWebhookEndpointSecret, { input: { id: first.endpoint.id, gracePeriodSeconds: 60 } }));
    for (const response of [
      await account.run(WebhookEndpoints),
      await account.run(WebhookAttempts, { id: first.endpoint.id }),
      await account.run(AuditEvents, { first: 100 }),
    ]) {
      expect(response.text).not.toContain(first.secret);
      expect(response.text).not.toContain(rolled.rollWebhookEndpointSecret.secret);
      expect(response.text).not.toContain('whsec_');
    }
  });

  test('update: each field, and absent fields stay as they are; enabling clears the reason', async ({ account }) => {
    await account.channels('news');
    const { endpoint } = await create(account, { description: 'one' });
    const moved = dataOf(await account.run(UpdateWebhookEndpoint, { input: { id: endpoint.id, url: 'http://127.0.0.1:9/moved' } }));
    expect(moved.updateWebhookEndpoint).toMatchObject({ url: 'http://127.0.0.1:9/moved', description: 'one', events: ['MESSAGE_SENT'] });
    const edited = dataOf(
      await account.run(UpdateWebhookEndpoint, {
        input: { id: endpoint.id, channels: ['news'], events: ['INBOX_ITEM_READ'], description: null },
      }),
    );
    expect(edited.updateWebhookEndpoint).toMatchObject({ description: null, channels: [{ slug: 'news' }], events: ['INBOX_ITEM_READ'] });
    const disabled = dataOf(await account.run(UpdateWebhookEndpoint, { input: { id: endpoint.id, enabled: false } }));
    expect(disabled.updateWebhookEndpoint).toMatchObject({ enabled: false, disabledReason: 'Disabled by a member.' });
    const enabled = dataOf(await account.run(UpdateWebhookEndpoint, { input: { id: endpoint.id, enabled: true, channels: [] } }));
    expect(enabled.updateWebhookEndpoint).toMatchObject({ enabled: true, disabledReason: null, channels: [] });
  });

  test('delete, and a second delete is NOT_FOUND', async ({ account }) => {
    const { endpoint } = await create(account);
    expect(dataOf(await account.run(DeleteWebhookEndpoint, { id: endpoint.id })).deleteWebhookEndpoint.id).toBe(endpoint.id);
    expect(dataOf(await account.run(WebhookEndpoints)).webhookEndpoints).toEqual([]);
    expect(errorOf(await account.run(DeleteWebhookEndpoint, { id: endpoint.id })).code).toBe('NOT_FOUND');
  });

  test('every change is in the audit trail, without a secret', async ({ account }) => {
    await account.channels('news');
    const { endpoint, secret } = await create(account, { channels: ['news'] });
    dataOf(await account.run(UpdateWebhookEndpoint, { input: { id: endpoint.id, description: 'now described' } }));
    dataOf(await account.run(RollWebhookEndpointSecret, { input: { id: endpoint.id, gracePeriodSeconds: 0 } }));
    dataOf(await account.run(DeleteWebhookEndpoint, { id: endpoint.id }));
    const events = (await trail(account)).filter((e) => e.action.startsWith('WEBHOOK_'));
    expect(events.map((e) => e.action)).toEqual([
      'WEBHOOK_ENDPOINT_DELETED',
      'WEBHOOK_SECRET_ROLLED',
      'WEBHOOK_ENDPOINT_UPDATED',
      'WEBHOOK_ENDPOINT_CREATED',
    ]);
    const [deleted, rolled, updated, created] = events;
    expect(created.changes).toMatchObject({
      id: { before: null, after: endpoint.id },
      url: { before: null, after: HOOK },
      channels: { before: null, after: ['news'] },
      events: { before: null, after: ['MESSAGE_SENT'] },
    });
    expect(updated.changes).toEqual({
      id: { before: endpoint.id, after: endpoint.id },
      description: { before: null, after: 'now described' },
    });
    expect(rolled.changes).toMatchObject({
      id: { before: endpoint.id, after: endpoint.id },
      previousSecretExpiresAt: { before: null, after: null },
    });
    expect(deleted.changes).toMatchObject({ id: { before: endpoint.id, after: null }, url: { before: HOOK, after: null } });
    expect(JSON.stringify(events)).not.toContain(secret.slice(6));
    expect(JSON.stringify(events)).not.toContain('whsec_');
    for (const event of events) expect(event.member).not.toBeNull();
  });

  test.for([
    ['an unknown channel', { channels: ['nope'] }, /Unknown channel slug: nope/],
    ['a malformed slug', { channels: ['Not A Slug'] }, /channels must be 1 to 64/],
    ['no events', { events: [] }, /events must name at least one/],
    ['a description too long', { description: 'x'.repeat(501) }, /description must be at most 500/],
    ['a URL that is no URL', { url: 'hooks' }, /valid absolute URL/],
    ['a URL with a password', { url: 'http://u:p@127.0.0.1/' }, /user name or password/],
  ] as const)('create refuses %s with BAD_USER_INPUT, changing nothing', async ([, input, reason], { account }) => {
    const before = await state(account);
    const refused = errorOf(await account.run(CreateWebhookEndpoint, { input: { url: HOOK, ...input } as never }));
    expect(refused.code).toBe('BAD_USER_INPUT');
    expect(refused.message).toMatch(reason);
    expect(await state(account)).toEqual(before);
  });

  test('update and roll refuse bad input with BAD_USER_INPUT, changing nothing; unknown ids are NOT_FOUND', async ({ account, other }) => {
    const { endpoint } = await create(account);
    const before = await state(account);
    for (const input of [
      { id: endpoint.id, channels: ['nope'] },
      { id: endpoint.id, events: [] },
      { id: endpoint.id, url: 'gopher://127.0.0.1/' },
    ]) {
      expect(errorOf(await account.run(UpdateWebhookEndpoint, { input })).code).toBe('BAD_USER_INPUT');
    }
    for (const gracePeriodSeconds of [-1, 86_401]) {
      expect(errorOf(await account.run(RollWebhookEndpointSecret, { input: { id: endpoint.id, gracePeriodSeconds } })).code).toBe(
        'BAD_USER_INPUT',
      );
    }
    expect(await state(account)).toEqual(before);
    // Another account's endpoint does not exist for this one.
    const theirs = await create(other);
    for (const result of [
      await account.run(UpdateWebhookEndpoint, { input: { id: theirs.endpoint.id, enabled: false } }),
      await account.run(DeleteWebhookEndpoint, { id: theirs.endpoint.id }),
      await account.run(RollWebhookEndpointSecret, { input: { id: theirs.endpoint.id, gracePeriodSeconds: 0 } }),
      await account.run(SendWebhookTestEvent, { input: { id: theirs.endpoint.id, eventType: 'MESSAGE_SENT' } }),
      await account.run(DeleteWebhookEndpoint, { id: 'not-a-uuid' }),
    ]) {
      expect(errorOf(result).code).toBe('NOT_FOUND');
    }
    expect(dataOf(await account.run(WebhookAttempts, { id: theirs.endpoint.id })).webhookEndpoint).toBeNull();
    expect(dataOf(await other.run(WebhookEndpoints)).webhookEndpoints).toHaveLength(1);
  });

  test('members only: API keys and recipient tokens get 403 FORBIDDEN on every webhook field', async ({ account, herald }) => {
    const { endpoint } = await create(account);
    const key = await account.key({ kind: 'ALL' });
    await account.recipient('r-1', []);
    const inbox = await account.inboxOf('r-1');
    const before = await state(account);
    for (const token of [key.secret, inbox.token]) {
      for (const [document, variables] of [
        [WebhookEndpoints, {}],
        [WebhookAttempts, { id: endpoint.id }],
        [CreateWebhookEndpoint, { input: { url: HOOK } }],
        [UpdateWebhookEndpoint, { input: { id: endpoint.id, enabled: false } }],
        [DeleteWebhookEndpoint, { id: endpoint.id }],
        [RollWebhookEndpointSecret, { input: { id: endpoint.id, gracePeriodSeconds: 0 } }],
        [SendWebhookTestEvent, { input: { id: endpoint.id, eventType: 'MESSAGE_SENT' } }],
      ] as const) {
        const refused = errorOf(await herald.execute(document, variables as never, { token }));
        expect(refused).toMatchObject({ code: 'FORBIDDEN', status: 403 });
      }
    }
    expect(await state(account)).toEqual(before);
  });

  test('a channel in an endpoint filter is not deleted until the endpoint lets go of it', async ({ account }) => {
    const [news] = await account.channels('news');
    const { endpoint } = await create(account, { channels: ['news'] });
    const refused = errorOf(await account.run(DeleteChannel, { id: news }));
    expect(refused.code).toBe('BAD_USER_INPUT');
    expect(refused.message).toContain('webhook endpoint');
    dataOf(await account.run(UpdateWebhookEndpoint, { input: { id: endpoint.id, channels: [] } }));
    expect(dataOf(await account.run(DeleteChannel, { id: news })).deleteChannel.id).toBe(news);
  });
});

describe('SSRF, with the rules on (no WEBHOOK_ALLOW_PRIVATE_NETWORKS)', () => {
  let strict: TestHerald;
  beforeAll(async () => {
    strict = await TestHerald.start({
      webhooks: { concurrency: 0, timeoutMs: 15_000, retryDelaysMs: [], allowPrivateNetworks: false, lockTimeoutMs: 60_000 },
    });
  });
  afterAll(() => strict.close());

  test.each([
    'http://127.0.0.1:4000/hook',
    'http://localhost/hook',
    'http://10.0.0.5/hook',
    'http://172.20.1.1/hook',
    'http://192.168.1.20/hook',
    'http://100.100.100.200/hook',
    'http://169.254.169.254/latest/meta-data/',
    'http://metadata.google.internal/computeMetadata/v1/',
    'http://[::1]/hook',
    'http://[fe80::1]/hook',
    'http://[fc00::1]/hook',
    'http://[::ffff:192.168.0.1]/hook',
    'http://0.0.0.0/hook',
  ])('%s is refused with BAD_USER_INPUT, at create and at update', async (url) => {
    const account = await TestAccount.provision(strict, uniqueSlug('ssrf'));
    const refused = errorOf(await account.run(CreateWebhookEndpoint, { input: { url } }));
    expect(refused.code).toBe('BAD_USER_INPUT');
    expect(refused.message).toMatch(/^url/);
    // The allowed twin: a public address is saved (nothing is sent to it here).
    const { createWebhookEndpoint } = dataOf(await account.run(CreateWebhookEndpoint, { input: { url: 'https://8.8.8.8/hook' } }));
    expect(createWebhookEndpoint.endpoint.url).toBe('https://8.8.8.8/hook');
    const update = errorOf(await account.run(UpdateWebhookEndpoint, { input: { id: createWebhookEndpoint.endpoint.id, url } }));
    expect(update.code).toBe('BAD_USER_INPUT');
    expect(dataOf(await account.run(WebhookEndpoints)).webhookEndpoints.map((e) => e.url)).toEqual(['https://8.8.8.8/hook']);
  });
});
