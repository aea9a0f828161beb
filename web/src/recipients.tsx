// The Recipients view: the account's recipients by externalId, a page at a
// time, searched by prefix and filtered by channel (both kept in the address,
// so the Channels page links to a channel's recipients); a recipient's channels
// edited, a recipient erased, and Import CSV (recipients-import.tsx).
import { useEffect, useId, useRef, useState } from 'preact/hooks';
import { RequestError, request } from './api.ts';
import { checkSearch, LIMITS } from './checks.ts';
import { Dialog, FieldError } from './dialog.tsx';
import { ChannelChips, LabelledCell, Time } from './display.tsx';
import { DashboardDeleteRecipient, DashboardRecipients, DashboardUpdateRecipient } from './documents.ts';
import { count, counted } from './format.ts';
import type { DashboardChannelsQuery, DashboardRecipientsQuery } from './generated/graphql.ts';
import { ImportDialog } from './recipients-import.tsx';

type Channel = DashboardChannelsQuery['channels'][number];
type Recipient = DashboardRecipientsQuery['recipients']['edges'][number]['node'];

interface Filters {
  search: string;
  channel: string;
}

interface Loaded {
  recipients: Recipient[];
  totalCount: number;
  hasNextPage: boolean;
  endCursor: string | null;
}

type Modal = { kind: 'edit'; recipient: Recipient } | { kind: 'delete'; recipient: Recipient } | { kind: 'import' };

export const PAGE_SIZE = 25;
/** How long typing pauses before the search is sent. */
const SEARCH_DELAY_MS = 250;

const COLUMNS = ['externalId', 'Channels', 'Created'] as const;
const Cell = LabelledCell<(typeof COLUMNS)[number]>;

const filtersFrom = (query: string): Filters => {
  const params = new URLSearchParams(query);
  return { search: params.get('search') ?? '', channel: params.get('channel') ?? '' };
};

/** The view's address for these filters: a reload or a shared link shows the same list. */
function hashOf({ search, channel }: Filters): string {
  const params = new URLSearchParams();
  if (channel) params.set('channel', channel);
  if (search) params.set('search', search);
  const query = params.toString();
  return `#/recipients${query ? `?${query}` : ''}`;
}

interface PageProps {
  /** The hash's query: the filters to start with. */
  query: string;
  /** The account's channels (null while they load). */
  channels: Channel[] | null;
  onUnauthenticated: (error: RequestError) => void;
}

