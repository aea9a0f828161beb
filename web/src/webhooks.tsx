// The Webhooks view: the account's endpoints, one card each (its URL, what it
// receives, whether it is enabled and why not), the dialogs that add, edit,
// roll and delete them, and each endpoint's attempt log with Send test event.
import { useEffect, useId, useState } from 'preact/hooks';
import { RequestError, request } from './api.ts';
import { Dialog } from './dialog.tsx';
import { ChannelChips, Time } from './display.tsx';
import {
  DashboardDeleteWebhookEndpoint,
  DashboardRollWebhookSecret,
  DashboardUpdateWebhookEndpoint,
  DashboardWebhookEndpoints,
} from './documents.ts';
import { exactTime, fromNow } from './format.ts';
import type { DashboardChannelsQuery, DashboardWebhookEndpointFragment } from './generated/graphql.ts';
import { SecretDialog } from './secret-dialog.tsx';
import { useModal } from './use-modal.ts';
import { WebhookAttempts } from './webhook-attempts.tsx';
import { eventName } from './webhook-checks.ts';
import { WebhookForm } from './webhook-form.tsx';

type Endpoint = DashboardWebhookEndpointFragment;
type Channel = DashboardChannelsQuery['channels'][number];
type Modal =
  | { kind: 'create' }
  | { kind: 'edit'; endpoint: Endpoint }
  | { kind: 'roll'; endpoint: Endpoint }
  | { kind: 'delete'; endpoint: Endpoint }
  | { kind: 'secret'; url: string; secret: string; rolled: boolean };

interface PageProps {
  channels: Channel[];
  onUnauthenticated: (error: RequestError) => void;
}

