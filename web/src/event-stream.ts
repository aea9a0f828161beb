// A GraphQL subscription over SSE as Herald serves it (the graphql-sse protocol,
// distinct connections mode): POST /graphql asking for text/event-stream, read
// with fetch's ReadableStream and parsed here. Each `next` event is one GraphQL
// result, `complete` ends the stream, comment lines (heartbeats) are skipped.
// Written here rather than taken from graphql-sse's client (8.4 KB minified,
// 3.3 KB gzip, for what is a page of code): its retries resend the same variables,
// while the inbox resumes from a newer cursor each time, so the retry loop is
// the page's own anyway (live-inbox.ts).
import { type GraphQLResult, RequestError, resultOf } from './api.ts';
import type { TypedDocumentString } from './generated/graphql.ts';

/** How a stream ended. */
export type StreamEnd =
  /** The server ended it (`event: complete`). */
  | { kind: 'complete' }
  /** The connection broke, or the response ended without `complete`. */
  | { kind: 'dropped' }
  /** Refused before it opened (an HTTP error), or a result with errors; retryAfterMs from Retry-After. */
  | { kind: 'refused'; error: RequestError; retryAfterMs: number | null }
  /** The page closed it (its AbortSignal). */
  | { kind: 'aborted' };

interface Handlers<TResult> {
  /** The server accepted the subscription: events follow. */
  open(): void;
  next(data: TResult): void;
}

// Line ends of text/event-stream; a "\r" at the very end of what has arrived may be half of a "\r\n".
const LINE_END = /\r\n|\n|\r(?!$)/;

export async function subscribe<TResult, TVariables>(
  document: TypedDocumentString<TResult, TVariables>,
  variables: TVariables,
  token: string,
  signal: AbortSignal,
  on: Handlers<TResult>,
): Promise<StreamEnd> {
  const ended = (): StreamEnd => (signal.aborted ? { kind: 'aborted' } : { kind: 'dropped' });
  let response: Response;
  try {
    response = await fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: document.toString(), variables }),
      signal,
    });
  } catch {
    return ended();
  }
  if (!response.ok || !response.body || !response.headers.get('content-type')?.startsWith('text/event-stream')) {
    const seconds = Number(response.headers.get('retry-after'));
    const body = (await response.json().catch(() => null)) as GraphQLResult<TResult> | null;
    let error: RequestError;
    try {
      resultOf(body, response.status);
      error = new RequestError([{ message: `Unexpected answer from Herald (HTTP ${response.status}).` }], response.status);
    } catch (e) {
      error = e as RequestError;
    }
    return { kind: 'refused', error, retryAfterMs: Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : null };
  }
  on.open();

  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  let event = '';
  let data: string[] = [];
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return ended();
      buffer += value;
      const lines = buffer.split(LINE_END);
      buffer = lines.pop() ?? '';
      for (const line of lines) {
        if (line === '') {
          // A blank line dispatches the event gathered so far.
          if (event === 'complete') {
            await reader.cancel().catch(() => {});
            return { kind: 'complete' };
          }
          if (event === 'next' && data.length > 0) {
            try {
              on.next(resultOf(JSON.parse(data.join('\n')) as GraphQLResult<TResult>, response.status));
            } catch (e) {
              await reader.cancel().catch(() => {});
              const error =
                e instanceof RequestError ? e : new RequestError([{ message: 'Herald sent an event the page cannot read.' }], 0);
              return { kind: 'refused', error, retryAfterMs: null };
            }
          }
          event = '';
          data = [];
          continue;
        }
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const text = colon < 0 ? '' : line.slice(colon + (line[colon + 1] === ' ' ? 2 : 1));
        if (field === 'event') event = text;
        else if (field === 'data') data.push(text);
      }
    }
  } catch {
    return ended();
  }
}