export function RecipientsPage({ query, channels, onUnauthenticated }: PageProps) {
  const id = useId();
  const initial = filtersFrom(query);
  const [search, setSearch] = useState(initial.search);
  const [filters, setFilters] = useState<Filters>(initial);
  // The `after` of each page seen so far: the last one is the page shown (Previous goes back one).
  const [pages, setPages] = useState<(string | null)[]>([null]);
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState('');
  const [modal, setModal] = useState<Modal | null>(null);
  const [reloads, setReloads] = useState(0);
  const searchProblem = checkSearch(search);
  const latest = useRef(0);
  const current = useRef(filters);
  current.current = filters;
  const focusFirstRow = useRef(false);
  const after = pages[pages.length - 1];

  useEffect(() => {
    if (checkSearch(filters.search)) return;
    const n = ++latest.current;
    (async () => {
      try {
        const { recipients } = await request(DashboardRecipients, {
          first: PAGE_SIZE,
          after,
          channel: filters.channel || null,
          search: filters.search || null,
        });
        if (n !== latest.current) return;
        // The page emptied under us (its last recipient deleted): the one before it.
        if (recipients.edges.length === 0 && pages.length > 1) {
          setPages((p) => p.slice(0, -1));
          return;
        }
        setLoaded({
          recipients: recipients.edges.map((e) => e.node),
          totalCount: recipients.totalCount,
          hasNextPage: recipients.pageInfo.hasNextPage,
          endCursor: recipients.pageInfo.endCursor ?? null,
        });
        setError(null);
      } catch (e) {
        if (n !== latest.current) return;
        if (e instanceof RequestError && e.unauthenticated) onUnauthenticated(e);
        else setError(e instanceof Error ? e.message : String(e));
      }
    })();
  }, [filters, after, reloads]);

  // After Next or Previous, focus goes to the page's first recipient (the button pressed may now be disabled).
  useEffect(() => {
    if (!focusFirstRow.current || !loaded?.recipients.length) return;
    focusFirstRow.current = false;
    document.getElementById(`recipient-${loaded.recipients[0].id}`)?.focus();
  }, [loaded]);

  const apply = (next: Filters) => {
    if (next.search === current.current.search && next.channel === current.current.channel) return;
    history.replaceState(null, '', hashOf(next));
    setStatus('');
    setFilters(next);
    setPages([null]);
  };
  // Typing searches once it pauses; Enter at once.
  useEffect(() => {
    if (search === filters.search) return;
    const timer = setTimeout(() => {
      if (!checkSearch(search)) apply({ ...current.current, search });
    }, SEARCH_DELAY_MS);
    return () => clearTimeout(timer);
  }, [search]);

  const reload = () => setReloads((n) => n + 1);

  // Focus goes back to the control that opened the dialog; if it is gone, to the heading.
  const opener = useRef<HTMLElement | null>(null);
  const open = (next: Modal) => {
    opener.current = document.activeElement as HTMLElement | null;
    setStatus('');
    setModal(next);
  };
  const close = (message?: string, gone = false) => {
    setModal(null);
    if (message) setStatus(message);
    // A deleted recipient's row goes with the list read again: focus goes to the heading, not to a button about to vanish.
    if (gone) opener.current = null;
    requestAnimationFrame(() => {
      const element = opener.current;
      opener.current = null;
      if (element?.isConnected) element.focus();
      else document.querySelector<HTMLElement>('main h1')?.focus();
    });
  };

  const filtered = Boolean(filters.search || filters.channel);
  const first = (pages.length - 1) * PAGE_SIZE;
  // The channel filter names a channel the account has, or the one in the address (a deleted one: the server says so).
  const options = channels?.map((c) => c.slug) ?? [];
  if (filters.channel && !options.includes(filters.channel)) options.unshift(filters.channel);

  return (
    <>
      <div class="page-head">
        <h1 tabIndex={-1}>Recipients</h1>
        <button type="button" class="primary" onClick={() => open({ kind: 'import' })}>
          Import CSV
        </button>
      </div>
      <p class="lede">
        Who your messages go to, by the <code>externalId</code> your backend gives them, with the channels they are in.
      </p>
      <search aria-label="Recipients">
        <form
          class="filters"
          noValidate
          onSubmit={(event) => {
            event.preventDefault();
            if (!searchProblem) apply({ ...filters, search });
          }}
        >
          <div class="field filter-search">
            <label for={`${id}-search`}>Search by externalId</label>
            <input
              id={`${id}-search`}
              type="search"
              value={search}
              maxLength={LIMITS.externalId}
              autoComplete="off"
              autoCapitalize="none"
              spellcheck={false}
              onInput={(e) => setSearch(e.currentTarget.value)}
              aria-invalid={searchProblem ? true : undefined}
              aria-describedby={`${id}-search-hint${searchProblem ? ` ${id}-search-error` : ''}`}
            />
            <p id={`${id}-search-hint`} class="hint">
              The externalIds that start with this text, exactly as typed.
            </p>
            <FieldError id={`${id}-search-error`} message={searchProblem} />
          </div>
          <div class="field filter-channel">
            <label for={`${id}-channel`}>Channel</label>
            <select id={`${id}-channel`} value={filters.channel} onChange={(e) => apply({ ...filters, channel: e.currentTarget.value })}>
              <option value="">All channels</option>
              {options.map((slug) => (
                <option key={slug} value={slug}>
                  {slug}
                </option>
              ))}
            </select>
          </div>
        </form>
      </search>
      <p role="status" class="summary">
        {loaded && !error && <Summary total={loaded.totalCount} filters={filters} />}
        {status && <span class="done-status"> {status}</span>}
      </p>
      {error && (
        <p role="alert" class="banner error">
          {error}
        </p>
      )}
      {loaded === null && !error && <p aria-live="polite">Loading recipients…</p>}
      {loaded && loaded.recipients.length === 0 && !error && (
        <div class="empty">
          {filtered ? (
            <>
              <p>No recipient matches these filters.</p>
              <button
                type="button"
                class="clear-filters"
                onClick={() => {
                  setSearch('');
                  apply({ search: '', channel: '' });
                }}
              >
                Clear filters
              </button>
            </>
          ) : (
            <p>
              <strong>No recipients yet.</strong> Import a CSV file of them, or create them through the API (<code>createRecipient</code>,{' '}
              <code>upsertRecipients</code>).
            </p>
          )}
        </div>
      )}
      {loaded && loaded.recipients.length > 0 && (
        <>
          <div class="table-wrap cards-wrap">
            <table class="recipients cards">
              <caption class="visually-hidden">Recipients of the account, by externalId</caption>
              <thead>
                <tr>
                  {COLUMNS.map((column) => (
                    <th key={column} scope="col">
                      {column}
                    </th>
                  ))}
                  <th scope="col">
                    <span class="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {loaded.recipients.map((r) => (
                  <tr key={r.id}>
                    <th scope="row" class="cell-name" id={`recipient-${r.id}`} tabIndex={-1}>
                      <code class="external-id">{r.externalId}</code>
                    </th>
                    <Cell label="Channels">
                      {r.channels.length > 0 ? <ChannelChips slugs={r.channels} /> : <span class="muted">No channels</span>}
                    </Cell>
                    <Cell label="Created">
                      <Time iso={r.createdAt} />
                    </Cell>
                    <td class="actions">
                      <div class="actions-row">
                        <button type="button" onClick={() => open({ kind: 'edit', recipient: r })}>
                          Edit channels
                        </button>
                        <button type="button" class="danger" onClick={() => open({ kind: 'delete', recipient: r })}>
                          Delete
                        </button>
                      </div>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <nav class="pager" aria-label="Pages of recipients">
            <span class="muted">
              {count(first + 1)}–{count(first + loaded.recipients.length)} of {count(loaded.totalCount)}
            </span>
            <span class="pager-buttons">
              <button
                type="button"
                disabled={pages.length === 1}
                onClick={() => {
                  focusFirstRow.current = true;
                  setPages((p) => p.slice(0, -1));
                }}
              >
                Previous page
              </button>
              <button
                type="button"
                disabled={!loaded.hasNextPage}
                onClick={() => {
                  focusFirstRow.current = true;
                  setPages((p) => [...p, loaded.endCursor]);
                }}
              >
                Next page
              </button>
            </span>
          </nav>
        </>
      )}

      {modal?.kind === 'edit' && (
        <EditChannelsDialog
          recipient={modal.recipient}
          channels={channels ?? []}
          onClose={() => close()}
          onSaved={(message) => {
            close(message);
            reload();
          }}
        />
      )}
      {modal?.kind === 'delete' && (
        <DeleteRecipientDialog
          recipient={modal.recipient}
          onClose={() => close()}
          onDeleted={(message) => {
            close(message, true);
            reload();
          }}
        />
      )}
      {modal?.kind === 'import' && <ImportDialog onClose={() => close()} onImported={reload} onUnauthenticated={onUnauthenticated} />}
    </>
  );
}

