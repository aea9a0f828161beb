// Inbox streams as clients open them: graphql-sse (distinct connections, the
// mode Yoga serves at /graphql) and graphql-ws, against a listening Herald.
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { type ExecutionResult, print } from 'graphql';
import { createClient as createSseClient } from 'graphql-sse';
import { createClient as createWsClient } from 'graphql-ws';
import WebSocket from 'ws';

/** Everything a stream emitted, as it arrives, and how it ended. */
export class StreamLog<R> {
  readonly results: ExecutionResult<R>[] = [];
  /** Settles when the stream ends: null when it completed, or the error (a refusal, a closed socket) that ended it. */
  readonly ended: Promise<unknown>;
  private waiters: (() => void)[] = [];

  constructor(private readonly iterator: AsyncIterableIterator<ExecutionResult<R>>) {
    this.ended = (async () => {
      try {
        for await (const result of iterator) {
          this.results.push(result);
          for (const wake of this.waiters.splice(0)) wake();
        }
        return null;
      } catch (error) {
        return error;
      } finally {
        for (const wake of this.waiters.splice(0)) wake();
      }
    })();
  }

  /** The data of every result so far. */
  get data(): R[] {
    return this.results.map((r) => r.data as R);
  }

  /** Resolves once `count` results have arrived; fails after `timeoutMs` (the stream's results in the message). */
  async waitFor(count: number, timeoutMs = 5_000): Promise<R[]> {
    const deadline = Date.now() + timeoutMs;
    let ended = false;
    void this.ended.then(() => {
      ended = true;
    });
    while (this.results.length < count) {
      const left = deadline - Date.now();
      if (left <= 0 || ended) {
        throw new Error(`expected ${count} results, got ${this.results.length}: ${JSON.stringify(this.results).slice(0, 2_000)}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
      await Promise.resolve();
    }
    return this.data.slice(0, count);
  }

  /** Stops listening (the client closes its side). */
  async close(): Promise<void> {
    await this.iterator.return?.();
    await this.ended;
  }
}

interface Subscription<R, V> {
  document: TypedDocumentNode<R, V>;
  variables?: V;
}

/** One SSE stream: POST /graphql with Accept: text/event-stream (graphql-sse, distinct connections mode). */
export function sse<R, V>(base: string, token: string, { document, variables }: Subscription<R, V>): StreamLog<R> {
  const client = createSseClient({ url: `${base}/graphql`, headers: { authorization: `Bearer ${token}` }, retryAttempts: 0 });
  const iterator = client.iterate<R>({ query: print(document), variables: variables as Record<string, unknown> | undefined });
  return new StreamLog(iterator as AsyncIterableIterator<ExecutionResult<R>>);
}

/** A graphql-ws connection; `closed` resolves with its close event (code and reason) when the server closes it. */
export function ws(base: string, token: string | undefined, connectionParams?: Record<string, unknown>) {
  let resolveClosed: (event: { code: number; reason: string }) => void = () => {};
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    resolveClosed = resolve;
  });
  const client = createWsClient({
    url: `${base.replace(/^http/, 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: connectionParams ?? (token ? { authorization: `Bearer ${token}` } : {}),
    retryAttempts: 0,
    lazy: true,
    on: { closed: (event) => resolveClosed(event as { code: number; reason: string }) },
  });
  return {
    client,
    closed,
    subscribe<R, V>({ document, variables }: Subscription<R, V>): StreamLog<R> {
      const iterator = client.iterate<R>({ query: print(document), variables: variables as Record<string, unknown> | undefined });
      return new StreamLog(iterator as AsyncIterableIterator<ExecutionResult<R>>);
    },
    dispose: () => client.dispose(),
  };
}
