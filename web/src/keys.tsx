// The API Keys page: every key, and the dialogs that create, edit, roll and revoke them.
import { useEffect, useId, useRef, useState } from 'preact/hooks';
import { RequestError, request } from './api.ts';
import { Dialog, FieldError } from './dialog.tsx';
import {
  DashboardApiKeys,
  DashboardAuditEvents,
  DashboardCreateApiKey,
  DashboardRevokeApiKey,
  DashboardRollApiKey,
  DashboardUpdateApiKey,
} from './documents.ts';
import { calendarDay, exactTime, fromLocalInput, fromNow, toLocalInput } from './format.ts';
import type { DashboardApiKeysQuery, DashboardAuditEventsQuery, DashboardChannelsQuery, ScopeKind } from './generated/graphql.ts';

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
  const [modal, setModal] = useState<Modal | null>(null);

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

  // Focus goes back to the control that opened the first dialog (Create API Key
  // stays the opener through the secret dialog); if it is gone, to the heading.
  const opener = useRef<HTMLElement | null>(null);
  const open = (next: Modal) => {
    opener.current ??= document.activeElement as HTMLElement | null;
    setModal(next);
  };
  const restoreFocus = () =>
    requestAnimationFrame(() => {
      const element = opener.current;
      opener.current = null;
      if (element?.isConnected) element.focus();
      else document.querySelector<HTMLElement>('main h1')?.focus();
    });
  const close = () => {
    setModal(null);
    restoreFocus();
  };
  const changed = async (next: Modal | null = null) => {
    setModal(next);
    await load();
    if (!next) restoreFocus();
  };

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

