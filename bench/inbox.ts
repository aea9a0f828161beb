// The live inbox under load: one instance holding 10,000 idle SSE streams (its
// RSS), one send reaching all of them (p99 from send's response to each event),
// and the latency of one event, on one instance and across two.
// Streams are raw sockets (an HTTP request written by hand, the event stream
// read as bytes), so that the client costs as little as the server it measures.
import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { RecipientTokens } from '../src/auth/recipient-tokens.ts';
import { parseDatabaseUrl } from '../src/config.ts';
import { openDatabase } from '../src/db/index.ts';
import { graphql } from './graphql.ts';
import { ACCOUNT, INBOX_CHANNEL, INBOX_RECIPIENTS, SOLO_CHANNEL } from './seed.ts';
import type { Server } from './servers.ts';
import { memberToken } from './setup.ts';

const SUBSCRIPTION = JSON.stringify({ query: 'subscription { inbox { kind item { id } } }' });
const SEND = 'mutation ($input: SendInput!) { send(input: $input) { message { id recipientCount } } }';

export interface InboxResults {
  subscribers: number;
  /** VmRSS with every stream open and idle. */
  rssMb: number;
  /** VmRSS before the first stream opened. */
  rssBeforeMb: number;
  fanoutP50Ms: number;
  fanoutP99Ms: number;
  latencyP50Ms: number;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Recipient tokens for the bench's recipients, signed with the fleet's key as Herald signs them (no 10,000 API calls). */
export async function recipientTokens(databaseUrl: string, externalIds: string[]): Promise<string[]> {
  const db = await openDatabase(parseDatabaseUrl(databaseUrl));
  try {
    const rows = await db.prisma.$queryRawUnsafe<{ id: string; accountId: string; externalId: string }[]>(
      'SELECT r.id::text, r."accountId"::text, r."externalId" FROM "Recipient" r WHERE r."externalId" = ANY($1::text[])',
      externalIds,
    );
    const byExternalId = new Map(rows.map((r) => [r.externalId, r]));
    const tokens = new RecipientTokens(db.prisma);
    return await Promise.all(
      externalIds.map(async (externalId) => {
        const row = byExternalId.get(externalId);
        if (!row) throw new Error(`no recipient ${externalId}`);
        return (await tokens.sign({ accountId: row.accountId, recipientId: row.id }, 3_600)).token;
      }),
    );
  } finally {
    await db.close();
  }
}

/** One SSE stream on a raw socket: `onEvent` gets the time each `event: next` arrives. */
class RawStream {
  private readonly socket: Socket;
  readonly opened: Promise<void>;

  constructor(url: URL, token: string, onEvent: (at: number) => void) {
    this.socket = connect({ host: url.hostname, port: Number(url.port) });
    this.socket.setNoDelay(true);
    this.socket.write(
      `POST ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\nAccept: text/event-stream\r\nContent-Type: application/json\r\n` +
        `Authorization: Bearer ${token}\r\nContent-Length: ${Buffer.byteLength(SUBSCRIPTION)}\r\n\r\n${SUBSCRIPTION}`,
    );
    let headerSeen = false;
    this.opened = new Promise((resolve, reject) => {
      this.socket.once('error', reject);
      this.socket.on('data', (chunk: Buffer) => {
        const at = performance.now();
        const text = chunk.toString('latin1');
        if (!headerSeen) {
          if (!text.startsWith('HTTP/1.1 200')) {
            reject(new Error(`stream refused: ${text.slice(0, 300)}`));
            return;
          }
          headerSeen = true;
          resolve();
        }
        let from = 0;
        for (;;) {
          const found = text.indexOf('event: next', from);
          if (found < 0) break;
          onEvent(at);
          from = found + 1;
        }
      });
    });
  }

