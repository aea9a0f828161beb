// The Messages page: what the account sent, newest first, and what became of
// each message in its recipients' inboxes. It reads Herald again every few
// seconds while the tab is visible (and on Refresh), so reads show as they happen.
import { useEffect, useRef, useState } from 'preact/hooks';
import { RequestError, request } from './api.ts';
import { DeliveryStats } from './delivery-stats.tsx';
import { ChannelChips, LabelledCell, Time } from './display.tsx';
import { DashboardMessages } from './documents.ts';
import { count, counted } from './format.ts';
import type { DashboardMessagesQuery } from './generated/graphql.ts';

type Message = DashboardMessagesQuery['messages']['edges'][number]['node'];

interface Loaded {
  messages: Message[];
  totalCount: number;
  hasNextPage: boolean;
  endCursor: string | null;
}

const PAGE = 20;
/** The server's largest page: a refresh reads again at most this many of the newest. */
const MAX_PAGE = 100;
export const POLL_MS = 5000;

const COLUMNS = ['Message', 'Sent to', 'Sent', 'Delivery'] as const;
const Cell = LabelledCell<(typeof COLUMNS)[number]>;

/**
 * The newest messages read again, over what was loaded: their stats replaced,
 * new ones on top; the older pages already loaded stay (a message never moves).
 */
function refreshed(current: Loaded | null, fresh: Loaded): Loaded {
  if (!current || fresh.messages.length === 0) return fresh;
  const last = fresh.messages[fresh.messages.length - 1];
  const at = current.messages.findIndex((m) => m.id === last.id);
  // More new messages than a refresh reads: start over from the newest.
  if (at < 0) return fresh;
  const older = current.messages.slice(at + 1);
  return { ...fresh, messages: [...fresh.messages, ...older], hasNextPage: current.hasNextPage, endCursor: current.endCursor };
}

export function MessagesPage({ onUnauthenticated }: { onUnauthenticated: (error: RequestError) => void }) {
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [error, setError] = useState<string | null>(null);
  // Buttons stay enabled while Herald answers (a disabled button drops the keyboard focus): a second press waits.
  const busy = useRef(false);
  const [status, setStatus] = useState('');
  const current = useRef(loaded);
  current.current = loaded;
  const firstNew = useRef<string | null>(null);

  const read = async (first: number, after?: string | null): Promise<Loaded | null> => {
    try {
      const { messages } = await request(DashboardMessages, { first, after });
      setError(null);
      return {
        messages: messages.edges.map((e) => e.node),
        totalCount: messages.totalCount,
        hasNextPage: messages.pageInfo.hasNextPage,
        endCursor: messages.pageInfo.endCursor ?? null,
      };
    } catch (e) {
      if (e instanceof RequestError && e.unauthenticated) onUnauthenticated(e);
      else setError(e instanceof Error ? e.message : String(e));
      return null;
    }
  };

  const refresh = async () => {
    const shown = current.current?.messages.length ?? 0;
    const fresh = await read(Math.min(MAX_PAGE, Math.max(PAGE, shown)));
    if (fresh) setLoaded((now) => refreshed(now, fresh));
    return fresh;
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
      const seen = new Set(shown.messages.map((m) => m.id));
      const added = page.messages.filter((m) => !seen.has(m.id));
      firstNew.current = added[0]?.id ?? null;
      return { ...page, messages: [...shown.messages, ...added] };
    });
  };

  useEffect(() => {
    refresh();
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') refresh();
    }, POLL_MS);
    const visible = () => {
      if (document.visibilityState === 'visible') refresh();
    };
    document.addEventListener('visibilitychange', visible);
    return () => {
      clearInterval(timer);
      document.removeEventListener('visibilitychange', visible);
    };
  }, []);

  // After Load more, focus goes to the first message it added: the button may be gone.
  useEffect(() => {
    if (!firstNew.current) return;
    document.getElementById(`message-${firstNew.current}`)?.focus();
    firstNew.current = null;
  }, [loaded]);

  const refreshNow = async () => {
    if (busy.current) return;
    busy.current = true;
    setStatus('');
    const fresh = await refresh();
    busy.current = false;
    if (fresh) setStatus(`Refreshed: ${counted(fresh.totalCount, 'message')}.`);
  };

  return (
    <>
      <div class="page-head">
        <h1 tabIndex={-1}>Messages</h1>
        <button type="button" onClick={refreshNow}>
          Refresh
        </button>
      </div>
      <p class="lede">
        What your keys sent, newest first, and how far each message got: the recipients it reached, how many saw it and read it. Updated
        every few seconds.
      </p>
      <p role="status" class="visually-hidden">
        {status}
      </p>
      {error && (
        <p role="alert" class="banner error">
          {error}
        </p>
      )}
      {loaded === null && !error && <p aria-live="polite">Loading messages…</p>}
      {loaded && loaded.messages.length === 0 && <EmptyMessages />}
      {loaded && loaded.messages.length > 0 && (
        <>
          <div class="table-wrap cards-wrap">
            <table class="messages cards">
              <caption class="visually-hidden">Messages of the account, newest first</caption>
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
                {loaded.messages.map((m) => (
                  <tr key={m.id}>
                    <th scope="row" class="cell-name" id={`message-${m.id}`} tabIndex={-1}>
                      <span class="message-title">{m.title}</span>
                    </th>
                    <Cell label="Sent to">
                      {m.allRecipients ? <span class="scope-all">All recipients</span> : <ChannelChips slugs={m.channels} />}
                    </Cell>
                    <Cell label="Sent">
                      <Time iso={m.createdAt} />
                    </Cell>
                    <Cell label="Delivery" class="delivery-col">
                      <DeliveryStats stats={m.deliveryStats} />
                    </Cell>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <div class="more">
            <span class="muted">
              {count(loaded.messages.length)} of {counted(loaded.totalCount, 'message')}
            </span>
            {loaded.hasNextPage && (
              <button type="button" onClick={loadMore}>
                Load more
              </button>
            )}
          </div>
        </>
      )}
    </>
  );
}

function EmptyMessages() {
  const example = `curl ${location.origin}/graphql -H "authorization: Bearer $HERALD_KEY" -H 'content-type: application/json' --data '{"query":"mutation { send(input: { message: { title: \\"Hello\\", body: \\"First message\\" } }) { message { id } } }"}'`;
  return (
    <div class="empty empty-messages">
      <p>
        <strong>No messages yet.</strong> Your backend sends them with an API key: create one on the <a href="#/keys">API Keys page</a>,
        then:
      </p>
      <pre>
        <code>{example}</code>
      </pre>
    </div>
  );
}
