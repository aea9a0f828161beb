// Small pieces the pages share: a relative time with the exact one on hover, a member by name, channel chips,
// a table cell that labels itself when the table is laid out as cards.
import type { ComponentChildren } from 'preact';
import { exactTime, fromNow, type MemberNames, memberName } from './format.ts';

export function Time({ iso }: { iso: string }) {
  return (
    <time dateTime={iso} title={exactTime(iso)}>
      {fromNow(iso)}
    </time>
  );
}

/** A member by name (or email, or subject); `detail` adds the email when a name is shown. */
export function Member({ member, detail }: { member: MemberNames; detail?: boolean }) {
  const name = memberName(member);
  const email = member.name && member.email;
  return (
    <span class="member" title={member.email ?? member.subject}>
      {name}
      {detail && email && <span class="muted"> ({email})</span>}
    </span>
  );
}

export function ChannelChips({ slugs, label = 'Channels' }: { slugs: readonly { slug: string; name?: string }[]; label?: string }) {
  return (
    <ul class="chips" aria-label={label}>
      {slugs.map((c) => (
        <li key={c.slug} class="chip" title={c.name}>
          {c.slug}
        </li>
      ))}
    </ul>
  );
}

/** A cell with its column's name, shown only when the table is laid out as cards (narrow screens). */
export function LabelledCell<Label extends string>({
  label,
  class: className,
  children,
}: {
  label: Label;
  class?: string;
  children: ComponentChildren;
}) {
  return (
    <td class={className}>
      <span class="cell-label" aria-hidden="true">
        {label}
      </span>
      <div class="cell-value">{children}</div>
    </td>
  );
}