export function WebhooksPage({ channels, onUnauthenticated }: PageProps) {
  const [endpoints, setEndpoints] = useState<Endpoint[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState('');

  const load = async () => {
    try {
      setEndpoints((await request(DashboardWebhookEndpoints)).webhookEndpoints);
      setError(null);
    } catch (e) {
      if (e instanceof RequestError && e.unauthenticated) onUnauthenticated(e);
      else setError(e instanceof Error ? e.message : String(e));
    }
  };
  useEffect(() => {
    load();
  }, []);
  const { modal, open, close, changed } = useModal<Modal>(load);

  /** Enable or disable at once (no dialog: either is undone with one click); focus stays on the button. */
  const toggle = async (endpoint: Endpoint) => {
    setStatus('');
    try {
      await request(DashboardUpdateWebhookEndpoint, { input: { id: endpoint.id, enabled: !endpoint.enabled } });
      await load();
      setStatus(endpoint.enabled ? `Disabled ${endpoint.url}: Herald sends it nothing until it is enabled.` : `Enabled ${endpoint.url}.`);
    } catch (e) {
      if (e instanceof RequestError && e.unauthenticated) onUnauthenticated(e);
      else setError(e instanceof Error ? e.message : String(e));
    }
  };

  return (
    <>
      <div class="page-head">
        <h1 tabIndex={-1}>Webhooks</h1>
        <button type="button" class="primary" onClick={() => open({ kind: 'create' })}>
          Add Endpoint
        </button>
      </div>
      <p class="lede">
        Herald POSTs your account's events to these URLs as they happen, signed per Standard Webhooks, and retries for about a day when an
        endpoint fails.
      </p>
      <p role="status" class="visually-hidden">
        {status}
      </p>
      {error && (
        <p role="alert" class="banner error">
          {error}
        </p>
      )}
      {endpoints === null && !error && <p aria-live="polite">Loading endpoints…</p>}
      {endpoints && endpoints.length === 0 && (
        <p class="empty">
          <strong>No endpoints yet.</strong> Add one, and your backend hears of each message sent and each message read.
        </p>
      )}
      {endpoints && endpoints.length > 0 && (
        <ul class="endpoints">
          {endpoints.map((endpoint) => (
            <EndpointCard
              key={endpoint.id}
              endpoint={endpoint}
              open={open}
              toggle={toggle}
              reload={load}
              onUnauthenticated={onUnauthenticated}
            />
          ))}
        </ul>
      )}

      {modal?.kind === 'create' && (
        <WebhookForm
          channels={channels}
          onClose={close}
          onSaved={(url, secret) => changed(secret ? { kind: 'secret', url, secret, rolled: false } : null)}
        />
      )}
      {modal?.kind === 'edit' && <WebhookForm channels={channels} endpoint={modal.endpoint} onClose={close} onSaved={() => changed()} />}
      {modal?.kind === 'roll' && (
        <RollSecretDialog
          endpoint={modal.endpoint}
          onClose={close}
          onRolled={(secret) => changed({ kind: 'secret', url: modal.endpoint.url, secret, rolled: true })}
        />
      )}
      {modal?.kind === 'delete' && <DeleteDialog endpoint={modal.endpoint} onClose={close} onDeleted={() => changed()} />}
      {modal?.kind === 'secret' && (
        <SecretDialog
          name={modal.url}
          secret={modal.secret}
          rolled={modal.rolled}
          title={modal.rolled ? 'New signing secret' : 'Endpoint added'}
          onDone={close}
        />
      )}
    </>
  );
}

interface CardProps {
  endpoint: Endpoint;
  open: (modal: Modal) => void;
  toggle: (endpoint: Endpoint) => void;
  reload: () => Promise<void>;
  onUnauthenticated: (error: RequestError) => void;
}

function EndpointCard({ endpoint, open, toggle, reload, onUnauthenticated }: CardProps) {
  const id = useId();
  const grace = endpoint.previousSecretExpiresAt;
  return (
    <li>
      <article class={`card endpoint${endpoint.enabled ? '' : ' inactive'}`} aria-labelledby={`${id}-url`}>
        <div class="endpoint-head">
          <div class="endpoint-title">
            <h2 id={`${id}-url`} class="endpoint-url">
              {endpoint.url}
            </h2>
            {endpoint.description && <p class="endpoint-description">{endpoint.description}</p>}
          </div>
          <span class={`badge ${endpoint.enabled ? 'active' : 'revoked'}`}>{endpoint.enabled ? 'Enabled' : 'Disabled'}</span>
        </div>
        {!endpoint.enabled && (
          <p class="banner warning endpoint-disabled">
            <strong>Not receiving events.</strong> {endpoint.disabledReason ?? 'Disabled.'}
          </p>
        )}
        <dl class="endpoint-facts">
          <div>
            <dt>Events</dt>
            <dd>
              <ul class="chips" aria-label="Events">
                {endpoint.events.map((type) => (
                  <li key={type} class="chip event">
                    {eventName(type)}
                  </li>
                ))}
              </ul>
            </dd>
          </div>
          <div>
            <dt>Channels</dt>
            <dd>
              {endpoint.channels.length === 0 ? <span class="scope-all">Every message</span> : <ChannelChips slugs={endpoint.channels} />}
            </dd>
          </div>
          <div>
            <dt>Created</dt>
            <dd>
              <Time iso={endpoint.createdAt} />
            </dd>
          </div>
          <div>
            <dt>Last success</dt>
            <dd>
              {endpoint.lastSuccessAt ? <Time iso={endpoint.lastSuccessAt} /> : <span class="muted">Never</span>}
              {endpoint.failingSince && (
                <span class="by failing">
                  failing since <Time iso={endpoint.failingSince} />
                </span>
              )}
            </dd>
          </div>
          {grace && (
            <div>
              <dt title="Until then, each delivery is signed with both secrets">Previous secret</dt>
              <dd>
                expires{' '}
                <time dateTime={grace} title={exactTime(grace)}>
                  {fromNow(grace)}
                </time>
              </dd>
            </div>
          )}
        </dl>
        <div class="actions-row endpoint-actions">
          <button type="button" onClick={() => open({ kind: 'edit', endpoint })}>
            Edit
          </button>
          <button type="button" onClick={() => toggle(endpoint)}>
            {endpoint.enabled ? 'Disable' : 'Enable'}
          </button>
          <button type="button" onClick={() => open({ kind: 'roll', endpoint })}>
            Roll secret
          </button>
          <button type="button" class="danger" onClick={() => open({ kind: 'delete', endpoint })}>
            Delete
          </button>
        </div>
        <WebhookAttempts endpoint={endpoint} onTried={reload} onUnauthenticated={onUnauthenticated} />
      </article>
    </li>
  );
}

const GRACE = [
  { seconds: 0, label: 'At once' },
  { seconds: 3600, label: 'In 1 hour' },
  { seconds: 86_400, label: 'In 24 hours' },
];

function RollSecretDialog({
  endpoint,
  onClose,
  onRolled,
}: {
  endpoint: Endpoint;
  onClose: () => void;
  onRolled: (secret: string) => void;
}) {
  const [grace, setGrace] = useState(3600);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    try {
      const rolled = await request(DashboardRollWebhookSecret, { input: { id: endpoint.id, gracePeriodSeconds: grace } });
      onRolled(rolled.rollWebhookEndpointSecret.secret);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
      setBusy(false);
    }
  };
  return (
    <Dialog title="Roll the signing secret" onClose={onClose}>
      <form onSubmit={submit}>
        <p>
          A new secret signs every delivery to <code class="endpoint-ref">{endpoint.url}</code>. During the grace period each delivery
          carries both signatures, so your backend can switch to the new secret first.
        </p>
        {error && (
          <p role="alert" class="banner error">
            {error}
          </p>
        )}
        <fieldset class="field">
          <legend>The current secret stops signing</legend>
          {GRACE.map((g) => (
            <label key={g.seconds} class="choice">
              <input type="radio" name="grace" checked={grace === g.seconds} onChange={() => setGrace(g.seconds)} />
              {g.label}
            </label>
          ))}
        </fieldset>
        <div class="buttons">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" class="primary" disabled={busy}>
            Roll secret
          </button>
        </div>
      </form>
    </Dialog>
  );
}

function DeleteDialog({ endpoint, onClose, onDeleted }: { endpoint: Endpoint; onClose: () => void; onDeleted: () => void }) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const remove = async () => {
    setBusy(true);
    try {
      await request(DashboardDeleteWebhookEndpoint, { id: endpoint.id });
      onDeleted();
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
      setBusy(false);
    }
  };
  return (
    <Dialog title="Delete this endpoint?" onClose={onClose}>
      <p>
        Herald stops sending events to <code class="endpoint-ref">{endpoint.url}</code> at once, drops the ones still queued for it, and
        deletes its attempt log. This cannot be undone.
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
        <button type="button" class="danger solid" disabled={busy} onClick={remove}>
          Delete endpoint
        </button>
      </div>
    </Dialog>
  );
}