function Summary({ total, filters }: { total: number; filters: Filters }) {
  return (
    <>
      <strong>{counted(total, 'recipient')}</strong>
      {filters.channel && (
        <>
          {' '}
          in <code class="chip">{filters.channel}</code>
        </>
      )}
      {filters.search && (
        <>
          {' '}
          whose externalId starts with <code>{filters.search}</code>
        </>
      )}
      .
    </>
  );
}

function EditChannelsDialog({
  recipient,
  channels,
  onClose,
  onSaved,
}: {
  recipient: Recipient;
  channels: Channel[];
  onClose: () => void;
  onSaved: (message: string) => void;
}) {
  const id = useId();
  const [selected, setSelected] = useState(recipient.channels.map((c) => c.slug));
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  // Its own channels first among the account's (a channel the page has not heard of yet still shows).
  const known = new Set(channels.map((c) => c.slug));
  const choices = [...channels, ...recipient.channels.filter((c) => !known.has(c.slug)).map((c) => ({ id: c.slug, ...c }))];

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await request(DashboardUpdateRecipient, { input: { id: recipient.id, channels: selected } });
      onSaved(`Channels of ${recipient.externalId} saved.`);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
      setBusy(false);
    }
  };
  const toggle = (slug: string, on: boolean) => setSelected((now) => (on ? [...now, slug] : now.filter((s) => s !== slug)));

  return (
    <Dialog title={`Channels of ${recipient.externalId}`} onClose={onClose}>
      <form onSubmit={submit} noValidate>
        {error && (
          <p role="alert" class="banner error">
            {error}
          </p>
        )}
        <fieldset class="field" aria-describedby={`${id}-hint`}>
          <legend>Channels</legend>
          {choices.length > 0 && (
            <div class="checks">
              {choices.map((c) => (
                <label key={c.slug} class="check" title={c.name}>
                  <input type="checkbox" checked={selected.includes(c.slug)} onChange={(e) => toggle(c.slug, e.currentTarget.checked)} />
                  {c.slug}
                </label>
              ))}
            </div>
          )}
          <p id={`${id}-hint`} class="hint">
            {choices.length === 0 ? (
              <>
                The account has no channels yet: create them on the <a href="#/channels">Channels page</a>.
              </>
            ) : (
              'The recipient gets the messages sent to the channels checked. None checked: only messages sent to all recipients.'
            )}
          </p>
        </fieldset>
        <div class="buttons">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" class="primary" disabled={busy}>
            Save
          </button>
        </div>
      </form>
    </Dialog>
  );
}

function DeleteRecipientDialog({
  recipient,
  onClose,
  onDeleted,
}: {
  recipient: Recipient;
  onClose: () => void;
  onDeleted: (message: string) => void;
}) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const erase = async () => {
    setBusy(true);
    try {
      await request(DashboardDeleteRecipient, { id: recipient.id });
      onDeleted(`${recipient.externalId} deleted.`);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
      setBusy(false);
    }
  };
  return (
    <Dialog title={`Delete ${recipient.externalId}?`} onClose={onClose}>
      <p>
        This erases <code>{recipient.externalId}</code>: its channel memberships, its inbox and its recipient tokens go at once, and an
        inbox it has open stops. Messages already sent keep their counts. This cannot be undone.
      </p>
      {error && (
        <p role="alert" class="banner error">
          {error}
        </p>
      )}
      <div class="buttons">
        <button type="button" onClick={onClose}>
          Cancel
        </button>
        <button type="button" class="danger solid" disabled={busy} onClick={erase}>
          Delete recipient
        </button>
      </div>
    </Dialog>
  );
}
