import { randomUUID } from 'node:crypto';
import trusted from '../clients/generated/persisted-documents.json' with { type: 'json' };
import type { Workload } from './load.ts';
import { exactly } from './load.ts';
import { SEND_CHANNELS } from './seed.ts';
import { LISTED_KEYS } from './setup.ts';

export const hello = (url: string): Workload => ({ url, query: '{ hello }', ...exactly('{"data":{"hello":"world"}}') });

export const typename = (url: string, token?: string): Workload => ({
  url,
  token,
  query: '{ __typename }',
  ...exactly('{"data":{"__typename":"Query"}}'),
});

const SEND_REACH = 20;

export const send = (url: string, key: string): Workload => ({
  url,
  token: key,
  query: 'mutation ($input: SendInput!) { send(input: $input) { message { id recipientCount } } }',
  variables: { input: { target: { channels: SEND_CHANNELS }, message: { title: 'Bench', body: 'Hello from the benchmark.' } } },
  accepts: (body) => body.startsWith('{"data":{"send":{"message":{"id":"') && body.endsWith(`","recipientCount":${SEND_REACH}}}}}`),
});

/** send by the hash of the backend client's trusted Send document (clients/documents.ts): no text to parse or validate. */
export const sendPersisted = (url: string, key: string): Workload => {
  const [documentId, query] = Object.entries(trusted).find(([, document]) => document.startsWith('mutation Send(')) ?? [];
  if (!documentId || !query) throw new Error('clients/generated/persisted-documents.json has no Send document: run npm run generate');
  return { ...send(url, key), query, documentId };
};

/** send with a rate-limited key and a new Idempotency-Key on every request: the safe-sending path. */
export const sendSafely = (url: string, key: string): Workload => ({
  ...send(url, key),
  freshHeaders: () => ({ 'idempotency-key': randomUUID() }),
});

interface Listing {
  apiKeys: { scope: { kind: string; channels: { slug: string }[] } }[];
}

export const apiKeys = (url: string, memberToken: string): Workload => ({
  url,
  token: memberToken,
  query: '{ apiKeys { id name prefix scope { kind channels { slug } } } }',
  accepts: (body) => body.startsWith('{"data":{"apiKeys":[{"id":"') && !body.includes('"errors"'),
  validate(response) {
    const keys = (response.data as Listing).apiKeys;
    const scoped = keys.filter((k) => k.scope.kind === 'CHANNELS' && k.scope.channels.length === 2);
    if (keys.length !== LISTED_KEYS || scoped.length !== LISTED_KEYS) {
      throw new Error(`apiKeys listed ${keys.length} keys, ${scoped.length} of them with two channels; expected ${LISTED_KEYS}`);
    }
  },
});
