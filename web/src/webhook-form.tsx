// Add Endpoint and Edit Endpoint: the URL, a description, the channel filter
// and the events, checked as the server will check them while they are filled
// in; what the server still refuses (an address it will not call) shows beside
// its field, in its words.
import { useId, useState } from 'preact/hooks';
import { RequestError, request } from './api.ts';
import { useFieldErrors } from './checks.ts';
import { Dialog, FieldError } from './dialog.tsx';
import { DashboardCreateWebhookEndpoint, DashboardUpdateWebhookEndpoint } from './documents.ts';
import type { DashboardChannelsQuery, DashboardWebhookEndpointFragment, WebhookEventType } from './generated/graphql.ts';
import {
  checkChannelFilter,
  checkDescription,
  checkEvents,
  checkWebhookUrl,
  EVENTS,
  serverTakesHttp,
  WEBHOOK_LIMITS,
} from './webhook-checks.ts';

type Channel = DashboardChannelsQuery['channels'][number];
type Endpoint = DashboardWebhookEndpointFragment;

interface WebhookFormProps {
  channels: Channel[];
  endpoint?: Endpoint;
  onClose: () => void;
  /** Saved; `secret` only after a creation (shown once). */
  onSaved: (url: string, secret?: string) => void;
}

/** The control each checked field focuses when the form is sent with a problem. */
const CONTROL_OF: Record<string, string> = { url: 'url', description: 'description', channels: 'channel-0', events: 'event-0' };

const sameSet = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x) => b.includes(x));

