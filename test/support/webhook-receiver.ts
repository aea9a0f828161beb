// A local webhook endpoint for tests: records every request (headers, body,
// arrival time) and answers as the test says (200 by default). Deliveries are
// verified with the standardwebhooks package, as a customer's backend would.
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { Webhook } from 'standardwebhooks';

export interface Received {
  path: string;
  headers: Record<string, string>;
  body: string;
  at: number;
  /** The parsed body. */
  event: { type: string; timestamp: string; data: Record<string, unknown> };
}

export type Answer = (request: Received, res: ServerResponse) => void | Promise<void>;

export class WebhookReceiver {
  readonly received: Received[] = [];
  private answer: Answer = (_request, res) => {
    res.end('ok');
  };
  private waiters: (() => void)[] = [];

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<WebhookReceiver> {
    let receiver: WebhookReceiver | null = null;
    const server = createServer((req, res) => void receiver?.handle(req, res));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as { port: number };
    receiver = new WebhookReceiver(server, `http://127.0.0.1:${port}`);
    return receiver;
  }

  /** How the receiver answers from now on. */
  answerWith(answer: Answer): void {
    this.answer = answer;
  }

  /** Answers with this status (and body) from now on. */
  respond(status: number, body = ''): void {
    this.answer = (_request, res) => {
      res.statusCode = status;
      res.end(body);
    };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString();
    const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
    const request: Received = { path: req.url ?? '/', headers, body, at: performance.now(), event: JSON.parse(body) };
    this.received.push(request);
    for (const wake of this.waiters.splice(0)) wake();
    await this.answer(request, res);
  }

  /** Requests to one path (each test gives its endpoint a path of its own). */
  at(path: string): Received[] {
    return this.received.filter((r) => r.path === path);
  }

  /** Waits until `count` requests reached `path` (within `timeoutMs`), and returns them. */
  async waitFor(path: string, count = 1, timeoutMs = 5_000): Promise<Received[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.at(path).length < count) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${this.at(path).length} of ${count} webhook requests reached ${path} within ${timeoutMs} ms`);
      await Promise.race([new Promise<void>((resolve) => this.waiters.push(resolve)), sleep(Math.min(left, 100))]);
    }
    return this.at(path);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

/** Verifies a request's signature with one secret, as standardwebhooks does (throws when none matches). */
export function verify(secret: string, request: Received): unknown {
  return new Webhook(secret).verify(request.body, request.headers);
}

/** Whether the request carries a valid signature made with this secret. */
export function signedWith(secret: string, request: Received): boolean {
  try {
    verify(secret, request);
    return true;
  } catch {
    return false;
  }
}
