// The Channels page: the account's channels, and a form to create one.
import { useId, useState } from 'preact/hooks';
import { RequestError, request } from './api.ts';
import { FieldError } from './dialog.tsx';
import { DashboardCreateChannel } from './documents.ts';
import { calendarDay, exactTime } from './format.ts';
import type { DashboardChannelsQuery } from './generated/graphql.ts';

type Channel = DashboardChannelsQuery['channels'][number];

export function ChannelsPage({ channels, onCreated }: { channels: Channel[] | null; onCreated: () => Promise<void> }) {
  const id = useId();
  const [slug, setSlug] = useState('');
  const [name, setName] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [status, setStatus] = useState('');
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setErrors({});
    setStatus('');
    try {
      const created = await request(DashboardCreateChannel, { input: { slug, name } });
      setStatus(`Channel ${created.createChannel.slug} created.`);
      setSlug('');
      setName('');
      await onCreated();
    } catch (e) {
      setErrors(e instanceof RequestError ? e.byField() : { '': String(e) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <div class="page-head">
        <h1 tabIndex={-1}>Channels</h1>
      </div>
      <p class="lede">Named groups of recipients. Requests and Channel Scoped keys name channels by slug.</p>
      <section class="card" aria-labelledby={`${id}-create`}>
        <h2 id={`${id}-create`}>Create a channel</h2>
        <form onSubmit={submit} noValidate class="inline-form">
          {errors[''] && (
            <p role="alert" class="banner error">
              {errors['']}
            </p>
          )}
          <div class="field">
            <label for={`${id}-slug`}>Slug</label>
            <input
              id={`${id}-slug`}
              value={slug}
              onInput={(e) => setSlug(e.currentTarget.value)}
              required
              autoComplete="off"
              spellcheck={false}
              aria-invalid={errors.slug ? true : undefined}
              aria-describedby={`${id}-slug-hint${errors.slug ? ` ${id}-slug-error` : ''}`}
            />
            <p id={`${id}-slug-hint`} class="hint">
              Lowercase letters, digits and "-", 1 to 64 characters, e.g. <code>test-devices</code>. Unique in the account.
            </p>
            <FieldError id={`${id}-slug-error`} message={errors.slug} />
          </div>
          <div class="field">
            <label for={`${id}-name`}>Name</label>
            <input
              id={`${id}-name`}
              value={name}
              onInput={(e) => setName(e.currentTarget.value)}
              required
              autoComplete="off"
              aria-invalid={errors.name ? true : undefined}
              aria-describedby={`${id}-name-hint${errors.name ? ` ${id}-name-error` : ''}`}
            />
            <p id={`${id}-name-hint`} class="hint">
              1 to 100 characters, for people.
            </p>
            <FieldError id={`${id}-name-error`} message={errors.name} />
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
          <table>
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