export function WebhookForm({ channels, endpoint, onClose, onSaved }: WebhookFormProps) {
  const id = useId();
  const initial = {
    url: endpoint?.url ?? '',
    description: endpoint?.description ?? '',
    channels: endpoint?.channels.map((c) => c.slug) ?? [],
    events: endpoint?.events ?? (['MESSAGE_SENT'] as WebhookEventType[]),
  };
  const [url, setUrl] = useState(initial.url);
  const [description, setDescription] = useState(initial.description);
  const [filtered, setFiltered] = useState(initial.channels.length > 0);
  const [selected, setSelected] = useState<string[]>(initial.channels);
  const [events, setEvents] = useState<WebhookEventType[]>(initial.events);
  const [busy, setBusy] = useState(false);

  const fields = useFieldErrors({
    url: checkWebhookUrl(url, serverTakesHttp()),
    description: checkDescription(description),
    channels: checkChannelFilter(filtered, selected),
    events: checkEvents(events),
  });
  const err = fields.error;

  const submit = async (event: Event) => {
    event.preventDefault();
    const problem = fields.submit();
    if (problem) {
      requestAnimationFrame(() => document.getElementById(`${id}-${CONTROL_OF[problem]}`)?.focus());
      return;
    }
    setBusy(true);
    const slugs = filtered ? selected : [];
    const text = description.trim();
    try {
      if (endpoint) {
        await request(DashboardUpdateWebhookEndpoint, {
          input: {
            id: endpoint.id,
            // The URL is checked again (DNS included) only when it changed.
            ...(url.trim() !== initial.url ? { url: url.trim() } : {}),
            ...(text !== initial.description ? { description: text || null } : {}),
            ...(!sameSet(slugs, initial.channels) ? { channels: slugs } : {}),
            ...(!sameSet(events, initial.events) ? { events } : {}),
          },
        });
        onSaved(url.trim());
      } else {
        const created = await request(DashboardCreateWebhookEndpoint, {
          input: { url: url.trim(), ...(text ? { description: text } : {}), channels: slugs, events },
        });
        onSaved(created.createWebhookEndpoint.endpoint.url, created.createWebhookEndpoint.secret);
      }
    } catch (e) {
      const byField = e instanceof RequestError ? e.byField() : { '': String(e) };
      fields.refused(byField);
      const first = Object.keys(byField).find((field) => CONTROL_OF[field]);
      if (first) requestAnimationFrame(() => document.getElementById(`${id}-${CONTROL_OF[first]}`)?.focus());
      setBusy(false);
    }
  };

  const described = (field: string, hint?: string) =>
    [hint, err(field) ? `${id}-${field}-error` : ''].filter(Boolean).join(' ') || undefined;
  const toggleChannel = (slug: string, on: boolean) => setSelected((list) => (on ? [...list, slug] : list.filter((s) => s !== slug)));
  const toggleEvent = (type: WebhookEventType, on: boolean) =>
    setEvents((list) => (on ? EVENTS.map((e) => e.type).filter((t) => t === type || list.includes(t)) : list.filter((t) => t !== type)));
  // The server's words about a field this form has no control for (say, "id") show at the top.
  const general = [err(''), err('id')].filter(Boolean).join(' ');

  return (
    <Dialog title={endpoint ? 'Edit Endpoint' : 'Add Endpoint'} onClose={onClose} wide>
      <form onSubmit={submit} noValidate>
        {general && (
          <p role="alert" class="banner error">
            {general}
          </p>
        )}
        <div class="field">
          <label for={`${id}-url`}>Endpoint URL</label>
          <input
            id={`${id}-url`}
            type="url"
            inputMode="url"
            value={url}
            maxLength={WEBHOOK_LIMITS.url}
            required
            autoComplete="off"
            autoCapitalize="none"
            spellcheck={false}
            placeholder="https://example.com/webhooks/herald"
            onInput={(e) => {
              setUrl(e.currentTarget.value);
              fields.edited('url');
            }}
            aria-invalid={err('url') ? true : undefined}
            aria-describedby={described('url', `${id}-url-hint`)}
          />
          <p id={`${id}-url-hint`} class="hint">
            Herald POSTs each event here, signed per Standard Webhooks. Your endpoint answers 2xx within 15 seconds.
          </p>
          <FieldError id={`${id}-url-error`} message={err('url')} />
        </div>

        <div class="field">
          <label for={`${id}-description`}>
            Description <span class="optional">(optional)</span>
          </label>
          <input
            id={`${id}-description`}
            value={description}
            maxLength={WEBHOOK_LIMITS.description}
            autoComplete="off"
            onInput={(e) => {
              setDescription(e.currentTarget.value);
              fields.edited('description');
            }}
            aria-invalid={err('description') ? true : undefined}
            aria-describedby={described('description', `${id}-description-hint`)}
          />
          <p id={`${id}-description-hint`} class="hint">
            For people: what receives these events. At most 500 characters.
          </p>
          <FieldError id={`${id}-description-error`} message={err('description')} />
        </div>

        <fieldset class="field" aria-describedby={described('events')}>
          <legend>Events</legend>
          {EVENTS.map((e, i) => (
            <label key={e.type} class="choice">
              <input
                id={i === 0 ? `${id}-event-0` : undefined}
                type="checkbox"
                checked={events.includes(e.type)}
                onChange={(ev) => {
                  toggleEvent(e.type, ev.currentTarget.checked);
                  fields.edited('events');
                }}
              />
              <span>
                <code>{e.name}</code> <span class="hint">{e.hint}</span>
              </span>
            </label>
          ))}
          <FieldError id={`${id}-events-error`} message={err('events')} />
        </fieldset>

        <fieldset class="field">
          <legend>Channels</legend>
          <label class="choice">
            <input type="radio" name={`${id}-filter`} checked={!filtered} onChange={() => setFiltered(false)} />
            <span>
              Every message <span class="hint">Events of messages sent to any channel, or to all recipients.</span>
            </span>
          </label>
          <label class="choice">
            <input type="radio" name={`${id}-filter`} checked={filtered} onChange={() => setFiltered(true)} />
            <span>
              Only these channels <span class="hint">Events of messages sent to the channels you choose.</span>
            </span>
          </label>
          {!filtered && <FieldError id={`${id}-channels-error`} message={err('channels')} />}
        </fieldset>

        {filtered && (
          <fieldset class="field" aria-describedby={described('channels', `${id}-channels-hint`)}>
            <legend class="visually-hidden">Channels to send events of</legend>
            <div class="checks">
              {channels.map((c, i) => (
                <label key={c.id} class="check">
                  <input
                    id={i === 0 ? `${id}-channel-0` : undefined}
                    type="checkbox"
                    checked={selected.includes(c.slug)}
                    onChange={(e) => {
                      toggleChannel(c.slug, e.currentTarget.checked);
                      fields.edited('channels');
                    }}
                  />
                  {c.slug}
                </label>
              ))}
            </div>
            <p id={`${id}-channels-hint`} class="hint">
              {channels.length === 0 ? 'The account has no channels yet: create them on the ' : 'Channels are created on the '}
              <a href="#/channels">Channels page</a>.
            </p>
            <FieldError id={`${id}-channels-error`} message={err('channels')} />
          </fieldset>
        )}

        <div class="buttons">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" class="primary" disabled={busy}>
            {endpoint ? 'Save' : 'Add Endpoint'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
