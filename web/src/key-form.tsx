// Create API Key and Edit API Key: the same fields, checked against the
// server's limits as they are filled in; what the server still refuses shows
// beside its field, in its words.
import { useId, useState } from 'preact/hooks';
import { RequestError, request } from './api.ts';
import { checkAllowedIps, checkChannels, checkExpiry, checkName, checkRateLimit, ipEntries, LIMITS, useFieldErrors } from './checks.ts';
import { Dialog, FieldError } from './dialog.tsx';
import { DashboardCreateApiKey, DashboardUpdateApiKey } from './documents.ts';
import { fromLocalInput, toLocalInput } from './format.ts';
import type { DashboardApiKeysQuery, DashboardChannelsQuery, ScopeKind } from './generated/graphql.ts';

type Key = DashboardApiKeysQuery['apiKeys'][number];
type Channel = DashboardChannelsQuery['channels'][number];

interface KeyFormProps {
  channels: Channel[];
  apiKey?: Key;
  onClose: () => void;
  onSaved: (name: string, secret?: string) => void;
}

/** The control each checked field focuses when the form is sent with a problem. */
const CONTROL_OF: Record<string, string> = {
  name: 'name',
  'scope.channels': 'channel-0',
  expiresAt: 'expires',
  rateLimitPerMinute: 'rate',
  allowedIps: 'ips',
};
const OPTIONS = ['expiresAt', 'rateLimitPerMinute', 'allowedIps'];

export function KeyForm({ channels, apiKey, onClose, onSaved }: KeyFormProps) {
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
  const [optionsOpen, setOptionsOpen] = useState(Boolean(initial.expires || initial.rate || initial.ips));
  const [busy, setBusy] = useState(false);

  const fields = useFieldErrors({
    name: checkName(name, LIMITS.keyName),
    'scope.channels': checkChannels(kind === 'CHANNELS', selected),
    // An expiry left as it was is not checked again: an expired key may keep its date.
    expiresAt: expires === initial.expires ? null : checkExpiry(expires),
    rateLimitPerMinute: checkRateLimit(rate),
    allowedIps: checkAllowedIps(ips),
  });
  const err = fields.error;

  const toggle = (slug: string, on: boolean) => setSelected((list) => (on ? [...list, slug] : list.filter((s) => s !== slug)));

  const submit = async (event: Event) => {
    event.preventDefault();
    const problem = fields.submit();
    if (problem) {
      if (OPTIONS.includes(problem)) setOptionsOpen(true);
      requestAnimationFrame(() => document.getElementById(`${id}-${CONTROL_OF[problem]}`)?.focus());
      return;
    }
    setBusy(true);
    const scope = kind === 'ALL' ? { kind } : { kind, channels: selected };
    const allowedIps = ipEntries(ips);
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
      const byField = e instanceof RequestError ? e.byField() : { '': String(e) };
      if (OPTIONS.some((field) => byField[field])) setOptionsOpen(true);
      fields.refused(byField);
      setBusy(false);
    }
  };

  const described = (field: string, hint?: string) =>
    [hint, err(field) ? `${id}-${field}-error` : ''].filter(Boolean).join(' ') || undefined;
  const channelError = err('scope.channels') ?? err('scope');
  const channelsLink = <a href="#/channels">Channels page</a>;

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
            maxLength={LIMITS.keyName}
            required
            autoComplete="off"
            onInput={(e) => {
              setName(e.currentTarget.value);
              fields.edited('name');
            }}
            aria-invalid={err('name') ? true : undefined}
            aria-describedby={described('name', `${id}-name-hint`)}
          />
          <p id={`${id}-name-hint`} class="hint">
            1 to 100 characters, for people: what uses the key.
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
          <fieldset
            class="field"
            aria-describedby={[`${id}-channels-hint`, channelError ? `${id}-channels-error` : ''].filter(Boolean).join(' ')}
          >
            <legend>Channels</legend>
            <div class="checks">
              {channels.map((c, i) => (
                <label key={c.id} class="check">
                  <input
                    id={i === 0 ? `${id}-channel-0` : undefined}
                    type="checkbox"
                    checked={selected.includes(c.slug)}
                    onChange={(e) => {
                      toggle(c.slug, e.currentTarget.checked);
                      fields.edited('scope.channels');
                    }}
                  />
                  {c.slug}
                </label>
              ))}
            </div>
            <p id={`${id}-channels-hint`} class="hint">
              {channels.length === 0 ? (
                <>The account has no channels yet: create them on the {channelsLink}.</>
              ) : (
                <>Channels are created on the {channelsLink}.</>
              )}
            </p>
            <FieldError id={`${id}-channels-error`} message={channelError} />
          </fieldset>
        )}

        <details class="field" open={optionsOpen} onToggle={(e) => setOptionsOpen(e.currentTarget.open)}>
          <summary>Expiry, rate limit and IP allowlist (optional)</summary>
          <div class="field">
            <label for={`${id}-expires`}>Expires</label>
            <input
              id={`${id}-expires`}
              type="datetime-local"
              value={expires}
              min={toLocalInput(new Date().toISOString())}
              onInput={(e) => {
                setExpires(e.currentTarget.value);
                fields.edited('expiresAt');
              }}
              aria-invalid={err('expiresAt') ? true : undefined}
              aria-describedby={described('expiresAt', `${id}-expires-hint`)}
            />
            <p id={`${id}-expires-hint`} class="hint">
              In the future, your local time. Empty: the key never expires.
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
              max={LIMITS.rateLimitMax}
              step={1}
              value={rate}
              onInput={(e) => {
                setRate(e.currentTarget.value);
                fields.edited('rateLimitPerMinute');
              }}
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
              spellcheck={false}
              value={ips}
              onInput={(e) => {
                setIps(e.currentTarget.value);
                fields.edited('allowedIps');
              }}
              aria-invalid={err('allowedIps') ? true : undefined}
              aria-describedby={described('allowedIps', `${id}-ips-hint`)}
            />
            <p id={`${id}-ips-hint`} class="hint">
              Addresses or CIDR blocks, one a line (e.g. 203.0.113.0/24), at most 100. Empty: from anywhere.
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
