// Dates, numbers and people for people: "3 minutes ago" (Intl.RelativeTimeFormat), the exact time on hover.
const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
const exact = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const day = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });
const numbers = new Intl.NumberFormat();
const clock = new Intl.DateTimeFormat(undefined, { timeStyle: 'medium' });
// Usage days are UTC dates ("2026-11-29"): shown as such, whatever the viewer's time zone.
const utcDay = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', timeZone: 'UTC' });
const utcWeekday = new Intl.DateTimeFormat(undefined, { weekday: 'short', month: 'short', day: 'numeric', timeZone: 'UTC' });

const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['year', 365 * 86_400_000],
  ['month', 30 * 86_400_000],
  ['week', 7 * 86_400_000],
  ['day', 86_400_000],
  ['hour', 3_600_000],
  ['minute', 60_000],
];

export function fromNow(iso: string, now = Date.now()): string {
  const diff = new Date(iso).getTime() - now;
  for (const [unit, ms] of UNITS) {
    if (Math.abs(diff) >= ms) return relative.format(Math.round(diff / ms), unit);
  }
  return relative.format(Math.round(diff / 1000) || 0, 'second');
}

export const exactTime = (iso: string) => exact.format(new Date(iso));
export const calendarDay = (iso: string) => day.format(new Date(iso));
/** "12:01:03 PM": when a live event came. */
export const clockTime = (at: number) => clock.format(at);
export const count = (n: number) => numbers.format(n);
/** "3 requests", "1 message": English plurals for the page's own nouns. */
export const counted = (n: number, noun: string) => `${numbers.format(n)} ${noun}${n === 1 ? '' : 's'}`;
export const shortDay = (utcDate: string) => utcDay.format(new Date(`${utcDate}T00:00:00Z`));
export const longDay = (utcDate: string) => utcWeekday.format(new Date(`${utcDate}T00:00:00Z`));

/** How the page names a member: the name claim, else the email claim, else the token's subject. */
export interface MemberNames {
  subject: string;
  email?: string | null;
  name?: string | null;
}
export const memberName = (member: MemberNames) => member.name ?? member.email ?? member.subject;

/** <input type="datetime-local"> value (local time) for an ISO instant, and back. */
export function toLocalInput(iso: string | null | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export const fromLocalInput = (value: string): string | null => (value ? new Date(value).toISOString() : null);
