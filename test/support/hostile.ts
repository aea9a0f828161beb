// What every test/hostile/* file shares: its server, hostile requests and their
// answers, the world a case runs in, and the checker that a hostile request was
// refused — a 4xx (never a 5xx) with a clear error, the account's data exactly
// as it was, and the server still answering the next normal request. Where
// hostile-looking input is in fact valid (SQL in a title, emoji in a name) an
// "allowed twin" checks that it is accepted, and stored verbatim and harmlessly.
//
// Requests go through TestHerald.fetch (yoga.fetch, no socket) like every other
// test's; only what fetch cannot send (line breaks, NUL or other control bytes
// in a header, headers over Node's size limit) goes over a real socket, to the
// same Yoga behind node:http as in src/main.ts.
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { connect } from 'node:net';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import { Channels } from './documents.ts';
import { test as base, expect, type TestAccount, TestKey } from './fixtures.ts';
import { dataOf, type RequestOptions, redact, TestHerald } from './herald.ts';

// ---------------------------------------------------------------------------
// The server of each hostile file. Failed authentications are rate limited per
// source address; every request here that is meant to fail authentication
// comes from its own X-Forwarded-For address (trusted only in these files'
// servers), so that it is judged on its own and never locks out the normal
// requests, nor, on PostgreSQL where the counters are shared, other test files.
// ---------------------------------------------------------------------------

export const test = base.extend<{ $file: { herald: TestHerald } }>({
  herald: [
    // biome-ignore lint/correctness/noEmptyPattern: vitest reads the fixture's dependencies from this pattern.
    async ({}, use) => {
      const herald = await TestHerald.start({ trustProxy: ['loopback'] });
      await use(herald);
      await herald.close();
    },
    { scope: 'file' },
  ],
});

export { describe, expect } from './fixtures.ts';

export const GRAPHQL_RESPONSE = 'application/graphql-response+json';
export const MiB = 1_048_576;

/** A source address of its own, for one request meant to fail authentication. */
export const freshAddress = () => `2001:db8::${randomUUID().slice(0, 4)}:${randomUUID().slice(0, 4)}`;

// ---------------------------------------------------------------------------
// Requests and answers
// ---------------------------------------------------------------------------

export interface GraphQLErrorJson {
  message?: unknown;
  extensions?: { code?: unknown; [key: string]: unknown };
}

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  /** The body as JSON; undefined when it is not JSON (an HTML page, nothing). */
  json: { data?: unknown; errors?: GraphQLErrorJson[] } | undefined;
  /** The request, for failure messages (no secrets). */
  request: string;
}

/** Where requests go: a TestHerald, or another Yoga over the same database with the same fetch. */
export type Fetcher = Pick<TestHerald, 'fetch'>;

export interface Req {
  method?: string;
  path?: string;
  /** A list of pairs sends a header more than once. */
  headers?: Record<string, string> | [string, string][];
  body?: BodyInit | null;
  duplex?: 'half';
}

export function shorten(text: string, max = 600): string {
  return text.length > max ? `${text.slice(0, max)}… (${text.length} characters)` : text;
}

function describeRequest(req: Req): string {
  const pairs = Array.isArray(req.headers) ? req.headers : Object.entries(req.headers ?? {});
  const headers = pairs
    .slice(0, 20)
    .map(([name, value]) =>
      name.toLowerCase() === 'authorization'
        ? `${name}: ${shorten(value, 40)} (${value.length})`
        : `${name}: ${JSON.stringify(shorten(value, 120))}`,
    )
    .join('; ');
  const more = pairs.length > 20 ? `; … (${pairs.length} headers)` : '';
  const body = typeof req.body === 'string' ? shorten(req.body) : req.body == null ? '' : `<${req.body.constructor.name}>`;
  return redact(`${req.method ?? 'GET'} ${req.path ?? '/graphql'} [${headers}${more}] ${JSON.stringify(body)}`);
}

