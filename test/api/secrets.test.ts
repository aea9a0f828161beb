// A whole walkthrough, refusals included: the key secret appears in exactly one
// response (createApiKey) and nowhere else; the member token appears nowhere.
import { ApiKeyById, ApiKeys, Channels, CreateApiKey, Messages, Send, UpdateApiKey } from '../support/documents.ts';
import { expect, test } from '../support/fixtures.ts';
import { dataOf } from '../support/herald.ts';

test('no secret or token leaks into responses, logs, metrics or errors', async ({ account, herald }) => {
  const responses: string[] = [];
  const record = async <R>(result: Promise<{ text: string } & R>) => {
    const r = await result;
    responses.push(r.text);
    return r;
  };
  await account.channels('marketing', 'billing');
  await account.recipient('ada', ['marketing']);
  const created = await record(
    account.run(CreateApiKey, { input: { name: 'Sender', scope: { kind: 'CHANNELS', channels: ['marketing'] } } }),
  );
  const { secret, apiKey } = dataOf(created).createApiKey;
  expect(responses.filter((body) => body.includes(secret))).toHaveLength(1);
  responses.length = 0;

  const key = { run: <R, V>(doc: Parameters<typeof herald.execute<R, V>>[0], vars?: V) => herald.execute(doc, vars, { token: secret }) };
  await record(key.run(Send, { input: { message: { title: 'Hi', body: 'B' } } }));
  await record(key.run(Send, { input: { target: { channels: ['billing'] }, message: { title: 'No', body: 'B' } } }));
  await record(key.run(ApiKeys));
  await record(key.run(Messages, {}));
  await record(account.run(ApiKeys));
  await record(account.run(ApiKeyById, { id: apiKey.id }));
  await record(account.run(UpdateApiKey, { input: { id: apiKey.id, name: 'Renamed' } }));
  await record(herald.execute(Channels, undefined, { token: `${secret.slice(0, -1)}x` }));
  await record(herald.execute(Channels, undefined, { token: `${account.token}x` }));
  const metrics = await (await herald.fetch({ method: 'GET', path: '/metrics' })).text();

  const raw = await herald.fetch({
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${secret}` },
    body: JSON.stringify({ query: '{ apiKeys { id prefix } }' }),
  });
  const everything = [...responses, await raw.text(), metrics, ...herald.logText].join('\n');
  expect(everything).not.toContain(secret);
  expect(everything).not.toContain(secret.slice(11));
  expect(everything).not.toContain(account.token);
  expect(everything).not.toContain(account.token.split('.')[2]);
  expect(herald.logText.length).toBeGreaterThan(5);
});
