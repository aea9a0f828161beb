// Trusted documents: a first-party client names a document by its hash
// (documentId, or Apollo's persistedQuery extension) instead of sending it. The
// document runs exactly as its text would, with every access rule; an unknown
// hash changes nothing; any other document is still accepted.
import backendManifest from '../../clients/generated/persisted-documents.json' with { type: 'json' };
import pageManifest from '../../web/src/generated/persisted-documents.json' with { type: 'json' };
import { describe, expect, test } from '../support/fixtures.ts';
import type { TestHerald } from '../support/herald.ts';

const hashOf = (manifest: Record<string, string>, operation: string) => {
  const found = Object.entries(manifest).find(([, document]) => document.startsWith(operation));
  if (!found) throw new Error(`no trusted document starts with ${operation}`);
  return found[0];
};

const SEND = hashOf(backendManifest, 'mutation Send(');
const PAGE_CHANNELS = hashOf(pageManifest, 'query DashboardChannels ');

// biome-ignore lint/suspicious/noExplicitAny: a raw client; each test checks the shape it needs.
async function post(herald: TestHerald, token: string, body: object): Promise<{ status: number; body: any }> {
  const response = await herald.fetch({
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

const input = { target: { channels: ['news'] }, message: { title: 'By hash', body: 'b' } };

describe('trusted documents', () => {
  test('send by documentId: the message is sent as by its text', async ({ account, herald }) => {
    await account.channels('news');
    await account.recipients('r', 2, ['news']);
    const key = await account.key({ kind: 'CHANNELS', channels: ['news'] });
    const { status, body } = await post(herald, key.secret, { documentId: SEND, variables: { input } });
    expect(status).toBe(200);
    expect(body).toEqual({ data: { send: { message: { id: expect.any(String), recipientCount: 2 } } } });
    const byText = await post(herald, key.secret, { query: backendManifest[SEND as keyof typeof backendManifest], variables: { input } });
    expect(byText.body.data.send.message.recipientCount).toBe(2);
  });

  test("Apollo's persistedQuery extension names the same document", async ({ account, herald }) => {
    await account.channels('news');
    await account.recipients('r', 1, ['news']);
    const key = await account.key({ kind: 'CHANNELS', channels: ['news'] });
    const sha256Hash = SEND.slice('sha256:'.length);
    const { body } = await post(herald, key.secret, { extensions: { persistedQuery: { version: 1, sha256Hash } }, variables: { input } });
    expect(body.data.send.message.recipientCount).toBe(1);
  });

  test('refused twin: by hash, a key outside its scope is still 403 and nothing is sent', async ({ account, herald }) => {
    await account.channels('news', 'other');
    const key = await account.key({ kind: 'CHANNELS', channels: ['news'] });
    const before = await account.snapshot();
    const { status, body } = await post(herald, key.secret, {
      documentId: SEND,
      variables: { input: { ...input, target: { channels: ['other'] } } },
    });
    expect(status).toBe(403);
    expect(body.errors[0].extensions.code).toBe('FORBIDDEN');
    expect(await account.snapshot()).toEqual(before);
  });

  test("the page's documents by hash, for a member; a member sending by hash is refused as by text", async ({ account, herald }) => {
    await account.channels('news');
    const { body } = await post(herald, account.token, { documentId: PAGE_CHANNELS });
    expect(body.data.channels.map((c: { slug: string }) => c.slug)).toEqual(['news']);
    const refused = await post(herald, account.token, { documentId: SEND, variables: { input } });
    expect(refused.body.errors[0].extensions.code).toBe('FORBIDDEN');
  });

  test('an unknown documentId: 400 naming the problem, nothing changes', async ({ account, herald }) => {
    await account.channels('news');
    const key = await account.key({ kind: 'CHANNELS', channels: ['news'] });
    const before = await account.snapshot();
    const { status, body } = await post(herald, key.secret, { documentId: `sha256:${'0'.repeat(64)}`, variables: { input } });
    expect(status).toBe(400);
    expect(body.errors[0]).toMatchObject({ extensions: { code: 'PERSISTED_QUERY_NOT_FOUND' } });
    expect(body.errors[0].message).toMatch(/Unknown documentId/);
    expect(await account.snapshot()).toEqual(before);
  });

  test('any other document is still accepted (trusted documents are optional for API keys)', async ({ account, herald }) => {
    await account.channels('news');
    await account.recipients('r', 1, ['news']);
    const key = await account.key({ kind: 'CHANNELS', channels: ['news'] });
    const { body } = await post(herald, key.secret, {
      query: 'mutation Mine($input: SendInput!) { send(input: $input) { message { recipientCount title } } }',
      variables: { input },
    });
    expect(body.data.send.message).toEqual({ recipientCount: 1, title: 'By hash' });
  });
});
