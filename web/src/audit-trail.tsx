// A key's audit trail for people: who did what, when ("3 minutes ago", the
// exact time on hover), each change as "field: before → after".
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { request } from './api.ts';
import { Dialog } from './dialog.tsx';
import { ChannelChips, Member, Time } from './display.tsx';
import { DashboardAuditEvents } from './documents.ts';
import { count, exactTime } from './format.ts';
import type { DashboardAuditEventsQuery } from './generated/graphql.ts';

type Event = DashboardAuditEventsQuery['auditEvents']['edges'][number]['node'];

const ACTIONS: Record<string, string> = {
  API_KEY_CREATED: 'Created',
  API_KEY_UPDATED: 'Edited',
  API_KEY_ROLLED: 'Rolled',
  API_KEY_REVOKED: 'Revoked',
  CHANNEL_CREATED: 'Channel created',
  RECIPIENT_CREATED: 'Recipient created',
};

const None = ({ children }: { children: ComponentChildren }) => <span class="muted">{children}</span>;

function At({ value }: { value: unknown }) {
  return typeof value === 'string' ? <time dateTime={value}>{exactTime(value)}</time> : <None>none</None>;
}

function Codes({ values, empty }: { values: unknown; empty: string }) {
  const list = Array.isArray(values) ? values.map(String) : [];
  if (list.length === 0) return <None>{empty}</None>;
  return (
    <span class="codes">
      {list.map((v) => (
        <code key={v}>{v}</code>
      ))}
    </span>
  );
}

function Scope({ value }: { value: unknown }) {
  const scope = value as { kind?: string; channels?: string[] } | null;
  if (!scope) return <None>none</None>;
  if (scope.kind === 'ALL') return <span>All Recipients</span>;
  return <ChannelChips slugs={(scope.channels ?? []).map((slug) => ({ slug }))} />;
}

/** How each recorded field reads, and how its values show. */
const FIELDS: Record<string, { label: string; show: (value: unknown) => ComponentChildren }> = {
  name: { label: 'Name', show: (v) => (typeof v === 'string' ? `“${v}”` : <None>none</None>) },
  scope: { label: 'Scope', show: (v) => <Scope value={v} /> },
  prefix: { label: 'Prefix', show: (v) => (typeof v === 'string' ? <code>{v}…</code> : <None>none</None>) },
  expiresAt: { label: 'Expires', show: (v) => (v ? <At value={v} /> : <None>never</None>) },
  rateLimitPerMinute: {
    label: 'Rate limit',
    show: (v) => (typeof v === 'number' ? `${count(v)} requests a minute` : <None>the server's default</None>),
  },
  allowedIps: { label: 'Allowed IPs', show: (v) => <Codes values={v} empty="anywhere" /> },
  previousSecretExpiresAt: { label: 'Previous secret works until', show: (v) => (v ? <At value={v} /> : <None>no previous secret</None>) },
  revokedAt: { label: 'Revoked', show: (v) => (v ? <At value={v} /> : <None>no</None>) },
  externalId: { label: 'External ID', show: (v) => <code>{String(v)}</code> },
  slug: { label: 'Slug', show: (v) => <code>{String(v)}</code> },
  channels: {
    label: 'Channels',
    show: (v) => <ChannelChips slugs={(Array.isArray(v) ? v : []).map((slug) => ({ slug: String(slug) }))} />,
  },
};

/** "field: before → after"; a creation shows only what was set. */
function Change({ field, change, created }: { field: string; change: unknown; created: boolean }) {
  const known = FIELDS[field];
  const label = known?.label ?? field;
  const show = known?.show ?? ((v: unknown) => (v === null || v === undefined ? <None>none</None> : <code>{JSON.stringify(v)}</code>));
  const { before, after } =
    change && typeof change === 'object' && 'after' in change ? (change as { before?: unknown; after?: unknown }) : { after: change };
  return (
    <li>
      <span class="field-name">{label}:</span>{' '}
      {!created && (
        <>
          <span class="before">{show(before)}</span> <span class="arrow">→</span>{' '}
        </>
      )}
      <span class="after">{show(after)}</span>
    </li>
  );
}

export function AuditDialog({ apiKey, onClose }: { apiKey: { id: string; name: string }; onClose: () => void }) {
  const [events, setEvents] = useState<Event[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    request(DashboardAuditEvents, { apiKeyId: apiKey.id })
      .then((data) => setEvents(data.auditEvents.edges.map((e) => e.node)))
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
          {events.map((event) => (
            <li key={event.id}>
              <p class="audit-head">
                <span>
                  <strong>{ACTIONS[event.action] ?? event.action}</strong>{' '}
                  <span class="muted">by {event.member ? <Member member={event.member} detail /> : 'an API key'}</span>
                </span>
                <Time iso={event.at} />
              </p>
              {event.changes && Object.keys(event.changes).length > 0 && (
                <ul class="changes">
                  {Object.entries(event.changes).map(([field, change]) => (
                    <Change key={field} field={field} change={change} created={event.action.endsWith('_CREATED')} />
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
