// A key's last 30 days (UTC), oldest on the left: requests (the refused ones
// in red), messages sent and recipients reached, each row on its own scale
// with its maximum beside it. A day's numbers show on hover and on keyboard
// focus (one tab stop; arrow keys, Home and End move between days).
import { useRef, useState } from 'preact/hooks';
import { count, counted, longDay, shortDay } from './format.ts';
import type { DashboardApiKeysQuery } from './generated/graphql.ts';

type UsageDay = DashboardApiKeysQuery['apiKeys'][number]['usage'][number];
type Totals = Omit<UsageDay, 'day'>;

export const USAGE_DAYS = 30;

const SERIES = [
  { key: 'requests', label: 'Requests' },
  { key: 'messages', label: 'Messages' },
  { key: 'recipients', label: 'Recipients' },
] as const;

/** The last `days` UTC days, oldest first, with zeros for the days without use. */
export function lastDays(usage: readonly UsageDay[], days = USAGE_DAYS, now = new Date()): UsageDay[] {
  const byDay = new Map(usage.map((u) => [u.day, u]));
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  return Array.from({ length: days }, (_, i) => {
    const day = new Date(today - (days - 1 - i) * 86_400_000).toISOString().slice(0, 10);
    return byDay.get(day) ?? { day, requests: 0, messages: 0, recipients: 0, refused: 0 };
  });
}

/** "40 requests (2 refused), 3 messages, 120 recipients" */
export function describeUsage(u: Totals): string {
  const refused = u.refused ? ` (${count(u.refused)} refused)` : '';
  return `${counted(u.requests, 'request')}${refused}, ${counted(u.messages, 'message')}, ${counted(u.recipients, 'recipient')}`;
}

const height = (value: number, max: number) => (value > 0 ? `${Math.max(8, (value / max) * 100)}%` : '0');

export function UsageChart({ usage }: { usage: readonly UsageDay[] }) {
  const days = lastDays(usage);
  const totals = days.reduce<Totals>(
    (sum, d) => ({
      requests: sum.requests + d.requests,
      messages: sum.messages + d.messages,
      recipients: sum.recipients + d.recipients,
      refused: sum.refused + d.refused,
    }),
    { requests: 0, messages: 0, recipients: 0, refused: 0 },
  );
  const max = Object.fromEntries(SERIES.map(({ key }) => [key, Math.max(0, ...days.map((d) => d[key]))])) as Record<
    (typeof SERIES)[number]['key'],
    number
  >;
  // The day that takes the tab stop (today at first), the one under the pointer, the one focused.
  const [stop, setStop] = useState(days.length - 1);
  const [hovered, setHovered] = useState<number | null>(null);
  const [focused, setFocused] = useState<number | null>(null);
  const strip = useRef<HTMLDivElement>(null);
  const shown = hovered ?? focused;

  const move = (event: KeyboardEvent) => {
    const to = { ArrowLeft: stop - 1, ArrowRight: stop + 1, Home: 0, End: days.length - 1 }[event.key];
    if (to === undefined) return;
    event.preventDefault();
    const next = Math.min(days.length - 1, Math.max(0, to));
    setStop(next);
    (strip.current?.children[next] as HTMLElement | undefined)?.focus();
  };

  return (
    <figure class="usage" aria-label={`Usage in the last 30 days: ${describeUsage(totals)}`}>
      <div class="usage-plot">
        <div class="usage-labels" aria-hidden="true">
          {SERIES.map(({ key, label }) => (
            <span key={key} class={`usage-label ${key}`}>
              {label}
            </span>
          ))}
        </div>
        {/* biome-ignore lint/a11y/noStaticElementInteractions: the arrow keys move the focus between the days, which are focusable images. */}
        <div class="usage-days" ref={strip} onKeyDown={move} onPointerLeave={() => setHovered(null)}>
          {days.map((d, i) => (
            <div
              key={d.day}
              class={`usage-day${i === shown ? ' shown' : ''}`}
              role="img"
              aria-label={`${longDay(d.day)}: ${describeUsage(d)}`}
              tabIndex={i === stop ? 0 : -1}
              onFocus={() => {
                setStop(i);
                setFocused(i);
              }}
              onBlur={() => setFocused(null)}
              onPointerEnter={() => setHovered(i)}
            >
              {SERIES.map(({ key }) => (
                <span key={key} class={`usage-cell ${key}`}>
                  <span class="usage-bar" style={{ height: height(d[key], max[key]) }}>
                    {key === 'requests' && d.refused > 0 && (
                      <span class="usage-refused" style={{ height: `max(2px, ${(d.refused / d.requests) * 100}%)` }} />
                    )}
                  </span>
                </span>
              ))}
            </div>
          ))}
        </div>
        <div class="usage-max" aria-hidden="true">
          {SERIES.map(({ key }) => (
            <span key={key} title={`Highest day: ${count(max[key])}`}>
              {count(max[key])}
            </span>
          ))}
        </div>
        <div class="usage-axis" aria-hidden="true">
          <span>{shortDay(days[0].day)}</span>
          <span>{shortDay(days[days.length - 1].day)}</span>
        </div>
      </div>
      <p class="usage-readout" aria-hidden="true">
        <strong>{shown === null ? '30 days' : longDay(days[shown].day)}</strong> {describeUsage(shown === null ? totals : days[shown])}
      </p>
    </figure>
  );
}
