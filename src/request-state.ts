// What the plugins and the context learn about one HTTP request, by the Request
// object they share: its id, the key that authenticated it, its rate-limit
// decision and its Idempotency-Key; read back when the response is written.
import { randomUUID } from 'node:crypto';
import type { WorkScope } from './db/deadline.ts';
import type { UnavailableReason } from './errors.ts';
import type { RateDecision } from './rate-limits/gcra.ts';

const INCOMING_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export interface RequestState {
  /** An incoming x-request-id when it is sane, or a generated UUID. */
  id: string;
  /** The key that authenticated the request, once one did. */
  keyId?: string;
  /** The key's rate-limit decision, for the RateLimit-* headers. */
  rateLimit?: RateDecision;
  /** The Idempotency-Key header (checked well formed) and the request's fingerprint. */
  idempotency?: { key: string; fingerprint: string; replayed: boolean };
  /** Whether the GraphQL result had errors (a refusal that answered 200). */
  hadErrors?: boolean;
  /** Why the request was answered 503 SERVICE_UNAVAILABLE, when it was (src/plugins/outages.ts counts them). */
  unavailable?: UnavailableReason;
  /** What bounds its database work: its deadline, and its client's staying (src/plugins/in-flight.ts). */
  work?: WorkScope;
  /** Answered at its deadline by Herald itself: its work did not stop in time (src/plugins/in-flight.ts). */
  timedOut?: boolean;
}

const states = new WeakMap<Request, RequestState>();

export function stateOf(request: Request): RequestState {
  let state = states.get(request);
  if (!state) {
    const incoming = request.headers.get('x-request-id');
    state = { id: incoming && INCOMING_ID.test(incoming) ? incoming : randomUUID() };
    states.set(request, state);
  }
  return state;
}

/**
 * A request URL's path, without its query: what the plugins route on, read
 * from the string on every request rather than by parsing a URL.
 */
export function pathOf(url: string): string {
  const from = url.indexOf('/', url.indexOf('//') + 2);
  if (from < 0) return '/';
  const query = url.indexOf('?', from);
  return query < 0 ? url.slice(from) : url.slice(from, query);
}