function parseJson(text: string): Answer['json'] {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** An HTTP request through TestHerald.fetch (POST unless told), read into an Answer. */
export async function http(herald: Fetcher, req: Req): Promise<Answer> {
  const response = await herald.fetch({ method: 'POST', ...req } as RequestInit & { path?: string });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    text,
    json: parseJson(text),
    request: describeRequest({ method: 'POST', ...req }),
  };
}

export interface GqlOptions {
  variables?: unknown;
  token?: string;
  headers?: Record<string, string>;
  operationName?: string;
}

/**
 * A GraphQL request as a spec-compliant client sends it: Accept
 * application/graphql-response+json, so that request errors are 4xx (with
 * application/json, as TestHerald.execute asks, they are 200 by the spec).
 */
export function gql(herald: Fetcher, query: string, { variables, token, headers, operationName }: GqlOptions = {}): Promise<Answer> {
  return http(herald, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: GRAPHQL_RESPONSE,
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
      ...headers,
    },
    body: JSON.stringify({ query, variables, operationName }),
  });
}

/** A typed document through TestHerald.execute, asked as a spec-compliant client does (see gql). */
export async function typed<R, V>(
  herald: TestHerald,
  document: TypedDocumentNode<R, V>,
  variables: V,
  options: RequestOptions = {},
): Promise<Answer> {
  const result = await herald.execute(document, variables, { ...options, headers: { accept: GRAPHQL_RESPONSE, ...options.headers } });
  const request = `${print(document).replace(/\s+/g, ' ')} variables: ${shorten(JSON.stringify(variables ?? {}))}`;
  return { status: result.status, headers: result.headers, text: result.text, json: parseJson(result.text), request: redact(request) };
}

export const where = (answer: Answer) => `${answer.request}\n→ ${answer.status} ${redact(shorten(answer.text, 1500))}`;

/** The body of an HTTP/1.1 response, its chunks joined when it came chunked. */
function bodyOf(head: string, rest: string): string {
  if (!/^transfer-encoding:\s*chunked/im.test(head)) return rest;
  let body = '';
  let at = 0;
  for (;;) {
    const end = rest.indexOf('\r\n', at);
    const size = end < 0 ? 0 : Number.parseInt(rest.slice(at, end), 16);
    if (!size) return body;
    body += rest.slice(end + 2, end + 2 + size);
    at = end + 2 + size + 2;
  }
}

/**
 * Bytes on a socket, to the Yoga behind node:http: for what fetch will not send
 * (line breaks, NUL or other control bytes in a header) and for what Node's
 * HTTP parser judges before Herald sees it (header sizes, repeated headers).
 * The headers go between the fixed ones, each as written.
 */
