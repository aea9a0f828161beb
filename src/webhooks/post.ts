// One try of a delivery: a POST with node's http/https, through the address
// policy's lookup (the address connected to is the one checked), no redirect
// followed, the whole exchange bounded by the timeout, and the first 1,024
// bytes of the answer kept for the attempt log.
import http from 'node:http';
import https from 'node:https';
import { type AddressPolicy, checkUrlForm, connectLookup } from './address-policy.ts';

/** The most of a response body the attempt log keeps, in bytes. */
export const RESPONSE_BODY_BYTES = 1_024;
/** Read beyond the kept bytes (so that the connection can be reused) up to this much; a larger answer ends the connection. */
const DRAIN_BYTES = 64 * 1_024;

export interface PostResult {
  /** The endpoint's HTTP status; null when it gave none. */
  status: number | null;
  durationMs: number;
  /** Why the try failed before a status (timeout, refused connection, refused address). */
  error: string | null;
  responseBody: string | null;
}

export interface PostOptions {
  timeoutMs: number;
  policy: AddressPolicy;
  /** Ends the try early (the instance shuts down): it then counts as not made. */
  signal?: AbortSignal;
}

/** The first `max` bytes of a body as text: whole characters only, no NUL (PostgreSQL text cannot hold it). */
export function cutBody(bytes: Buffer, max = RESPONSE_BODY_BYTES): string {
  let text = new TextDecoder('utf-8').decode(bytes.subarray(0, max), { stream: true }).replaceAll('\u0000', '');
  // Invalid bytes become U+FFFD (three bytes for one): cut again until it fits.
  while (Buffer.byteLength(text) > max) text = text.slice(0, -1);
  return text;
}

const agents = {
  'http:': new http.Agent({ keepAlive: true, maxSockets: 64, maxFreeSockets: 16, timeout: 30_000 }),
  'https:': new https.Agent({ keepAlive: true, maxSockets: 64, maxFreeSockets: 16, timeout: 30_000 }),
};

/** The delivery was cut short by the instance shutting down: the job is tried again, by this instance or another. */
export class PostAbortedError extends Error {}

function describeError(error: NodeJS.ErrnoException, timedOut: boolean, timeoutMs: number): string {
  if (timedOut) return `Timed out after ${timeoutMs} ms`;
  switch (error.code) {
    case 'ECONNREFUSED':
      return 'Connection refused';
    case 'ECONNRESET':
      return 'Connection reset';
    case 'ENOTFOUND':
      return 'The host does not resolve';
    case 'EREFUSEDADDRESS':
      return `Refused: ${error.message}`;
    default:
      return error.code ? `${error.code}: ${error.message}` : error.message;
  }
}

export function post(
  target: string,
  headers: Record<string, string>,
  body: string,
  { timeoutMs, policy, signal }: PostOptions,
): Promise<PostResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  // The form again (a literal address is never looked up), then the lookup checks the rest.
  const form = checkUrlForm(target, policy);
  if (!form.ok) return Promise.resolve({ status: null, durationMs: 0, error: `Refused: ${form.reason}`, responseBody: null });
  const { url } = form;
  const payload = Buffer.from(body);
  return new Promise((resolve, reject) => {
    let timedOut = false;
    let settled = false;
    const finish = (result: PostResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      resolve(result);
    };
    const transport = url.protocol === 'https:' ? https : http;
    const request = transport.request(url, {
      method: 'POST',
      agent: agents[url.protocol as 'http:' | 'https:'],
      lookup: connectLookup(policy),
      headers: {
        'content-type': 'application/json',
        'content-length': String(payload.length),
        'user-agent': 'Herald-Webhooks/1',
        ...headers,
      },
    });
    const timer = setTimeout(() => {
      timedOut = true;
      request.destroy(new Error('timeout'));
    }, timeoutMs);
    const onAbort = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      request.destroy();
      reject(new PostAbortedError('the delivery was interrupted by a shutdown'));
    };
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    request.on('error', (error: NodeJS.ErrnoException) =>
      finish({ status: null, durationMs: elapsed(), error: describeError(error, timedOut, timeoutMs), responseBody: null }),
    );
    request.on('response', (response) => {
      const status = response.statusCode ?? null;
      const kept: Buffer[] = [];
      let read = 0;
      const done = (error: string | null) => finish({ status, durationMs: elapsed(), error, responseBody: cutBody(Buffer.concat(kept)) });
      response.on('data', (chunk: Buffer) => {
        if (read < RESPONSE_BODY_BYTES) kept.push(chunk.subarray(0, RESPONSE_BODY_BYTES - read));
        read += chunk.length;
        if (read > DRAIN_BYTES) {
          // Enough: the rest is not read, and the connection is not reused.
          response.destroy();
          done(null);
        }
      });
      response.on('end', () => done(null));
      response.on('error', () => done(timedOut ? `Timed out after ${timeoutMs} ms reading the response` : 'The response was cut off'));
      response.on('aborted', () => done(timedOut ? `Timed out after ${timeoutMs} ms reading the response` : 'The response was cut off'));
    });
    request.end(payload);
  });
}
