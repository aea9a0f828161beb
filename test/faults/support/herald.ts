// Herald's production build (dist/main.js, built once by ./global-setup.ts) as
// the fault suite runs it, with a raw client that measures each answer.
import { type DocumentNode, print } from 'graphql';
import { signMemberToken } from '../../../src/auth/jwt.ts';
import { CreateApiKey, CreateChannel, CreateRecipient } from '../../support/documents.ts';
import { type ServerProcess, startServer, stop, waitUntilReady } from '../../support/server-process.ts';

export const SECRET = 'fault-suite-secret-long-enough-for-hs256';

const started: ServerProcess[] = [];

/** node dist/main.js with these settings (development defaults otherwise), once /ready answers 200. */
export async function startHerald(env: Record<string, string>): Promise<ServerProcess> {
  const server = await startServer(['dist/main.js'], { AUTH_JWT_SECRET: SECRET, LOG_LEVEL: 'info', ...env });
  started.push(server);
  await waitUntilReady(server);
  return server;
}

/** SIGTERM (then SIGKILL) every server a test started: for afterEach. */
export async function stopHeralds(): Promise<void> {
  await Promise.all(started.splice(0).map((server) => stop(server, 15_000)));
}

export type LogLine = { level: number; msg: string; time: number } & Record<string, unknown>;

/** Its JSON log lines so far (anything else it printed is left out). */
export function logLines(server: ServerProcess): LogLine[] {
  return server.output
    .join('')
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogLine);
}

/** Lines at pino's error level or above. */
export const errorLines = (lines: LogLine[]) => lines.filter((line) => line.level >= 50);

export interface Answer {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: a raw client; each test checks the shape it needs.
  body: any;
  /** How long the answer took. */
  ms: number;
}

/** A GraphQL request; a status of 0 when the connection failed or `signal` aborted it. */
export async function gql(
  server: ServerProcess,
  token: string | null,
  document: DocumentNode | string,
  variables?: unknown,
  { headers = {}, signal }: { headers?: Record<string, string>; signal?: AbortSignal } = {},
): Promise<Answer> {
  const started = performance.now();
  try {
    const response = await fetch(server.url('/graphql'), {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
      body: JSON.stringify({ query: typeof document === 'string' ? document : print(document), variables }),
      signal,
    });
    const text = await response.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {}
    return { status: response.status, headers: response.headers, body, ms: performance.now() - started };
  } catch {
    return { status: 0, headers: new Headers(), body: null, ms: performance.now() - started };
  }
}

/** GET /ready with how long it took. */
export async function ready(server: ServerProcess): Promise<Answer> {
  const started = performance.now();
  const response = await fetch(server.url('/ready'));
  return { status: response.status, headers: response.headers, body: await response.json(), ms: performance.now() - started };
}

export interface Seeded {
  member: string;
  key: { id: string; secret: string };
}

/** An account with a channel of 3 recipients and a key scoped to it. */
export async function seed(server: ServerProcess, account: string): Promise<Seeded> {
  const member = await signMemberToken(new TextEncoder().encode(SECRET), { subject: 'ops', accountSlug: account });
  const must = async (answer: Promise<Answer>) => {
    const { status, body } = await answer;
    if (status !== 200 || body.errors) throw new Error(`seeding failed: ${status} ${JSON.stringify(body)}`);
    return body.data;
  };
  await must(gql(server, member, CreateChannel, { input: { slug: 'news', name: 'News' } }));
  for (let i = 0; i < 3; i += 1) await must(gql(server, member, CreateRecipient, { input: { externalId: `r-${i}`, channels: ['news'] } }));
  const created = await must(
    gql(server, member, CreateApiKey, { input: { name: 'Fault key', scope: { kind: 'CHANNELS', channels: ['news'] } } }),
  );
  return { member, key: { id: created.createApiKey.apiKey.id, secret: created.createApiKey.secret } };
}

/** The send a backend makes: the message's id and reach. */
export const SEND = 'mutation ($input: SendInput!) { send(input: $input) { message { id recipientCount } } }';

export const sendInput = (title: string) => ({ input: { message: { title, body: 'b' } } });

/** Polls fn every 50 ms until it returns true; the time it took, or throws after timeoutMs. */
export async function within(timeoutMs: number, fn: () => Promise<boolean>, what = 'the condition'): Promise<number> {
  const started = performance.now();
  for (;;) {
    if (await fn()) return performance.now() - started;
    if (performance.now() - started > timeoutMs) throw new Error(`${what} did not hold within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