export async function rawHttp(herald: TestHerald, headers: [string, string][], body = createChannelBody('raw')): Promise<Answer> {
  const server = createServer(herald.yoga);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  const lines = headers.map(([name, value]) => `${name}: ${value}\r\n`).join('');
  const request = `POST /graphql HTTP/1.1\r\nHost: herald.test\r\nContent-Type: application/json\r\nConnection: close\r\n${lines}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
  try {
    const text = await new Promise<string>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1');
      let out = '';
      socket.on('data', (chunk) => {
        out += chunk.toString();
      });
      socket.on('end', () => resolve(out));
      socket.on('error', reject);
      socket.setTimeout(5000, () => socket.destroy(new Error(`no answer: ${out}`)));
      socket.write(request);
    });
    const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
    const split = text.indexOf('\r\n\r\n');
    const head = split < 0 ? text : text.slice(0, split);
    const responseHeaders = new Headers();
    for (const line of head.split('\r\n').slice(1)) {
      const colon = line.indexOf(':');
      if (colon > 0) responseHeaders.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
    }
    const json = split < 0 ? undefined : parseJson(bodyOf(head, text.slice(split + 4)));
    return { status, headers: responseHeaders, text, json, request: redact(JSON.stringify(shorten(request, 200))) };
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

// ---------------------------------------------------------------------------
// The world each case runs in: an account with two channels, a recipient and
// two keys (ALL, and CHANNELS on marketing).
// ---------------------------------------------------------------------------

export type Role = 'anonymous' | 'member' | 'all' | 'scoped';

export interface World {
  herald: TestHerald;
  account: TestAccount;
  all: TestKey;
  scoped: TestKey;
  /** The bearer token of the case's role (undefined: anonymous). */
  token: string | undefined;
  /** The ids of the seeded channels and recipient. */
  ids: { marketing: string; billing: string; recipient: string };
}

const SEED = `mutation Seed {
  marketing: createChannel(input: { slug: "marketing", name: "Marketing" }) { id }
  billing: createChannel(input: { slug: "billing", name: "Billing" }) { id }
  recipient: createRecipient(input: { externalId: "r-1", channels: ["marketing"] }) { id }
  all: createApiKey(input: { name: "All sender", scope: { kind: ALL } }) { secret apiKey { id name } }
  scoped: createApiKey(input: { name: "Marketing sender", scope: { kind: CHANNELS, channels: ["marketing"] } }) { secret apiKey { id name } }
}`;

/** The world, in one request (five mutations run in order). */
export async function seed(herald: TestHerald, account: TestAccount, role: Role): Promise<World> {
  type Created = { secret: string; apiKey: { id: string; name: string } };
  type Seeded = { marketing: { id: string }; billing: { id: string }; recipient: { id: string }; all: Created; scoped: Created };
  const seeded = dataOf(await herald.execute<Seeded, never>(SEED, {} as never, { token: account.token }));
  const key = ({ secret, apiKey }: Created) => new TestKey(herald, apiKey.id, apiKey.name, secret);
  const all = key(seeded.all);
  const scoped = key(seeded.scoped);
  const token = { anonymous: undefined, member: account.token, all: all.secret, scoped: scoped.secret }[role];
  const ids = { marketing: seeded.marketing.id, billing: seeded.billing.id, recipient: seeded.recipient.id };
  return { herald, account, all, scoped, token, ids };
}

export interface Refusal {
  /** Expected status(es); any 4xx when absent. NOT_FOUND is 200 by the spec. */
  status?: number | number[];
  /** Expected extensions.code of an error (execution errors). */
  code?: string;
  /** Expected message pattern. */
  message?: RegExp;
  /** Expected extensions.field of an error (the input it names). */
  field?: string;
  /** HEAD, or refused by Node's HTTP parser: a status and no body. */
  bodyless?: boolean;
}

export interface Hostile {
  as?: Role;
  request: (w: World) => Promise<Answer>;
  refusal?: Refusal;
}

/** One hostile request: refused with a 4xx and a clear error, nothing changed, the server still serving. */
export async function refused(herald: TestHerald, account: TestAccount, hostile: Hostile): Promise<void> {
  const w = await seed(herald, account, hostile.as ?? 'member');
  const refusal = hostile.refusal ?? {};
  const before = await account.snapshot();
  const answer = await hostile.request(w);
  const context = where(answer);
  if (refusal.status === undefined) {
    expect(answer.status, `a 4xx: ${context}`).toBeGreaterThanOrEqual(400);
    expect(answer.status, `a 4xx: ${context}`).toBeLessThan(500);
  } else {
    expect([refusal.status].flat(), `status: ${context}`).toContain(answer.status);
  }
  if (!refusal.bodyless) {
    const errors = answer.json?.errors;
    expect(Array.isArray(errors) && errors.length > 0, `a GraphQL error in the body: ${context}`).toBe(true);
    const [first] = errors as GraphQLErrorJson[];
    expect(typeof first.message === 'string' && /\S/.test(first.message), `an error message: ${context}`).toBe(true);
    if (refusal.code)
      expect(
        (errors as GraphQLErrorJson[]).map((e) => e.extensions?.code),
        `code: ${context}`,
      ).toContain(refusal.code);
    if (refusal.message) expect(first.message, context).toMatch(refusal.message);
    if (refusal.field)
      expect(
        (errors as GraphQLErrorJson[]).map((e) => e.extensions?.field),
        `field: ${context}`,
      ).toContain(refusal.field);
  }
  // The server still answers a normal request, and nothing changed.
  dataOf(await account.run(Channels));
  expect(await account.snapshot(), `nothing changed after: ${answer.request}`).toEqual(before);
}

/** An allowed twin: the request succeeds (200, no errors); returns its data. */
export function accepted(answer: Answer): Record<string, unknown> {
  expect(answer.status, where(answer)).toBe(200);
  expect(answer.json?.errors, where(answer)).toBeUndefined();
  return answer.json?.data as Record<string, unknown>;
}

// ---------------------------------------------------------------------------
// Documents and requests the hostile files share
// ---------------------------------------------------------------------------

export const Q = {
  createChannel: 'mutation CreateChannel($input: CreateChannelInput!) { createChannel(input: $input) { id slug name } }',
  createRecipient:
    'mutation CreateRecipient($input: CreateRecipientInput!) { createRecipient(input: $input) { id externalId channels { slug } } }',
  createApiKey:
    'mutation CreateApiKey($input: CreateApiKeyInput!) { createApiKey(input: $input) { apiKey { id name scope { kind channels { slug } } } } }',
  updateApiKey:
    'mutation UpdateApiKey($input: UpdateApiKeyInput!) { updateApiKey(input: $input) { id name scope { kind channels { slug } } } }',
  send: 'mutation Send($input: SendInput!) { send(input: $input) { message { id title body data allRecipients recipientCount channels { slug } } } }',
  channels: 'query Channels { channels { id slug name } }',
  messages: 'query Messages($first: Int, $after: String) { messages(first: $first, after: $after) { totalCount edges { node { id } } } }',
  apiKey: 'query ApiKey($id: ID!) { apiKey(id: $id) { id name } }',
  updateChannel: 'mutation UpdateChannel($input: UpdateChannelInput!) { updateChannel(input: $input) { id slug name } }',
  updateRecipient:
    'mutation UpdateRecipient($input: UpdateRecipientInput!) { updateRecipient(input: $input) { id externalId channels { slug } } }',
  upsertRecipients: 'mutation UpsertRecipients($input: UpsertRecipientsInput!) { upsertRecipients(input: $input) { created updated } }',
  recipients:
    'query Recipients($after: String, $channel: String, $search: String) { recipients(after: $after, channel: $channel, search: $search) { totalCount edges { node { externalId } } } }',
  recipient: 'query Recipient($externalId: String!) { recipient(externalId: $externalId) { id externalId } }',
};

export const createChannelBody = (slug: string) =>
  JSON.stringify({ query: `mutation { createChannel(input: { slug: "${slug}", name: "Evil" }) { id } }` });

export const sendAs = (w: Pick<World, 'herald'>, key: TestKey, input: unknown) =>
  gql(w.herald, Q.send, { token: key.secret, variables: { input } });
export const message = (overrides: Record<string, unknown> = {}) => ({ title: 'T', body: 'B', ...overrides });
/** A send of a message (no target) with these fields. */
export const sendMessage = (w: Pick<World, 'herald'>, key: TestKey, overrides: Record<string, unknown> = {}) =>
  sendAs(w, key, { message: message(overrides) });

/** A JSON POST as the world's member (the headers may replace the member's Authorization). */
export const jsonPost = (w: World, body: BodyInit, headers: Record<string, string> = {}): Promise<Answer> =>
  http(w.herald, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: GRAPHQL_RESPONSE, authorization: `Bearer ${w.account.token}`, ...headers },
    body,
  });

/** A GraphQL request with the token of the case's role. */
export const asMember =
  (query: string, options: Omit<GqlOptions, 'token'> = {}) =>
  (w: World) =>
    gql(w.herald, query, { token: w.token, ...options });
