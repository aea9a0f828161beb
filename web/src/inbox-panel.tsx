// One recipient's inbox, live, as the recipient's own app would see it with its
// token: the stream's state and the token's expiry, the counts, the items under
// a filter with their marks, and the events as they arrive. New messages are
// announced to screen readers; marks made here (or on any device) come back as
// UPDATED events.
import { useEffect, useId, useRef, useState } from 'preact/hooks';
import { RequestError, request } from './api.ts';
import { ChannelChips, Time } from './display.tsx';
import { PreviewInbox, PreviewMarkInbox } from './documents.ts';
import { clockTime, count, counted, exactTime, fromNow } from './format.ts';
import type { InboxAction, InboxFilter } from './generated/graphql.ts';
import { type InboxList, type Item, listedUnder, stateOf, withItem } from './inbox-list.ts';
import { type InboxEvent, type StreamState, useInboxStream } from './live-inbox.ts';

export interface Preview {
  externalId: string;
  /** The recipient token: kept in this component's memory only, never shown, stored or logged. */
  token: string;
  expiresAt: string;
  channels: string[];
}

interface PanelProps {
  preview: Preview;
  /** Mint a new token for the same recipient (the stream ended). */
  onMintAgain: () => void;
  minting: boolean;
  onClose: () => void;
}

const PAGE = 20;
const LOG_KEPT = 8;
const FILTERS: { filter: InboxFilter; label: string }[] = [
  { filter: 'ALL', label: 'All' },
  { filter: 'UNREAD', label: 'Unread' },
  { filter: 'UNSEEN', label: 'Unseen' },
  { filter: 'ARCHIVED', label: 'Archived' },
];
const DONE: Record<InboxAction, string> = {
  SEEN: 'marked seen',
  READ: 'marked read',
  UNREAD: 'marked unread',
  ARCHIVED: 'archived',
  UNARCHIVED: 'moved back to the inbox',
};

interface LogEntry {
  n: number;
  at: number;
  kind: InboxEvent['kind'];
  /** The item's title, or "Every item" after a mark of all. */
  subject: string;
  /** For UPDATED: the item's state now ("read", "archived"…). */
  change?: string;
}

