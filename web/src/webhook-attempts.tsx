// One endpoint's delivery attempts, newest first, 20 a page with Load more, and
// Send test event. Delivery is asynchronous: after a test event the log is read
// again every half second until its first try shows (at most 20 s); while the
// log is open it is read again every 5 s, as the Messages view is.
import { useEffect, useId, useRef, useState } from 'preact/hooks';
import { RequestError, request } from './api.ts';
import { LabelledCell, Time } from './display.tsx';
import { DashboardSendWebhookTestEvent, DashboardWebhookAttempts } from './documents.ts';
import { count } from './format.ts';
import type { DashboardWebhookAttemptsQuery, WebhookAttemptStatus, WebhookEventType } from './generated/graphql.ts';
import { eventName } from './webhook-checks.ts';

type Attempt = NonNullable<DashboardWebhookAttemptsQuery['webhookEndpoint']>['attempts']['edges'][number]['node'];

interface Loaded {
  attempts: Attempt[];
  hasNextPage: boolean;
  endCursor: string | null;
}

const PAGE = 20;
const MAX_PAGE = 100;
const POLL_MS = 5000;
const WATCH_MS = 500;
const WATCH_FOR_MS = 20_000;

const COLUMNS = ['When', 'Status', 'Event', 'HTTP status', 'Duration', 'Attempt', 'Next attempt', 'Error'] as const;
const Cell = LabelledCell<(typeof COLUMNS)[number]>;

export const STATUS: Record<WebhookAttemptStatus, { label: string; class: string }> = {
  SUCCEEDED: { label: 'Succeeded', class: 'active' },
  PENDING: { label: 'Will retry', class: 'expired' },
  FAILED: { label: 'Failed', class: 'revoked' },
};

/** The newest attempts read again over what was loaded (as the Messages view does): new ones on top, older pages kept. */
function refreshed(current: Loaded | null, fresh: Loaded): Loaded {
  if (!current || fresh.attempts.length === 0) return fresh;
  const last = fresh.attempts[fresh.attempts.length - 1];
  const at = current.attempts.findIndex((a) => a.id === last.id);
  if (at < 0) return fresh;
  return {
    ...fresh,
    attempts: [...fresh.attempts, ...current.attempts.slice(at + 1)],
    hasNextPage: current.hasNextPage,
    endCursor: current.endCursor,
  };
}

/** What became of a test event's first try, in a sentence. */
function outcome(attempt: Attempt): string {
  const http = attempt.responseStatus === null ? 'no answer' : `HTTP ${attempt.responseStatus}`;
  const took = attempt.durationMs === null ? '' : ` in ${count(attempt.durationMs)} ms`;
  if (attempt.status === 'SUCCEEDED') return `Test event delivered: ${http}${took}.`;
  const error = attempt.error ? ` (${attempt.error})` : '';
  return `Test event failed: ${http}${took}${error}.${attempt.status === 'PENDING' ? ' Herald will try again.' : ''}`;
}

interface Props {
  endpoint: { id: string; url: string; enabled: boolean; events: readonly WebhookEventType[] };
  /** A test event's first try is logged: the endpoint's last success (or failure) changed. */
  onTried: () => void;
  onUnauthenticated: (error: RequestError) => void;
}

