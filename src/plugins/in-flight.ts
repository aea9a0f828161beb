// Every request in flight has a deadline (REQUEST_TIMEOUT_MS), and beyond
// MAX_REQUESTS_IN_FLIGHT none is admitted: 503 at once rather than a queue
// that clients give up on. A request's work has its scope (src/db/deadline.ts),
// in the request's state for the context to hand on: when the client goes away
// or the deadline passes, its database work stops (waits end, statements are
// cancelled, none starts).
// The answer is then whatever that work says, a 503 when it was cut short;
// if nothing answers even so (a frozen database ignores cancels), Herald
// answers 503 itself shortly after the deadline.
// Probes, metrics and event streams (long-lived subscriptions) are neither
// counted nor cut.
import type { Plugin } from 'graphql-yoga';
import { deadlinePassed, Scope } from '../db/deadline.ts';
import { RequestAbandonedError } from '../db/outage.ts';
import { ServiceUnavailableError } from '../errors.ts';
import { pathOf, stateOf } from '../request-state.ts';

/** How long after its deadline a request whose work did not stop is answered anyway. */
const GRACE_MS = 500;

class RequestScope extends Scope {
  private timer: NodeJS.Timeout | undefined;
  private lateTimer: NodeJS.Timeout | undefined;
  private onLate: (why: 'deadline' | 'client') => void = () => {};
  /**
   * Settles GRACE_MS after the deadline passed (the request is answered then,
   * done or not), or as soon as the client goes (nobody waits for an answer).
   */
  readonly late = new Promise<'deadline' | 'client'>((resolve) => {
    this.onLate = resolve;
  });

  constructor(
    private readonly client: AbortSignal,
    deadline: number,
  ) {
    super(deadline);
    this.arm();
    if (client.aborted) this.clientLeft();
    else client.addEventListener('abort', this.clientLeft, { once: true });
  }

  private readonly clientLeft = () => {
    this.stop(new RequestAbandonedError());
    this.onLate('client');
  };

  private arm() {
    clearTimeout(this.timer);
    this.timer = setTimeout(
      () => {
        this.stop(deadlinePassed());
        this.lateTimer = setTimeout(this.onLate, GRACE_MS, 'deadline');
      },
      Math.max(0, this.deadline - Date.now()),
    );
  }

  /** A shutdown needs the request answered sooner. */
  endBy(deadline: number) {
    if (deadline >= this.deadline || this.stopped) return;
    this.deadline = deadline;
    this.arm();
  }

  finish() {
    clearTimeout(this.timer);
    clearTimeout(this.lateTimer);
    this.client.removeEventListener('abort', this.clientLeft);
  }
}

/** The requests this instance serves right now (main.ts shortens their deadlines when it shuts down). */
export class InFlightRequests {
  private readonly scopes = new Set<RequestScope>();
  private endingBy = Number.POSITIVE_INFINITY;

  constructor(
    readonly timeoutMs: number,
    readonly limit: number,
  ) {}

  get count(): number {
    return this.scopes.size;
  }

  /** A scope for a new request, or null when `limit` requests are in flight already. */
  begin(client: AbortSignal): RequestScope | null {
    if (this.scopes.size >= this.limit) return null;
    const scope = new RequestScope(client, Math.min(Date.now() + this.timeoutMs, this.endingBy));
    this.scopes.add(scope);
    return scope;
  }

  end(scope: RequestScope): void {
    scope.finish();
    this.scopes.delete(scope);
  }

  /** Every request in flight, and any that still arrives, is answered by `deadline`. */
  endBy(deadline: number): void {
    this.endingBy = deadline;
    for (const scope of this.scopes) scope.endBy(deadline);
  }
}

const UNCOUNTED_PATHS = new Set(['/health', '/ready', '/metrics']);

/** A GraphQL response refusing the request, for answers made before (or instead of) GraphQL's own. */
export function unavailableResponse(error: ServiceUnavailableError): Response {
  const http = error.extensions.http as { status: number; headers: Record<string, string> };
  return new Response(JSON.stringify({ errors: [{ message: error.message, extensions: { code: error.extensions.code } }] }), {
    status: http.status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...http.headers },
  });
}

/**
 * Counted, and timed, from the moment GraphQL's handler runs (the request's
 * headers and, in the common case, its body are in): a client that sends its
 * body slowly holds a connection, never a place among the requests in flight.
 */
export function useInFlight(requests: InFlightRequests): Plugin {
  return {
    onRequest({ request, requestHandler, setRequestHandler }) {
      // The path from the URL's string: whatwg's `url` parses the URL again on every read of it.
      if (UNCOUNTED_PATHS.has(pathOf(request.url)) || request.headers.get('accept')?.includes('text/event-stream')) return;
      // The connection's signal: a plugin before the handler may replace the request (and its signal) to read the body.
      const client = request.signal;
      setRequestHandler(async (req, context) => {
        const scope = requests.begin(client);
        if (!scope) {
          stateOf(req).unavailable = 'overloaded';
          return unavailableResponse(new ServiceUnavailableError('overloaded'));
        }
        try {
          stateOf(req).work = scope;
          const answered = requestHandler(req, context);
          const late = scope.late.then((why) => {
            if (why === 'deadline') Object.assign(stateOf(req), { unavailable: 'slow', timedOut: true });
            return unavailableResponse(new ServiceUnavailableError('slow'));
          });
          return await Promise.race([answered, late]);
        } finally {
          requests.end(scope);
        }
      });
    },
  };
}