export function InboxPanel({ preview, onMintAgain, minting, onClose }: PanelProps) {
  const id = useId();
  const [filter, setFilter] = useState<InboxFilter>('ALL');
  const [list, setList] = useState<InboxList | null>(null);
  const [counts, setCounts] = useState<{ unread: number; unseen: number } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [log, setLog] = useState<LogEntry[]>([]);
  const [announcement, setAnnouncement] = useState({ n: 0, text: '' });
  const [, setTick] = useState(0);

  const filterRef = useRef(filter);
  filterRef.current = filter;
  /** Items the page has shown or been told of: a replayed NEW of one of them is not announced again. */
  const known = useRef(new Set<string>());
  /** Events received while a load is on its way: applied again over its answer, which may predate them. */
  const sinceLoad = useRef<InboxEvent[] | null>(null);
  const loads = useRef(0);
  const arrived = useRef<string[]>([]);
  const logged = useRef(0);
  /** After an action that takes its item out of the list: where focus goes once it is gone. */
  const refocus = useRef<{ id: string; index: number } | null>(null);

  const announce = (text: string) => setAnnouncement(({ n }) => ({ n: n + 1, text }));

  const load = async (shown: InboxFilter = filterRef.current, more?: InboxList) => {
    const mine = ++loads.current;
    sinceLoad.current = [];
    try {
      const { inbox } = await request(PreviewInbox, { first: PAGE, after: more?.endCursor, filter: shown }, preview.token);
      if (mine !== loads.current) return;
      const items = inbox.edges.map((e) => e.node);
      for (const item of items) known.current.add(item.id);
      let next: InboxList = {
        items: more ? [...more.items, ...items.filter((i) => !more.items.some((m) => m.id === i.id))] : items,
        totalCount: inbox.totalCount,
        hasNextPage: inbox.pageInfo.hasNextPage,
        endCursor: inbox.pageInfo.endCursor ?? null,
      };
      let latest = { unread: inbox.unreadCount, unseen: inbox.unseenCount };
      for (const event of sinceLoad.current ?? []) {
        if (event.item) next = withItem(next, shown, event.item);
        latest = { unread: event.unreadCount, unseen: event.unseenCount };
      }
      sinceLoad.current = null;
      setList(next);
      setCounts(latest);
      setError(null);
      if (shown === 'ALL' && !more) stream.seed(inbox.edges[0]?.cursor ?? null);
    } catch (e) {
      if (mine === loads.current) setError(e instanceof Error ? e.message : String(e));
    }
  };

  const onEvent = (event: InboxEvent) => {
    sinceLoad.current?.push(event);
    setCounts({ unread: event.unreadCount, unseen: event.unseenCount });
    const { item } = event;
    if (item) setList((current) => current && withItem(current, filterRef.current, item));
    else load();
    if (event.kind === 'NEW' && item && !known.current.has(item.id)) {
      known.current.add(item.id);
      // A burst (a replay after a reconnect) is announced once.
      arrived.current.push(item.title);
      if (arrived.current.length === 1)
        setTimeout(() => {
          const titles = arrived.current;
          arrived.current = [];
          announce(
            titles.length === 1
              ? `New message for ${preview.externalId}: ${titles[0]}`
              : `${count(titles.length)} new messages for ${preview.externalId}`,
          );
        }, 300);
    }
    logged.current += 1;
    const entry: LogEntry = {
      n: logged.current,
      at: Date.now(),
      kind: event.kind,
      subject: item?.title ?? 'Every item',
      change: event.kind === 'UPDATED' ? (item ? stateOf(item).toLowerCase() : 'changed') : undefined,
    };
    setLog((entries) => [entry, ...entries].slice(0, LOG_KEPT));
  };

  const stream = useInboxStream({ token: preview.token, expiresAt: preview.expiresAt, onOpen: () => load(), onEvent });
  const { state } = stream;

  // Times read "2 minutes ago": they move on. And a stream that could not open still shows the inbox.
  useEffect(() => {
    const timer = setInterval(() => setTick((n) => n + 1), 15_000);
    return () => clearInterval(timer);
  }, []);
  useEffect(() => {
    if (list === null && (state.kind === 'retrying' || state.kind === 'ended')) load();
  }, [state.kind]);

  // The heading takes focus when the preview opens, as a page load would put a screen reader at its start.
  useEffect(() => {
    document.getElementById(`${id}-heading`)?.focus();
  }, []);

  useEffect(() => {
    const moved = refocus.current;
    if (!moved || !list || list.items.some((i) => i.id === moved.id)) return;
    refocus.current = null;
    const next = list.items[Math.min(moved.index, list.items.length - 1)];
    document.getElementById(next ? `${id}-item-${next.id}` : `${id}-heading`)?.focus();
  }, [list]);

  const show = (next: InboxFilter) => {
    setFilter(next);
    setList(null);
    load(next);
  };

  // Buttons stay enabled while a mark is on its way (a disabled button drops the keyboard focus): a second press waits.
  const marking = useRef(false);
  const mark = async (action: InboxAction, item?: Item) => {
    if (marking.current) return;
    marking.current = true;
    if (item && list) {
      const changed = {
        ...item,
        archivedAt: action === 'ARCHIVED' ? 'now' : action === 'UNARCHIVED' ? null : item.archivedAt,
        readAt: action === 'READ' ? 'now' : action === 'UNREAD' ? null : item.readAt,
      };
      if (!listedUnder(filter, changed)) refocus.current = { id: item.id, index: list.items.indexOf(item) };
    }
    try {
      const { markInbox } = await request(
        PreviewMarkInbox,
        { input: item ? { ids: [item.id], action } : { all: true, action } },
        preview.token,
      );
      setCounts({ unread: markInbox.unreadCount, unseen: markInbox.unseenCount });
      setError(null);
      announce(item ? `“${item.title}” ${DONE[action]}.` : `${counted(markInbox.updated, 'item')} ${DONE[action]}.`);
      // Without a live stream, no UPDATED event will tell: read the inbox again.
      if (state.kind !== 'live') load();
    } catch (e) {
      refocus.current = null;
      setError(e instanceof RequestError ? e.message : String(e));
    } finally {
      marking.current = false;
    }
  };

  const countOf = (f: InboxFilter) => (f === 'UNREAD' ? counts?.unread : f === 'UNSEEN' ? counts?.unseen : undefined);

  return (
    <section class="card preview" aria-labelledby={`${id}-heading`}>
      <div class="preview-head">
        <div class="preview-title">
          <h2 id={`${id}-heading`} tabIndex={-1}>
            Inbox of <span class="recipient-id">{preview.externalId}</span>
          </h2>
          <p class="meta">
            <span class="meta-item">
              {preview.channels.length > 0 ? (
                <>
                  In <ChannelChips slugs={preview.channels.map((slug) => ({ slug }))} label="The recipient's channels" />
                </>
              ) : (
                'In no channel'
              )}
            </span>
            <span class="meta-item">
              <Expiry expiresAt={preview.expiresAt} ended={state.kind === 'ended'} />
            </span>
          </p>
        </div>
        <StreamStatus state={state} />
        <button type="button" onClick={onClose}>
          Close preview
        </button>
      </div>
      {state.kind === 'ended' && (
        <div class="banner warning ended">
          <p>
            <strong>The stream ended.</strong> {state.message} Mint a new token to watch this inbox again.
          </p>
          <button type="button" class="primary" disabled={minting} onClick={onMintAgain}>
            Mint a new token
          </button>
        </div>
      )}
      {error && (
        <p role="alert" class="banner error">
          {error}
        </p>
      )}

      <div class="preview-body">
        <div class="preview-main">
          <div class="preview-tools">
            <fieldset class="segmented">
              <legend class="visually-hidden">Show</legend>
              {FILTERS.map(({ filter: f, label }) => (
                <button key={f} type="button" aria-pressed={filter === f} onClick={() => filter !== f && show(f)}>
                  {label}
                  {countOf(f) !== undefined && (
                    <>
                      {' '}
                      <span class="count">{count(countOf(f) ?? 0)}</span>
                    </>
                  )}
                </button>
              ))}
            </fieldset>
            <div class="mark-all">
              <button type="button" onClick={() => mark('SEEN')}>
                Mark all seen
              </button>
              <button type="button" onClick={() => mark('READ')}>
                Mark all read
              </button>
            </div>
          </div>
          {list === null && !error && <p class="muted loading">Loading the inbox…</p>}
          {list && list.items.length === 0 && <p class="empty">{EMPTY[filter]}</p>}
          {list && list.items.length > 0 && (
            <ul class="inbox" aria-label={`${FILTERS.find((f) => f.filter === filter)?.label} items, newest first`}>
              {list.items.map((item) => (
                <InboxRow key={item.id} item={item} itemId={`${id}-item-${item.id}`} mark={mark} />
              ))}
            </ul>
          )}
          {list?.hasNextPage && (
            <div class="more">
              <span class="muted">
                {count(list.items.length)} of {count(list.totalCount)}
              </span>
              <button type="button" onClick={() => load(filter, list)}>
                Load more
              </button>
            </div>
          )}
        </div>
        <aside class="events" aria-labelledby={`${id}-events`}>
          <h3 id={`${id}-events`}>Live events</h3>
          {log.length === 0 ? (
            <p class="hint">Events on the stream show here: NEW when a message arrives, UPDATED when an item is seen, read or archived.</p>
          ) : (
            <ol class="event-log">
              {log.map((entry) => (
                <li key={entry.n}>
                  <span class={`kind ${entry.kind.toLowerCase()}`}>{entry.kind}</span>
                  <span class="event-text">{entry.subject}</span>
                  <span class="event-time">
                    {entry.change && <span class="event-change">{entry.change} · </span>}
                    <time>{clockTime(entry.at)}</time>
                  </span>
                </li>
              ))}
            </ol>
          )}
        </aside>
      </div>
      <div aria-live="polite" class="visually-hidden">
        {announcement.text && <p key={announcement.n}>{announcement.text}</p>}
      </div>
    </section>
  );
}

