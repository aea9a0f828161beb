// The Channels page: the account's channels, and a form to create one.
import { useId, useState } from 'preact/hooks';
import { RequestError, request } from './api.ts';
import { checkName, checkSlug, LIMITS, SLUG_PATTERN, useFieldErrors } from './checks.ts';
import { FieldError } from './dialog.tsx';
import { DashboardCreateChannel } from './documents.ts';
import { calendarDay, exactTime } from './format.ts';
import type { DashboardChannelsQuery } from './generated/graphql.ts';

type Channel = DashboardChannelsQuery['channels'][number];

export function ChannelsPage({ channels, onCreated }: { channels: Channel[] | null; onCreated: () => Promise<void> }) {
  const id = useId();
  const [slug, setSlug] = useState('');
  const [name, setName] = useState('');
  const [status, setStatus] = useState('');
  const [busy, setBusy] = useState(false);
  const fields = useFieldErrors({ slug: checkSlug(slug), name: checkName(name, LIMITS.channelName) });
  const err = fields.error;

  const submit = async (event: Event) => {
    event.preventDefault();
    setStatus('');
    const problem = fields.submit();
    if (problem) {
      document.getElementById(`${id}-${problem}`)?.focus();
      return;
    }
    setBusy(true);
    try {
      const created = await request(DashboardCreateChannel, { input: { slug, name } });
      setStatus(`Channel ${created.createChannel.slug} created.`);
      setSlug('');
      setName('');
      fields.reset();
      await onCreated();
    } catch (e) {
      fields.refused(e instanceof RequestError ? e.byField() : { '': String(e) });
    } finally {
      setBusy(false);
    }
  };
  const described = (field: string) => `${id}-${field}-hint${err(field) ? ` ${id}-${field}-error` : ''}`;

  return (
    <>
      <div class="page-head">
        <h1 tabIndex={-1}>Channels</h1>
      </div>
      <p class="lede">Named groups of recipients. Requests and Channel Scoped keys name channels by slug.</p>
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
              Lowercase letters, digits and "-", 1 to 64 characters, e.g. <code>test-devices</code>. Unique in the account.
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
          <p role="status" class="hint">
            {status}
          </p>
        </form>
      </section>
      {channels === null && <p>Loading channels…</p>}
      {channels && channels.length === 0 && <p class="empty">No channels yet.</p>}
      {channels && channels.length > 0 && (
        <div class="table-wrap">
          <table class="channels">
            <caption class="visually-hidden">Channels of the account</caption>
            <thead>
              <tr>
                <th scope="col">Slug</th>
                <th scope="col">Name</th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {channels.map((c) => (
                <tr key={c.id}>
                  <th scope="row">
                    <code class="chip">{c.slug}</code>
                  </th>
                  <td>{c.name}</td>
                  <td>
                    <time dateTime={c.createdAt} title={exactTime(c.createdAt)}>
                      {calendarDay(c.createdAt)}
                    </time>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
