// Webhooks under load, to a local receiver (a plain node:http server in this
// process that answers 200 at once): the latency of a first attempt (from
// send's response to the request's arrival), the deliveries a second one
// instance makes, and what an enabled endpoint costs send.
import { once } from 'node:events';
import { createServer, type Server as HttpServer } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { graphql } from './graphql.ts';
import { ACCOUNT, SEND_CHANNELS } from './seed.ts';
import type { Server } from './servers.ts';
import { memberToken } from './setup.ts';

const SEND = 'mutation ($input: SendInput!) { send(input: $input) { message { id } } }';
const CREATE = 'mutation ($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { endpoint { id } } }';
const UPDATE = 'mutation ($input: UpdateWebhookEndpointInput!) { updateWebhookEndpoint(input: $input) { id enabled } }';
const DELETE = 'mutation ($id: ID!) { deleteWebhookEndpoint(id: $id) { id } }';

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Records when each request reached it, by path and by the message id in its body. */
export class Receiver {
  /** Arrival times by path. */
  readonly arrivals = new Map<string, number[]>();
  /** Arrival time by message id (the first request of each). */
  readonly byMessage = new Map<string, number>();
  private waiters: (() => void)[] = [];

  private constructor(
    private readonly server: HttpServer,
    readonly url: string,
  ) {}

  static async start(): Promise<Receiver> {
    let receiver: Receiver | null = null;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const at = performance.now();
        res.end('ok');
        receiver?.record(req.url ?? '/', Buffer.concat(chunks).toString(), at);
      });
    });
    server.keepAliveTimeout = 60_000;
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    receiver = new Receiver(server, `http://127.0.0.1:${(server.address() as { port: number }).port}`);
    return receiver;
  }

  private record(path: string, body: string, at: number): void {
    const list = this.arrivals.get(path) ?? [];
    list.push(at);
    this.arrivals.set(path, list);
    const id = (JSON.parse(body) as { data?: { id?: string } }).data?.id;
    if (id && !this.byMessage.has(id)) this.byMessage.set(id, at);
    for (const wake of this.waiters.splice(0)) wake();
  }

  count(prefix: string): number {
    let n = 0;
    for (const [path, list] of this.arrivals) if (path.startsWith(prefix)) n += list.length;
    return n;
  }

  async until(done: () => boolean, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      if (Date.now() > deadline) throw new Error(`${what} within ${timeoutMs} ms`);
      await Promise.race([new Promise<void>((resolve) => this.waiters.push(resolve)), sleep(100)]);
    }
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

async function createEndpoint(url: string, token: string, hook: string): Promise<string> {
  const data = await graphql<{ createWebhookEndpoint: { endpoint: { id: string } } }>(url, CREATE, { input: { url: hook } }, token);
  return data.createWebhookEndpoint.endpoint.id;
}

const sendInput = (title: string) => ({ input: { target: { channels: SEND_CHANNELS }, message: { title, body: 'Webhook bench.' } } });

/** The endpoint the send pair toggles: enabled for the "with" slices, disabled for the others. */
export interface SendPairEndpoint {
  setEnabled(enabled: boolean): Promise<void>;
  /** Waits until the queue is empty: the "without" slice does not pay for the "with" slice's deliveries. */
  drained(): Promise<void>;
  remove(): Promise<void>;
}

export async function sendPairEndpoint(server: Server, receiver: Receiver, databaseUrl: string): Promise<SendPairEndpoint> {
  const token = await memberToken(ACCOUNT);
  const id = await createEndpoint(server.url, token, `${receiver.url}/pair`);
  return {
    async setEnabled(enabled) {
      await graphql(server.url, UPDATE, { input: { id, enabled } }, token);
    },
    async drained() {
      const client = new pg.Client({ connectionString: databaseUrl });
      await client.connect();
      try {
        const deadline = Date.now() + 120_000;
        for (;;) {
          const { rows } = await client.query<{ n: number }>('SELECT count(*)::int AS n FROM graphile_worker.jobs');
          if (rows[0].n === 0) return;
          if (Date.now() > deadline) throw new Error(`${rows[0].n} webhook jobs still queued after 2 minutes`);
          await sleep(200);
        }
      } finally {
        await client.end();
      }
    },
    async remove() {
      await graphql(server.url, DELETE, { id }, token);
    },
  };
}

/** p99 of the first attempt's arrival after send's response, one send at a time (200 of them, a few ms apart). */
export async function measureFirstAttempt(
  server: Server,
  receiver: Receiver,
  key: string,
  sends = 200,
): Promise<{ p50: number; p99: number }> {
  const token = await memberToken(ACCOUNT);
  const id = await createEndpoint(server.url, token, `${receiver.url}/latency`);
  const latencies: number[] = [];
  try {
    for (let i = 0; i < sends; i += 1) {
      const data = await graphql<{ send: { message: { id: string } } }>(server.url, SEND, sendInput(`latency ${i}`), key);
      const responded = performance.now();
      const messageId = data.send.message.id;
      await receiver.until(() => receiver.byMessage.has(messageId), 10_000, 'a first attempt did not arrive');
      latencies.push(Math.max(0, (receiver.byMessage.get(messageId) as number) - responded));
      await sleep(5);
    }
  } finally {
    await graphql(server.url, DELETE, { id }, token);
  }
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

/**
 * Deliveries a second: 50 endpoints (the most an account may have) and 60
 * sends, 3,000 events queued within a fraction of the time they take to
 * deliver; the rate is counted from the first arrival to the last.
 */
export async function measureThroughput(
  server: Server,
  receiver: Receiver,
  key: string,
): Promise<{ deliveries: number; perSecond: number }> {
  const token = await memberToken(ACCOUNT);
  const endpoints: string[] = [];
  for (let i = 0; i < 50; i += 1) endpoints.push(await createEndpoint(server.url, token, `${receiver.url}/throughput/${i}`));
  const sends = 60;
  const expected = sends * endpoints.length;
  try {
    for (let i = 0; i < sends; i += 4) {
      await Promise.all(Array.from({ length: 4 }, (_, j) => graphql(server.url, SEND, sendInput(`throughput ${i + j}`), key)));
    }
    await receiver.until(() => receiver.count('/throughput/') >= expected, 120_000, `not all ${expected} deliveries arrived`);
    const times = [...receiver.arrivals].filter(([path]) => path.startsWith('/throughput/')).flatMap(([, list]) => list);
    const seconds = (Math.max(...times) - Math.min(...times)) / 1000;
    return { deliveries: times.length, perSecond: (times.length - 1) / seconds };
  } finally {
    for (const id of endpoints) await graphql(server.url, DELETE, { id }, token);
  }
}
