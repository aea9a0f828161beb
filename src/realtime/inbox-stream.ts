// One `subscription { inbox(after) }`: with `after`, every item newer than the
// cursor, oldest first, then live events. It joins the hub before it reads the
// replay, so nothing committed in between is missed, and drops the live NEW
// events of items the replay already sent, so nothing comes twice. It ends when
// its token expires, its recipient is deleted, or its client falls too far behind
// (the client resumes with the last cursor it got).
import { Repeater } from 'graphql-yoga';
import type { RecipientCaller } from '../auth/caller.ts';
import { type InboxEvent, inboxCounts, itemsAfter } from '../data/inbox.ts';
import type { Sql } from '../db/sql.ts';
import type { InboxHub, StreamHandle } from './hub.ts';

/** Items read per statement while replaying. */
const REPLAY_PAGE = 200;
/** Events a client may leave unread before its stream ends (Repeater refuses more than 1,024). */
const MAX_PENDING = 500;
/**
 * How long a replayed item's id is remembered to drop its live twin: a bus
 * message takes milliseconds, so an item older than this cannot still be on its way.
 */
const DUPLICATE_WINDOW_MS = 60_000;
/** setTimeout's longest delay. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export function openInboxStream(hub: InboxHub, sql: Sql, recipient: RecipientCaller, after: bigint | undefined): AsyncIterable<InboxEvent> {
  hub.admit(recipient.recipientId);
  return new Repeater<InboxEvent>(async (push, stop) => {
    let stopped = false;
    void stop.then(() => {
      stopped = true;
    });
    let live = false;
    const early: InboxEvent[] = [];
    const replayed = new Map<string, number>();
    let pending = 0;
    const send = (event: InboxEvent) => {
      if (pending >= MAX_PENDING) {
        stop();
        return;
      }
      pending += 1;
      push(event).then(
        () => {
          pending -= 1;
        },
        () => {},
      );
    };
    const handle: StreamHandle = {
      accountId: recipient.accountId,
      recipientId: recipient.recipientId,
      deliver(event) {
        if (!live) early.push(event);
        else if (!(event.kind === 'NEW' && event.item && replayed.has(event.item.id))) send(event);
      },
      end: () => stop(),
    };
    hub.attach(handle);
    const expiry = setTimeout(() => stop(), Math.max(0, Math.min(recipient.expiresAt.getTime() - Date.now(), MAX_TIMER_MS)));
    let forget: NodeJS.Timeout | undefined;
    try {
      if (after !== undefined) {
        const counts = await inboxCounts(sql, recipient.recipientId);
        const recent = Date.now() - DUPLICATE_WINDOW_MS;
        for (let cursor = after; !stopped; ) {
          const page = await itemsAfter(sql, recipient, cursor, REPLAY_PAGE);
          for (const item of page) {
            if (stopped) break;
            if (item.createdAt.getTime() > recent) replayed.set(item.id, item.createdAt.getTime());
            await push({ kind: 'NEW', item, unreadCount: counts.unreadCount, unseenCount: counts.unseenCount });
          }
          if (page.length < REPLAY_PAGE) break;
          cursor = page[page.length - 1].seq;
        }
      }
      live = true;
      for (const event of early.splice(0)) handle.deliver(event);
      forget = setTimeout(() => replayed.clear(), DUPLICATE_WINDOW_MS);
      await stop;
    } finally {
      clearTimeout(expiry);
      clearTimeout(forget);
      hub.detach(handle);
    }
  });
}