function KeyTable({ keys, open }: { keys: Key[]; open: (modal: Modal) => void }) {
  return (
    <div class="table-wrap">
      <table>
        <caption class="visually-hidden">API keys of the account, newest first</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Scope</th>
            <th scope="col">Status</th>
            <th scope="col">Created</th>
            <th scope="col">Last used</th>
            <th scope="col">Expires</th>
            <th scope="col">Usage, 30 days</th>
            <th scope="col">
              <span class="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {keys.map((key) => (
            <tr key={key.id} class={key.status !== 'ACTIVE' ? 'inactive' : undefined}>
              <th scope="row">
                <span class="key-name">{key.name}</span>
                <code class="prefix" title="The first characters of the secret">
                  {key.prefix}…
                </code>
              </th>
              <td>
                {key.scope.kind === 'ALL' ? (
                  <span class="scope-all">All Recipients</span>
                ) : (
                  <ul class="chips" aria-label="Channels">
                    {key.scope.channels.map((c) => (
                      <li key={c.id} class="chip" title={c.name}>
                        {c.slug}
                      </li>
                    ))}
                  </ul>
                )}
              </td>
              <td>
                <StatusBadge apiKey={key} />
              </td>
              <td>
                <Time iso={key.createdAt} />
                {key.createdBy && <span class="by">by {key.createdBy.subject}</span>}
              </td>
              <td>{key.lastUsedAt ? <Time iso={key.lastUsedAt} /> : <span class="muted">Never</span>}</td>
              <td>
                {key.expiresAt ? (
                  <time dateTime={key.expiresAt} title={exactTime(key.expiresAt)}>
                    {calendarDay(key.expiresAt)}
                  </time>
                ) : (
                  <span class="muted">Never</span>
                )}
              </td>
              <td>
                <UsageChart usage={key.usage} />
              </td>
              <td class="actions">
                {key.status !== 'REVOKED' && (
                  <>
                    <button type="button" onClick={() => open({ kind: 'edit', key })}>
                      Edit API Key
                    </button>
                    <button type="button" onClick={() => open({ kind: 'roll', key })}>
                      Roll
                    </button>
                    <button type="button" class="danger" onClick={() => open({ kind: 'revoke', key })}>
                      Revoke
                    </button>
                  </>
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

function Time({ iso }: { iso: string }) {
  return (
    <time dateTime={iso} title={exactTime(iso)}>
      {fromNow(iso)}
    </time>
  );
}

function StatusBadge({ apiKey }: { apiKey: Key }) {
  const label = { ACTIVE: 'Active', EXPIRED: 'Expired', REVOKED: 'Revoked' }[apiKey.status];
  const grace = apiKey.previousSecretExpiresAt && new Date(apiKey.previousSecretExpiresAt).getTime() > Date.now();
  return (
    <>
      <span class={`badge ${apiKey.status.toLowerCase()}`}>{label}</span>
      {grace && apiKey.previousSecretExpiresAt && (
        <span class="by" title={exactTime(apiKey.previousSecretExpiresAt)}>
          previous secret until {fromNow(apiKey.previousSecretExpiresAt)}
        </span>
      )}
    </>
  );
}

const DAYS = 30;

/** Requests a day over the last 30 days (UTC), oldest on the left; refused requests in red. */
export function UsageChart({ usage }: { usage: Key['usage'] }) {
  const byDay = new Map(usage.map((u) => [u.day, u]));
  const today = Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate());
  const days = Array.from({ length: DAYS }, (_, i) => {
    const day = new Date(today - (DAYS - 1 - i) * 86_400_000).toISOString().slice(0, 10);
    return { day, requests: byDay.get(day)?.requests ?? 0, refused: byDay.get(day)?.refused ?? 0 };
  });
  const max = Math.max(1, ...days.map((d) => d.requests));
  const total = days.reduce((sum, d) => sum + d.requests, 0);
  const refused = days.reduce((sum, d) => sum + d.refused, 0);
  const label = `${total} request${total === 1 ? '' : 's'} in the last 30 days${refused ? `, ${refused} refused` : ''}`;
  const W = 4;
  const H = 28;
  return (
    <svg class="usage" viewBox={`0 0 ${DAYS * W} ${H}`} width={DAYS * W} height={H} role="img" aria-label={label}>
      <title>{label}</title>
      <line x1="0" y1={H - 0.5} x2={DAYS * W} y2={H - 0.5} class="axis" />
      {days.map((d, i) => {
        const h = d.requests ? Math.max(2, (d.requests / max) * (H - 2)) : 0;
        const r = d.refused ? Math.max(1, (d.refused / max) * (H - 2)) : 0;
        return (
          <g key={d.day}>
            {h > 0 && <rect x={i * W} y={H - h} width={W - 1} height={h} class="bar" />}
            {r > 0 && <rect x={i * W} y={H - r} width={W - 1} height={r} class="refused" />}
          </g>
        );
      })}
    </svg>
  );
}

interface KeyFormProps {
  channels: Channel[];
  apiKey?: Key;
  onClose: () => void;
  onSaved: (name: string, secret?: string) => void;
}

/** Create API Key and Edit API Key: the same fields. */
function KeyForm({ channels, apiKey, onClose, onSaved }: KeyFormProps) {
  const id = useId();
  const [name, setName] = useState(apiKey?.name ?? '');
  const [kind, setKind] = useState<ScopeKind>(apiKey?.scope.kind ?? 'ALL');
  const [selected, setSelected] = useState<string[]>(apiKey?.scope.channels.map((c) => c.slug) ?? []);
  const initial = {
    expires: toLocalInput(apiKey?.expiresAt),
    rate: apiKey?.rateLimitPerMinute?.toString() ?? '',
    ips: apiKey?.allowedIps.join('\n') ?? '',
  };
  const [expires, setExpires] = useState(initial.expires);
  const [rate, setRate] = useState(initial.rate);
  const [ips, setIps] = useState(initial.ips);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);

  const toggle = (slug: string, on: boolean) => setSelected((list) => (on ? [...list, slug] : list.filter((s) => s !== slug)));

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setErrors({});
    const scope = kind === 'ALL' ? { kind } : { kind, channels: selected };
    const allowedIps = ips
      .split(/[\s,]+/)
      .map((s) => s.trim())
      .filter(Boolean);
    const rateLimitPerMinute = rate.trim() === '' ? null : Number(rate);
    try {
      if (apiKey) {
        await request(DashboardUpdateApiKey, {
          input: {
            id: apiKey.id,
            name,
            scope,
            ...(expires !== initial.expires ? { expiresAt: fromLocalInput(expires) } : {}),
            ...(rate !== initial.rate ? { rateLimitPerMinute } : {}),
            ...(ips !== initial.ips ? { allowedIps } : {}),
          },
        });
        onSaved(name);
      } else {
        const created = await request(DashboardCreateApiKey, {
          input: {
            name,
            scope,
            ...(expires ? { expiresAt: fromLocalInput(expires) } : {}),
            ...(rateLimitPerMinute !== null ? { rateLimitPerMinute } : {}),
            ...(allowedIps.length ? { allowedIps } : {}),
          },
        });
        onSaved(created.createApiKey.apiKey.name, created.createApiKey.secret);
      }
    } catch (e) {
      setErrors(e instanceof RequestError ? e.byField() : { '': String(e) });
      setBusy(false);
    }
  };

  const err = (field: string) => errors[field];
  const described = (field: string, hint?: string) =>
    [hint, err(field) ? `${id}-${field}-error` : ''].filter(Boolean).join(' ') || undefined;
  const channelError = err('scope.channels') ?? err('scope');

  return (
    <Dialog title={apiKey ? 'Edit API Key' : 'Create API Key'} onClose={onClose} wide>
      <form onSubmit={submit} noValidate>
        {err('') && (
          <p role="alert" class="banner error">
            {err('')}
          </p>
        )}
        <div class="field">
          <label for={`${id}-name`}>Name</label>
          <input
            id={`${id}-name`}
            name="name"
            value={name}
            onInput={(e) => setName(e.currentTarget.value)}
            required
            autoComplete="off"
            aria-invalid={err('name') ? true : undefined}
            aria-describedby={described('name', `${id}-name-hint`)}
          />
          <p id={`${id}-name-hint`} class="hint">
            At most 100 characters.
          </p>
          <FieldError id={`${id}-name-error`} message={err('name')} />
        </div>

        <fieldset class="field">
          <legend>Scope</legend>
          <label class="choice">
            <input type="radio" name="scope" value="ALL" checked={kind === 'ALL'} onChange={() => setKind('ALL')} />
            <span>
              All Recipients <span class="hint">The key can target every recipient of the account.</span>
            </span>
          </label>
          <label class="choice">
            <input type="radio" name="scope" value="CHANNELS" checked={kind === 'CHANNELS'} onChange={() => setKind('CHANNELS')} />
            <span>
              Channel Scoped <span class="hint">The key can target only the channels you choose.</span>
            </span>
          </label>
          <FieldError id={`${id}-scope-error`} message={kind === 'ALL' ? channelError : undefined} />
        </fieldset>

        {kind === 'CHANNELS' && (
          <fieldset class="field" aria-describedby={channelError ? `${id}-channels-error` : undefined}>
            <legend>Channels</legend>
            {channels.length === 0 && <p class="hint">The account has no channels yet: create them on the Channels page.</p>}
            <div class="checks">
              {channels.map((c) => (
                <label key={c.id} class="check">
                  <input type="checkbox" checked={selected.includes(c.slug)} onChange={(e) => toggle(c.slug, e.currentTarget.checked)} />
                  {c.slug}
                </label>
              ))}
            </div>
            <FieldError id={`${id}-channels-error`} message={channelError} />
          </fieldset>
        )}

        <details
          class="field"
          open={Boolean(
            initial.expires || initial.rate || initial.ips || err('expiresAt') || err('rateLimitPerMinute') || err('allowedIps'),
          )}
        >
          <summary>Expiry, rate limit and IP allowlist (optional)</summary>
          <div class="field">
            <label for={`${id}-expires`}>Expires</label>
            <input
              id={`${id}-expires`}
              type="datetime-local"
              value={expires}
              onInput={(e) => setExpires(e.currentTarget.value)}
              aria-invalid={err('expiresAt') ? true : undefined}
              aria-describedby={described('expiresAt', `${id}-expires-hint`)}
            />
            <p id={`${id}-expires-hint`} class="hint">
              Empty: the key never expires.
            </p>
            <FieldError id={`${id}-expiresAt-error`} message={err('expiresAt')} />
          </div>
          <div class="field">
            <label for={`${id}-rate`}>Rate limit (requests per minute)</label>
            <input
              id={`${id}-rate`}
              type="number"
              inputMode="numeric"
              min={1}
              max={100000}
              value={rate}
              onInput={(e) => setRate(e.currentTarget.value)}
              aria-invalid={err('rateLimitPerMinute') ? true : undefined}
              aria-describedby={described('rateLimitPerMinute', `${id}-rate-hint`)}
            />
            <p id={`${id}-rate-hint`} class="hint">
              1 to 100,000. Empty: the server's default.
            </p>
            <FieldError id={`${id}-rateLimitPerMinute-error`} message={err('rateLimitPerMinute')} />
          </div>
          <div class="field">
            <label for={`${id}-ips`}>Allowed IPs</label>
            <textarea
              id={`${id}-ips`}
              rows={3}
              value={ips}
              onInput={(e) => setIps(e.currentTarget.value)}
              aria-invalid={err('allowedIps') ? true : undefined}
              aria-describedby={described('allowedIps', `${id}-ips-hint`)}
            />
            <p id={`${id}-ips-hint`} class="hint">
              CIDR blocks, one a line (e.g. 203.0.113.0/24). Empty: from anywhere.
            </p>
            <FieldError id={`${id}-allowedIps-error`} message={err('allowedIps')} />
          </div>
        </details>

        <div class="buttons">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" class="primary" disabled={busy}>
            {apiKey ? 'Save' : 'Create API Key'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}

function SecretDialog({ name, secret, rolled, onDone }: { name: string; secret: string; rolled: boolean; onDone: () => void }) {
  const id = useId();
  const [copied, setCopied] = useState<string>('');
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(secret);
      setCopied('Copied to the clipboard.');
    } catch {
      setCopied('Copying failed: select the secret and copy it.');
    }
  };
  return (
    <Dialog title={rolled ? `New secret for ${name}` : `API Key ${name} created`} onClose={onDone}>
      <p class="banner warning" id={`${id}-warning`}>
        Copy this secret now and keep it safe: it cannot be shown again.
      </p>
      <div class="field">
        <label for={`${id}-secret`}>Secret</label>
        <div class="secret-row">
          <input
            id={`${id}-secret`}
            class="secret"
            readOnly
            value={secret}
            aria-describedby={`${id}-warning`}
            onFocus={(e) => e.currentTarget.select()}
          />
          <button type="button" onClick={copy}>
            Copy
          </button>
        </div>
        <p class="hint" role="status">
          {copied}
        </p>
      </div>
      <div class="buttons">
        <button type="button" class="primary" onClick={onDone}>
          Done
        </button>
      </div>
    </Dialog>
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

const ACTIONS: Record<string, string> = {
  API_KEY_CREATED: 'Created',
  API_KEY_UPDATED: 'Edited',
  API_KEY_ROLLED: 'Rolled',
  API_KEY_REVOKED: 'Revoked',
  CHANNEL_CREATED: 'Channel created',
  RECIPIENT_CREATED: 'Recipient created',
};

function AuditDialog({ apiKey, onClose }: { apiKey: Key; onClose: () => void }) {
  const [events, setEvents] = useState<DashboardAuditEventsQuery['auditEvents']['edges'] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    request(DashboardAuditEvents, { apiKeyId: apiKey.id })
      .then((data) => setEvents(data.auditEvents.edges))
      .catch((e) => setError(e instanceof Error ? e.message : String(e)));
  }, [apiKey.id]);
  return (
    <Dialog title={`Audit trail of ${apiKey.name}`} onClose={onClose} wide>
      {error && (
        <p role="alert" class="banner error">
          {error}
        </p>
      )}
      {!events && !error && <p>Loading…</p>}
      {events && (
        <ol class="audit">
          {events.map(({ node }) => (
            <li key={node.id}>
              <strong>{ACTIONS[node.action] ?? node.action}</strong> <Time iso={node.at} /> by {node.member?.subject ?? 'an API key'}
              {node.changes && Object.keys(node.changes).length > 0 && (
                <ul class="changes">
                  {Object.entries(node.changes).map(([field, change]) => (
                    <li key={field}>
                      <code>{field}</code>: {describeChange(change)}
                    </li>
                  ))}
                </ul>
              )}
            </li>
          ))}
        </ol>
      )}
      <form method="dialog" class="buttons">
        <button type="submit" class="primary">
          Close
        </button>
      </form>
    </Dialog>
  );
}

function describeChange(change: unknown): string {
  const show = (v: unknown) => (v === null || v === undefined ? '—' : typeof v === 'string' ? v : JSON.stringify(v));
  if (change && typeof change === 'object' && 'after' in change) {
    const { before, after } = change as { before?: unknown; after?: unknown };
    return before === null || before === undefined ? show(after) : `${show(before)} → ${show(after)}`;
  }
  return show(change);
}