export function WebhookAttempts({ endpoint, onTried, onUnauthenticated }: Props) {
  const id = useId();
  const [open, setOpen] = useState(false);
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState('');
  const [watching, setWatching] = useState<string | null>(null);
  const current = useRef(loaded);
  current.current = loaded;
  const busy = useRef(false);
  const firstNew = useRef<string | null>(null);

  const read = async (first: number, after?: string | null): Promise<Loaded | null> => {
    try {
      const { webhookEndpoint } = await request(DashboardWebhookAttempts, { id: endpoint.id, first, after });
      setError(null);
      if (!webhookEndpoint) return { attempts: [], hasNextPage: false, endCursor: null };
      const { edges, pageInfo } = webhookEndpoint.attempts;
      return { attempts: edges.map((e) => e.node), hasNextPage: pageInfo.hasNextPage, endCursor: pageInfo.endCursor ?? null };
    } catch (e) {
      if (e instanceof RequestError && e.unauthenticated) onUnauthenticated(e);
      else setError(e instanceof Error ? e.message : String(e));
      return null;
    }
  };

  const refresh = async () => {
    const shown = current.current?.attempts.length ?? 0;
    const fresh = await read(Math.min(MAX_PAGE, Math.max(PAGE, shown)));
    if (fresh) setLoaded((now) => refreshed(now, fresh));
    return fresh;
  };

  // Open: read now, then every 5 s while the tab is visible.
  useEffect(() => {
    if (!open) return;
    refresh();
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') refresh();
    }, POLL_MS);
    return () => clearInterval(timer);
  }, [open]);

  // A test event was queued: read every half second until its first try is logged.
  useEffect(() => {
    if (!watching) return;
    const until = Date.now() + WATCH_FOR_MS;
    let stopped = false;
    const tick = async () => {
      const fresh = await refresh();
      if (stopped) return;
      const tried = fresh?.attempts.find((a) => a.eventId === watching);
      if (tried) {
        setStatus(outcome(tried));
        setWatching(null);
        onTried();
      } else if (Date.now() > until) {
        setStatus('The test event is queued, but no try is logged yet: Refresh in a moment.');
        setWatching(null);
      } else timer = setTimeout(tick, WATCH_MS);
    };
    let timer = setTimeout(tick, WATCH_MS);
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [watching]);

  // After Load more, focus goes to the first attempt it added: the button may be gone.
  useEffect(() => {
    if (!firstNew.current) return;
    document.getElementById(`${id}-${firstNew.current}`)?.focus();
    firstNew.current = null;
  }, [loaded]);

  const sendTest = async () => {
    if (busy.current) return;
    busy.current = true;
    setStatus('');
    setOpen(true);
    try {
      const type = endpoint.events.includes('MESSAGE_SENT') ? 'MESSAGE_SENT' : (endpoint.events[0] ?? 'MESSAGE_SENT');
      const sent = await request(DashboardSendWebhookTestEvent, { input: { id: endpoint.id, eventType: type } });
      setStatus(`Test ${eventName(type)} event queued…`);
      setWatching(sent.sendWebhookTestEvent.eventId);
    } catch (e) {
      if (e instanceof RequestError && e.unauthenticated) onUnauthenticated(e);
      else setStatus(e instanceof Error ? e.message : String(e));
    } finally {
      busy.current = false;
    }
  };

  const loadMore = async () => {
    const before = current.current;
    if (!before || busy.current) return;
    busy.current = true;
    const page = await read(PAGE, before.endCursor);
    busy.current = false;
    if (!page) return;
    setLoaded((now) => {
      const shown = now ?? before;
      const seen = new Set(shown.attempts.map((a) => a.id));
      const added = page.attempts.filter((a) => !seen.has(a.id));
      firstNew.current = added[0]?.id ?? null;
      return { ...page, attempts: [...shown.attempts, ...added] };
    });
  };

  const refreshNow = async () => {
    if (busy.current) return;
    busy.current = true;
    const fresh = await refresh();
    busy.current = false;
    if (fresh) setStatus(`Refreshed: ${fresh.attempts.length === 0 ? 'no attempts yet' : `the latest ${count(fresh.attempts.length)}`}.`);
  };

  return (
    <section class="attempts-section" aria-labelledby={`${id}-title`}>
      <div class="attempts-head">
        <h3 id={`${id}-title`}>
          <button type="button" class="disclosure" aria-expanded={open} aria-controls={`${id}-log`} onClick={() => setOpen(!open)}>
            Delivery attempts
          </button>
        </h3>
        <div class="attempts-tools">
          {open && (
            <button type="button" onClick={refreshNow}>
              Refresh
            </button>
          )}
          {endpoint.enabled && (
            <button type="button" onClick={sendTest}>
              Send test event
            </button>
          )}
        </div>
      </div>
      <p role="status" class="attempts-status">
        {status}
      </p>
      <div id={`${id}-log`} hidden={!open}>
        {error && (
          <p role="alert" class="banner error">
            {error}
          </p>
        )}
        {open && loaded === null && !error && <p class="muted">Loading attempts…</p>}
        {loaded && loaded.attempts.length === 0 && (
          <p class="empty attempts-empty">
            No attempts yet. {endpoint.enabled ? 'Send a test event, or send a message, and its delivery shows here.' : ''}
          </p>
        )}
        {loaded && loaded.attempts.length > 0 && (
          <>
            <div class="table-wrap cards-wrap">
              <table class="attempts cards">
                <caption class="visually-hidden">Delivery attempts to {endpoint.url}, newest first</caption>
                <thead>
                  <tr>
                    {COLUMNS.map((column) => (
                      <th key={column} scope="col">
                        {column}
                      </th>
                    ))}
                  </tr>
                </thead>
                <tbody>
                  {loaded.attempts.map((a) => (
                    <AttemptRow key={a.id} attempt={a} rowId={`${id}-${a.id}`} />
                  ))}
                </tbody>
              </table>
            </div>
            <div class="more">
              <span class="muted">
                {count(loaded.attempts.length)} attempt{loaded.attempts.length === 1 ? '' : 's'}
                {loaded.hasNextPage ? ' shown' : ''}
              </span>
              {loaded.hasNextPage && (
                <button type="button" onClick={loadMore}>
                  Load more
                </button>
              )}
            </div>
          </>
        )}
      </div>
    </section>
  );
}

/** An empty cell: a dash to the eye, "None" to a screen reader. */
function Nothing() {
  return (
    <span class="muted">
      <span aria-hidden="true">—</span>
      <span class="visually-hidden">None</span>
    </span>
  );
}

function AttemptRow({ attempt: a, rowId }: { attempt: Attempt; rowId: string }) {
  const status = STATUS[a.status];
  return (
    <tr>
      <th scope="row" class="cell-name" id={rowId} tabIndex={-1}>
        <Time iso={a.createdAt} />
      </th>
      <Cell label="Status" class="status">
        <span class={`badge ${status.class}`}>{status.label}</span>
      </Cell>
      <Cell label="Event">
        <code>{eventName(a.eventType)}</code>
        <span class="by event-id" title="The webhook-id header, the same on every retry">
          {a.eventId}
        </span>
      </Cell>
      <Cell label="HTTP status" class={a.responseStatus === null ? 'none' : undefined}>
        {a.responseStatus === null ? <Nothing /> : <code>{a.responseStatus}</code>}
      </Cell>
      <Cell label="Duration" class={a.durationMs === null ? 'none' : undefined}>
        {a.durationMs === null ? <Nothing /> : `${count(a.durationMs)} ms`}
      </Cell>
      <Cell label="Attempt">{count(a.attempt)}</Cell>
      <Cell label="Next attempt" class={a.nextAttemptAt ? undefined : 'none'}>
        {a.nextAttemptAt ? <Time iso={a.nextAttemptAt} /> : <Nothing />}
      </Cell>
      <Cell label="Error" class={a.error ? 'error-col' : 'error-col none'}>
        {a.error ? <span class="attempt-error">{a.error}</span> : <Nothing />}
      </Cell>
    </tr>
  );
}