const EMPTY: Record<InboxFilter, string> = {
  ALL: 'Nothing in this inbox yet. Messages sent to this recipient appear here as they arrive.',
  UNREAD: 'Nothing unread.',
  UNSEEN: 'Nothing unseen.',
  ARCHIVED: 'Nothing archived.',
};

function InboxRow({ item, itemId, mark }: { item: Item; itemId: string; mark: (action: InboxAction, item: Item) => void }) {
  const state = stateOf(item);
  const when = item.archivedAt ?? item.readAt ?? item.seenAt;
  return (
    <li class={`inbox-item ${state.toLowerCase()}`}>
      <div class="item-head">
        <span class="dot" aria-hidden="true" />
        <h3 id={itemId} tabIndex={-1} class="item-title">
          {item.title}
        </h3>
        <Time iso={item.createdAt} />
      </div>
      {item.body && <p class="item-body">{item.body}</p>}
      <div class="item-foot">
        <span class="item-state">
          {when ? (
            <>
              {state}{' '}
              <time dateTime={when} title={exactTime(when)}>
                {sinceMark(when)}
              </time>
            </>
          ) : (
            'Not seen yet'
          )}
        </span>
        {item.channels.length > 0 ? (
          <ChannelChips slugs={item.channels.map((slug) => ({ slug }))} label="Sent to" />
        ) : (
          <span class="muted">All recipients</span>
        )}
        <div class="item-actions">
          {item.readAt ? (
            <button type="button" onClick={() => mark('UNREAD', item)}>
              Mark unread
            </button>
          ) : (
            <button type="button" onClick={() => mark('READ', item)}>
              Mark read
            </button>
          )}
          {item.archivedAt ? (
            <button type="button" onClick={() => mark('UNARCHIVED', item)}>
              Unarchive
            </button>
          ) : (
            <button type="button" onClick={() => mark('ARCHIVED', item)}>
              Archive
            </button>
          )}
        </div>
      </div>
    </li>
  );
}

/** "Read just now" rather than "Read now", which reads as an order. */
const sinceMark = (iso: string) => (Math.abs(Date.now() - new Date(iso).getTime()) < 10_000 ? 'just now' : fromNow(iso));

function Expiry({ expiresAt, ended }: { expiresAt: string; ended: boolean }) {
  const past = new Date(expiresAt).getTime() <= Date.now();
  return (
    <span class={ended && past ? 'expired' : undefined}>
      Token {past ? 'expired' : 'expires'}{' '}
      <time dateTime={expiresAt} title={exactTime(expiresAt)}>
        {fromNow(expiresAt)}
      </time>
    </span>
  );
}

const STATES: Record<StreamState['kind'], string> = {
  connecting: 'Connecting…',
  live: 'Live',
  retrying: 'Reconnecting',
  ended: 'Ended',
};

function StreamStatus({ state }: { state: StreamState }) {
  return (
    <p role="status" class="stream-state">
      <span class={`stream ${state.kind}`}>
        <span class="pulse" aria-hidden="true" />
        {STATES[state.kind]}
      </span>
      {state.kind === 'retrying' && <span class="by">{state.reason}</span>}
    </p>
  );
}
