// The API Keys page: every key, and the dialogs that create, edit, roll and revoke them.
import { useEffect, useState } from 'preact/hooks';
import { RequestError, request } from './api.ts';
import { AuditDialog } from './audit-trail.tsx';
import { Dialog } from './dialog.tsx';
import { ChannelChips, LabelledCell, Member, Time } from './display.tsx';
import { DashboardApiKeys, DashboardRevokeApiKey, DashboardRollApiKey } from './documents.ts';
import { calendarDay, exactTime, fromNow } from './format.ts';
import type { DashboardApiKeysQuery, DashboardChannelsQuery } from './generated/graphql.ts';
import { KeyForm } from './key-form.tsx';
import { SecretDialog } from './secret-dialog.tsx';
import { UsageChart } from './usage-chart.tsx';
import { useModal } from './use-modal.ts';

type Key = DashboardApiKeysQuery['apiKeys'][number];
type Channel = DashboardChannelsQuery['channels'][number];
type Modal =
  | { kind: 'create' }
  | { kind: 'edit'; key: Key }
  | { kind: 'roll'; key: Key }
  | { kind: 'revoke'; key: Key }
  | { kind: 'audit'; key: Key }
  | { kind: 'secret'; name: string; secret: string; rolled: boolean };

interface PageProps {
  channels: Channel[];
  onUnauthenticated: (error: RequestError) => void;
}