  close(): void {
    this.socket.destroy();
  }
}

async function openStreams(server: Server, tokens: string[], onEvent: (index: number, at: number) => void): Promise<RawStream[]> {
  const url = new URL(server.url);
  const streams: RawStream[] = [];
  // In batches: a burst of 10,000 connections overflows the listen backlog.
  for (let i = 0; i < tokens.length; i += 500) {
    const batch = tokens.slice(i, i + 500).map((token, j) => new RawStream(url, token, (at) => onEvent(i + j, at)));
    await Promise.all(batch.map((s) => s.opened));
    streams.push(...batch);
  }
  return streams;
}

async function sendTo(url: string, key: string, channel: string): Promise<number> {
  await graphql(url, SEND, { input: { target: { channels: [channel] }, message: { title: 'Inbox bench', body: 'Hello.' } } }, key);
  return performance.now();
}

async function createKey(url: string, name: string, channels: string[]): Promise<string> {
  const data = await graphql<{ createApiKey: { secret: string } }>(
    url,
    'mutation ($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret } }',
    { input: { name, scope: { kind: 'CHANNELS', channels } } },
    await memberToken(ACCOUNT),
  );
  return data.createApiKey.secret;
}

/** Median latency of one event from send's response (through `sender`) to its arrival on a stream held by `holder`. */
export async function measureLatency(sender: Server, holder: Server, databaseUrl: string, sends = 200): Promise<number> {
  const key = await createKey(sender.url, `latency-${Date.now()}`, [SOLO_CHANNEL]);
  const [token] = await recipientTokens(databaseUrl, [`${SOLO_CHANNEL}-1`]);
  let arrived: ((at: number) => void) | null = null;
  const [stream] = await openStreams(holder, [token], (_i, at) => arrived?.(at));
  await sleep(200);
  const latencies: number[] = [];
  try {
    for (let i = 0; i < sends; i += 1) {
      const event = new Promise<number>((resolve) => {
        arrived = resolve;
      });
      const responded = await sendTo(sender.url, key, SOLO_CHANNEL);
      const at = await Promise.race([event, sleep(5_000).then(() => Number.NaN)]);
      if (Number.isNaN(at)) throw new Error('an inbox event did not arrive within 5 s');
      // An event may come before the response that caused it has been read: that is no latency at all.
      latencies.push(Math.max(0, at - responded));
    }
  } finally {
    stream.close();
  }
  return percentile(latencies, 50);
}

/** 10,000 idle streams on a fresh server, then one send to all of them. */
export async function measureInbox(server: Server, databaseUrl: string): Promise<Omit<InboxResults, 'latencyP50Ms'>> {
  const externalIds = Array.from({ length: INBOX_RECIPIENTS }, (_, i) => `${INBOX_CHANNEL}-${i + 1}`);
  const tokens = await recipientTokens(databaseUrl, externalIds);
  const key = await createKey(server.url, `fanout-inbox-${Date.now()}`, [INBOX_CHANNEL]);
  const before = await server.memory();
  const arrivals = new Array<number>(tokens.length).fill(Number.NaN);
  const streams = await openStreams(server, tokens, (index, at) => {
    if (Number.isNaN(arrivals[index])) arrivals[index] = at;
  });
  try {
    await sleep(2_000); // idle, as subscribers mostly are
    const { rssMb } = await server.memory();
    const responded = await sendTo(server.url, key, INBOX_CHANNEL);
    const deadline = Date.now() + 30_000;
    while (arrivals.some(Number.isNaN) && Date.now() < deadline) await sleep(20);
    const missing = arrivals.filter(Number.isNaN).length;
    if (missing > 0) throw new Error(`${missing} of ${tokens.length} streams got no event within 30 s`);
    const delays = arrivals.map((at) => Math.max(0, at - responded));
    return {
      subscribers: streams.length,
      rssMb,
      rssBeforeMb: before.rssMb,
      fanoutP50Ms: percentile(delays, 50),
      fanoutP99Ms: percentile(delays, 99),
    };
  } finally {
    for (const stream of streams) stream.close();
  }
}
