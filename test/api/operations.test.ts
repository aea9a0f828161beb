import { Writable } from 'node:stream';
import { pino } from 'pino';
import { openDatabase } from '../../src/db/index.ts';
import { createHerald } from '../../src/yoga.ts';
import { Channels, CreateApiKey, Send } from '../support/documents.ts';
import { describe, expect, test } from '../support/fixtures.ts';
import { dataOf, testConfig } from '../support/herald.ts';

describe('health and readiness', () => {
  test('/health answers 200; /ready answers 200 on a migrated, reachable database', async ({ herald }) => {
    expect((await herald.fetch({ method: 'GET', path: '/health' })).status).toBe(200);
    const ready = await herald.fetch({ method: 'GET', path: '/ready' });
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready' });
  });

  test('/ready answers 503 while draining, and when the database is unreachable', async ({ herald }) => {
    const lifecycle = { draining: true };
    const draining = await createHerald({ config: testConfig(), db: herald.db, logger: pino({ level: 'silent' }), lifecycle });
    const response = await draining.fetch('http://herald.test/ready');
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ status: 'draining' });
    lifecycle.draining = false;
    expect((await draining.fetch('http://herald.test/ready')).status).toBe(200);

    const unreachable = await openDatabase({ kind: 'postgres', url: 'postgres://postgres@127.0.0.1:1/unreachable' });
    const down = await createHerald({ config: testConfig(), db: unreachable, logger: pino({ level: 'silent' }) });
    const answer = await down.fetch('http://herald.test/ready');
    expect(answer.status).toBe(503);
    expect(await answer.json()).toEqual({ status: 'unavailable', reason: 'unreachable', detail: expect.stringContaining('ECONNREFUSED') });
    await unreachable.close();
  });
});

describe('metrics', () => {
  test('/metrics counts requests by operation, errors by code and recipients sent', async ({ account, herald }) => {
    await account.channels('m');
    await account.recipients('r', 3, ['m']);
    const key = await account.key({ kind: 'CHANNELS', channels: ['m'] });
    dataOf(await key.send(undefined));
    dataOf(await key.send(undefined));
    await key.send(['elsewhere']);
    // Refused before execution: counted by its phase, with no operation executed.
    await herald.execute(Send, { input: { message: { title: 't', body: 'b' } } }, { token: 'hrld_not_a_key' });
    const text = await (await herald.fetch({ method: 'GET', path: '/metrics' })).text();
    expect(text).toMatch(/graphql_envelop_request\{[^}]*operationName="Send"[^}]*\} 3/);
    expect(text).toMatch(/graphql_envelop_request_duration_bucket\{[^}]*operationName="Send"/);
    expect(text).toMatch(/graphql_envelop_error_result\{[^}]*operationName="Send"[^}]*code="FORBIDDEN"[^}]*\} 1/);
    expect(text).toMatch(/graphql_envelop_error_result\{phase="request"[^}]*code="UNAUTHENTICATED"[^}]*\} 1/);
    // By status and path: the two sends answered 200, the refused one 403 FORBIDDEN.
    expect(text).toMatch(/graphql_yoga_http_duration_count\{[^}]*operationName="Send"[^}]*statusCode="200",url="\/graphql"\} 2/);
    expect(text).toMatch(/graphql_yoga_http_duration_count\{[^}]*operationName="Send"[^}]*statusCode="403",url="\/graphql"\} 1/);
    expect(text).toMatch(/herald_send_recipients_total 6/);
    expect(text).not.toContain(key.secret);
  });
});

describe('request logs', () => {
  test('one line per request with its id (incoming or generated), operation, caller, status; never a secret or token', async ({
    herald,
  }) => {
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, new Writable({ write: (chunk, _e, done) => done(void lines.push(chunk.toString())) }));
    const yoga = await createHerald({ config: testConfig(), db: herald.db, logger });
    const token = await herald.memberToken('logged-account', 'logged-member');
    const post = (body: unknown, headers: Record<string, string>) =>
      yoga.fetch('http://herald.test/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
      });

    const created = await post(
      { query: (await import('graphql')).print(CreateApiKey), variables: { input: { name: 'Logged', scope: { kind: 'ALL' } } } },
      { authorization: `Bearer ${token}`, 'x-request-id': 'trace-123' },
    );
    expect(created.headers.get('x-request-id')).toBe('trace-123');
    const { secret, apiKey } = (await created.json()).data.createApiKey;
    const used = await post(
      { query: (await import('graphql')).print(Channels) },
      { authorization: `Bearer ${secret}`, 'x-request-id': 'bad id with spaces' },
    );
    const generated = used.headers.get('x-request-id');
    expect(generated).toMatch(/^[0-9a-f-]{36}$/);
    await post({ query: '{ channels { slug } }' }, { authorization: 'Bearer hrld_notakey' });

    const entries = lines.map((line) => JSON.parse(line)).filter((e) => e.msg === 'request');
    expect(entries[0]).toMatchObject({
      requestId: 'trace-123',
      operation: 'CreateApiKey',
      status: 200,
      caller: expect.stringMatching(/^member:/),
    });
    expect(entries[1]).toMatchObject({ requestId: generated, operation: 'Channels', status: 200, caller: `key:${apiKey.id}` });
    expect(entries[2]).toMatchObject({ status: 401 });
    // Refused before a caller was known: said so, with the refusal's code.
    expect(entries[2]).toMatchObject({ caller: 'none', errors: ['UNAUTHENTICATED'] });
    for (const entry of entries) expect(typeof entry.durationMs).toBe('number');
    const all = lines.join('\n');
    expect(all).not.toContain(secret);
    expect(all).not.toContain(token);
    expect(all).not.toContain(token.split('.')[2]);
  });
});
