// The Channels page: the account's channels with their recipients (a link to
// them in the Recipients view), a form to create one, and Rename and Delete.
import { useEffect, useId, useRef, useState } from 'preact/hooks';
import { RequestError, request } from './api.ts';
import { checkName, checkSlug, LIMITS, SLUG_PATTERN, useFieldErrors } from './checks.ts';
import { Dialog, FieldError } from './dialog.tsx';
import { LabelledCell } from './display.tsx';
import { DashboardChannelsWithCounts, DashboardCreateChannel, DashboardDeleteChannel, DashboardUpdateChannel } from './documents.ts';
import { calendarDay, counted, exactTime } from './format.ts';
import type { DashboardChannelsWithCountsQuery } from './generated/graphql.ts';

type Channel = DashboardChannelsWithCountsQuery['channels'][number];
type Modal = { kind: 'rename'; channel: Channel } | { kind: 'delete'; channel: Channel };

const COLUMNS = ['Name', 'Recipients', 'Created'] as const;
const Cell = LabelledCell<(typeof COLUMNS)[number]>;

interface PageProps {
  /** A channel was created, renamed or deleted: the other pages' list of channels is read again. */
  onChanged: () => Promise<void>;
  onUnauthenticated: (error: RequestError) => void;
}

export function ChannelsPage({ onChanged, onUnauthenticated }: PageProps) {
  const [channels, setChannels] = useState<Channel[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState('');
  const [modal, setModal] = useState<Modal | null>(null);

  const load = async () => {
    try {
      setChannels((await request(DashboardChannelsWithCounts)).channels);
      setError(null);
    } catch (e) {
      if (e instanceof RequestError && e.unauthenticated) onUnauthenticated(e);
      else setError(e instanceof Error ? e.message : String(e));
    }
  };
  useEffect(() => {
    load();
  }, []);

  const changed = async (message: string) => {
    setStatus(message);
    await Promise.all([load(), onChanged()]);
  };

  // Focus goes back to the control that opened the dialog; if it is gone (a deleted channel's row), to the heading.
  const opener = useRef<HTMLElement | null>(null);
  const open = (next: Modal) => {
    opener.current = document.activeElement as HTMLElement | null;
    setStatus('');
    setModal(next);
  };
  const close = (gone = false) => {
    setModal(null);
    // A deleted channel's row goes with the list read again: focus goes to the heading, not to a button about to vanish.
    if (gone) opener.current = null;
    requestAnimationFrame(() => {
      const element = opener.current;
      opener.current = null;
      if (element?.isConnected) element.focus();
      else document.querySelector<HTMLElement>('main h1')?.focus();
    });
  };

  return (
    <>
      <div class="page-head">
        <h1 tabIndex={-1}>Channels</h1>
      </div>
      <p class="lede">Named groups of recipients. Requests and Channel Scoped keys name channels by slug.</p>
      <CreateChannel onCreated={(slug) => changed(`Channel ${slug} created.`)} />
      <p role="status" class="summary">
        {status}
      </p>
      {error && (
        <p role="alert" class="banner error">
          {error}
        </p>
      )}
      {channels === null && !error && <p aria-live="polite">Loading channels…</p>}
      {channels && channels.length === 0 && <p class="empty">No channels yet.</p>}
      {channels && channels.length > 0 && (
        <div class="table-wrap cards-wrap">
          <table class="channels cards">
            <caption class="visually-hidden">Channels of the account</caption>
            <thead>
              <tr>
                <th scope="col">Slug</th>
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
              {channels.map((c) => (
                <tr key={c.id}>
                  <th scope="row" class="cell-name">
                    <code class="chip">{c.slug}</code>
                  </th>
                  <Cell label="Name">{c.name}</Cell>
                  <Cell label="Recipients" class="count-col">
                    <a class="count-link" href={`#/recipients?channel=${encodeURIComponent(c.slug)}`}>
                      {counted(c.recipientCount, 'recipient')}
                      <span class="visually-hidden"> in {c.slug}</span>
                    </a>
                  </Cell>
                  <Cell label="Created">
                    <time dateTime={c.createdAt} title={exactTime(c.createdAt)}>
                      {calendarDay(c.createdAt)}
                    </time>
                  </Cell>
                  <td class="actions">
                    <div class="actions-row">
                      <button type="button" onClick={() => open({ kind: 'rename', channel: c })}>
                        Rename
                      </button>
                      <button type="button" class="danger" onClick={() => open({ kind: 'delete', channel: c })}>
                        Delete
                      </button>
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}

      {modal?.kind === 'rename' && (
        <RenameDialog
          channel={modal.channel}
          onClose={() => close()}
          onRenamed={(name) => {
            close();
            changed(`Channel ${modal.channel.slug} renamed to “${name}”.`);
          }}
        />
      )}
      {modal?.kind === 'delete' && (
        <DeleteChannelDialog
          channel={modal.channel}
          onClose={() => close()}
          onDeleted={() => {
            close(true);
            changed(`Channel ${modal.channel.slug} deleted.`);
          }}
        />
      )}
    </>
  );
}

function CreateChannel({ onCreated }: { onCreated: (slug: string) => Promise<void> }) {
  const id = useId();
  const [slug, setSlug] = useState('');
  const [name, setName] = useState('');
  const [busy, setBusy] = useState(false);
  const fields = useFieldErrors({ slug: checkSlug(slug), name: checkName(name, LIMITS.channelName) });
  const err = fields.error;

  const submit = async (event: Event) => {
    event.preventDefault();
    const problem = fields.submit();
    if (problem) {
      document.getElementById(`${id}-${problem}`)?.focus();
      return;
    }
    setBusy(true);
    try {
      const created = await request(DashboardCreateChannel, { input: { slug, name } });
      setSlug('');
      setName('');
      fields.reset();
      await onCreated(created.createChannel.slug);
    } catch (e) {
      fields.refused(e instanceof RequestError ? e.byField() : { '': String(e) });
    } finally {
      setBusy(false);
    }
  };
  const described = (field: string) => `${id}-${field}-hint${err(field) ? ` ${id}-${field}-error` : ''}`;

  return (
    <section class="card" aria-labelledby={`${id}-create`}>
      <h2 id={`${id}-create`}>Create a channel</h2>
      <form onSubmit={submit} noValidate class="inline-form">
        {err('') && (
          <p role="alert" class="banner error">
            {err('')}
          </p>
        )}
        <div class="field">
          <label for={`${id}-slug`}>Slug</label>
          <input
            id={`${id}-slug`}
            value={slug}
            onInput={(e) => {
              setSlug(e.currentTarget.value);
              fields.edited('slug');
            }}
            required
            maxLength={LIMITS.slug}
            pattern={SLUG_PATTERN}
            autoComplete="off"
            autoCapitalize="none"
            spellcheck={false}
            aria-invalid={err('slug') ? true : undefined}
            aria-describedby={described('slug')}
          />
          <p id={`${id}-slug-hint`} class="hint">
            Lowercase letters, digits and "-", 1 to 64 characters, e.g. <code>test-devices</code>. Unique in the account; it never changes.
          </p>
          <FieldError id={`${id}-slug-error`} message={err('slug')} />
        </div>
        <div class="field">
          <label for={`${id}-name`}>Name</label>
          <input
            id={`${id}-name`}
            value={name}
            onInput={(e) => {
              setName(e.currentTarget.value);
              fields.edited('name');
            }}
            required
            maxLength={LIMITS.channelName}
            autoComplete="off"
            aria-invalid={err('name') ? true : undefined}
            aria-describedby={described('name')}
          />
          <p id={`${id}-name-hint`} class="hint">
            1 to 100 characters, for people.
          </p>
          <FieldError id={`${id}-name-error`} message={err('name')} />
        </div>
        <div class="buttons">
          <button type="submit" class="primary" disabled={busy}>
            Create Channel
          </button>
        </div>
      </form>
    </section>
  );
}

function RenameDialog({ channel, onClose, onRenamed }: { channel: Channel; onClose: () => void; onRenamed: (name: string) => void }) {
  const id = useId();
  const [name, setName] = useState(channel.name);
  const [busy, setBusy] = useState(false);
  const fields = useFieldErrors({ name: checkName(name, LIMITS.channelName) });
  const err = fields.error;

  const submit = async (event: Event) => {
    event.preventDefault();
    if (fields.submit()) {
      document.getElementById(`${id}-name`)?.focus();
      return;
    }
    setBusy(true);
    try {
      const { updateChannel } = await request(DashboardUpdateChannel, { input: { id: channel.id, name } });
      onRenamed(updateChannel.name);
    } catch (e) {
      fields.refused(e instanceof RequestError ? e.byField() : { '': String(e) });
      setBusy(false);
    }
  };
  // A refusal not about the name (the channel deleted meanwhile) shows above the form.
  const general = err('') ?? err('id');

  return (
    <Dialog title={`Rename ${channel.slug}`} onClose={onClose}>
      <form onSubmit={submit} noValidate>
        {general && (
          <p role="alert" class="banner error">
            {general}
          </p>
        )}
        <div class="field">
          <label for={`${id}-name`}>Name</label>
          <input
            id={`${id}-name`}
            value={name}
            onInput={(e) => {
              setName(e.currentTarget.value);
              fields.edited('name');
            }}
            required
            maxLength={LIMITS.channelName}
            autoComplete="off"
            aria-invalid={err('name') ? true : undefined}
            aria-describedby={`${id}-name-hint${err('name') ? ` ${id}-name-error` : ''}`}
          />
          <p id={`${id}-name-hint`} class="hint">
            1 to 100 characters, for people. The slug stays <code>{channel.slug}</code>: requests and keys name the channel by it.
          </p>
          <FieldError id={`${id}-name-error`} message={err('name')} />
        </div>
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

function DeleteChannelDialog({ channel, onClose, onDeleted }: { channel: Channel; onClose: () => void; onDeleted: () => void }) {
  const [refusal, setRefusal] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const remove = async () => {
    setBusy(true);
    setRefusal(null);
    try {
      await request(DashboardDeleteChannel, { id: channel.id });
      onDeleted();
    } catch (e) {
      // The server's words: they name the keys still scoped to the channel.
      setRefusal(e instanceof Error ? e.message : String(e));
      setBusy(false);
    }
  };
  return (
    <Dialog title={`Delete channel ${channel.slug}?`} onClose={onClose}>
      <p>
        {channel.recipientCount === 0
          ? 'It has no recipients.'
          : channel.recipientCount === 1
            ? 'Its one recipient leaves the channel; it stays in the account, with its other channels.'
            : `Its ${counted(channel.recipientCount, 'recipient')} leave the channel; they stay in the account, with their other channels.`}{' '}
        Messages already sent to it keep their history. A key scoped to the channel must be edited or revoked first. This cannot be undone.
      </p>
      {refusal && (
        <div role="alert" class="banner error">
          <p class="refusal">{refusal}</p>
          {/API keys? /.test(refusal) && (
            <p class="refusal">
              The keys are on the <a href="#/keys">API Keys page</a>.
            </p>
          )}
        </div>
      )}
      <div class="buttons">
        <button type="button" onClick={onClose}>
          Cancel
        </button>
        <button type="button" class="danger solid" disabled={busy} onClick={remove}>
          Delete channel
        </button>
      </div>
    </Dialog>
  );
}