export function ApiKeysPage({ channels, onUnauthenticated }: PageProps) {
  const [keys, setKeys] = useState<Key[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  const load = async () => {
    try {
      setKeys((await request(DashboardApiKeys)).apiKeys);
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

  return (
    <>
      <div class="page-head">
        <h1 tabIndex={-1}>API Keys</h1>
        <button type="button" class="primary" onClick={() => open({ kind: 'create' })}>
          Create API Key
        </button>
      </div>
      <p class="lede">Secret tokens your backend uses to send messages. Each key reaches all recipients or only its channels.</p>
      {error && (
        <p role="alert" class="banner error">
          {error}
        </p>
      )}
      {keys === null && !error && <p aria-live="polite">Loading keys…</p>}
      {keys && keys.length === 0 && <p class="empty">No API keys yet. Create one to start sending.</p>}
      {keys && keys.length > 0 && <KeyTable keys={keys} open={open} />}

      {modal?.kind === 'create' && (
        <KeyForm
          channels={channels}
          onClose={close}
          onSaved={(name, secret) => changed(secret ? { kind: 'secret', name, secret, rolled: false } : null)}
        />
      )}
      {modal?.kind === 'edit' && <KeyForm channels={channels} apiKey={modal.key} onClose={close} onSaved={() => changed()} />}
      {modal?.kind === 'roll' && (
        <RollDialog
          apiKey={modal.key}
          onClose={close}
          onRolled={(secret) => changed({ kind: 'secret', name: modal.key.name, secret, rolled: true })}
        />
      )}
      {modal?.kind === 'revoke' && <RevokeDialog apiKey={modal.key} onClose={close} onRevoked={() => changed()} />}
      {modal?.kind === 'audit' && <AuditDialog apiKey={modal.key} onClose={close} />}
      {modal?.kind === 'secret' && <SecretDialog name={modal.name} secret={modal.secret} rolled={modal.rolled} onDone={close} />}
    </>
  );
}

/** Column names, also shown inside each cell when the table is laid out as cards (narrow screens). */
const COLUMNS = ['Name', 'Scope', 'Status', 'Created', 'Last used', 'Usage, 30 days'] as const;
const Cell = LabelledCell<(typeof COLUMNS)[number]>;

function KeyTable({ keys, open }: { keys: Key[]; open: (modal: Modal) => void }) {
  return (
    <div class="table-wrap cards-wrap">
      <table class="keys cards">
        <caption class="visually-hidden">API keys of the account, newest first</caption>
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
          {keys.map((key) => (
            <tr key={key.id} class={key.status !== 'ACTIVE' ? 'inactive' : undefined}>
              <th scope="row" class="cell-name">
                <span class="key-name">{key.name}</span>
                <code class="prefix" title="The first characters of the secret">
                  {key.prefix}…
                </code>
              </th>
              <Cell label="Scope">
                {key.scope.kind === 'ALL' ? <span class="scope-all">All Recipients</span> : <ChannelChips slugs={key.scope.channels} />}
              </Cell>
              <Cell label="Status" class="status">
                <StatusBadge apiKey={key} />
              </Cell>
              <Cell label="Created">
                <Time iso={key.createdAt} />
                {key.createdBy && (
                  <span class="by">
                    by <Member member={key.createdBy} />
                  </span>
                )}
              </Cell>
              <Cell label="Last used">{key.lastUsedAt ? <Time iso={key.lastUsedAt} /> : <span class="muted">Never</span>}</Cell>
              <Cell label="Usage, 30 days" class="usage-col">
                <UsageChart usage={key.usage} />
              </Cell>
              <td class="actions">
                {key.status !== 'REVOKED' && (
                  <div class="actions-row">
                    <button type="button" onClick={() => open({ kind: 'edit', key })}>
                      Edit API Key
                    </button>
                    <button type="button" onClick={() => open({ kind: 'roll', key })}>
                      Roll
                    </button>
                    <button type="button" class="danger" onClick={() => open({ kind: 'revoke', key })}>
                      Revoke
                    </button>
                  </div>
                )}
                <button type="button" class="link" onClick={() => open({ kind: 'audit', key })}>
                  Audit trail
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function StatusBadge({ apiKey }: { apiKey: Key }) {
  const label = { ACTIVE: 'Active', EXPIRED: 'Expired', REVOKED: 'Revoked' }[apiKey.status];
  const grace = apiKey.previousSecretExpiresAt && new Date(apiKey.previousSecretExpiresAt).getTime() > Date.now();
  return (
    <>
      <span class={`badge ${apiKey.status.toLowerCase()}`}>{label}</span>
      {apiKey.status !== 'REVOKED' && (
        <span class="by">
          {apiKey.expiresAt ? (
            <>
              {apiKey.status === 'EXPIRED' ? 'Expired' : 'Expires'}{' '}
              <time dateTime={apiKey.expiresAt} title={exactTime(apiKey.expiresAt)}>
                {calendarDay(apiKey.expiresAt)}
              </time>
            </>
          ) : (
            'No expiry'
          )}
        </span>
      )}
      {grace && apiKey.previousSecretExpiresAt && (
        <span class="by" title={exactTime(apiKey.previousSecretExpiresAt)}>
          previous secret until {fromNow(apiKey.previousSecretExpiresAt)}
        </span>
      )}
    </>
  );
}

const GRACE = [
  { seconds: 0, label: 'At once' },
  { seconds: 3600, label: '1 hour' },
  { seconds: 86_400, label: '24 hours' },
];

function RollDialog({ apiKey, onClose, onRolled }: { apiKey: Key; onClose: () => void; onRolled: (secret: string) => void }) {
  const [grace, setGrace] = useState(3600);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    try {
      const rolled = await request(DashboardRollApiKey, { input: { id: apiKey.id, gracePeriodSeconds: grace } });
      onRolled(rolled.rollApiKey.secret);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
      setBusy(false);
    }
  };
  return (
    <Dialog title={`Roll ${apiKey.name}`} onClose={onClose}>
      <form onSubmit={submit}>
        <p>A new secret replaces the current one. Until the grace period ends, both work, so you can deploy the new one first.</p>
        {error && (
          <p role="alert" class="banner error">
            {error}
          </p>
        )}
        <fieldset class="field">
          <legend>The current secret stops working</legend>
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
            Roll
          </button>
        </div>
      </form>
    </Dialog>
  );
}

function RevokeDialog({ apiKey, onClose, onRevoked }: { apiKey: Key; onClose: () => void; onRevoked: () => void }) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const revoke = async () => {
    setBusy(true);
    try {
      await request(DashboardRevokeApiKey, { id: apiKey.id });
      onRevoked();
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
      setBusy(false);
    }
  };
  return (
    <Dialog title={`Revoke ${apiKey.name}?`} onClose={onClose}>
      <p>
        Requests made with <strong>{apiKey.name}</strong> (<code>{apiKey.prefix}…</code>) will be refused at once, for good. This cannot be
        undone.
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
        <button type="button" class="danger solid" disabled={busy} onClick={revoke}>
          Revoke
        </button>
      </div>
    </Dialog>
  );
}
