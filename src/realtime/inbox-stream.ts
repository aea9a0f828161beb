// One `subscription { inbox(after) }`: with `after`, every item newer than the
// cursor, oldest first, then live events. It opens once the bus carries its
// account's events to this instance, and joins the hub before it reads the
// replay, so nothing committed in between is missed, and drops the live NEW
// events of items the replay already sent, so nothing comes twice. It ends when
// its token expires, its recipient is deleted, its client goes, or its client
// falls too far behind (the client resumes with the last cursor it got).
//
// The stream is a plain async iterator over a queue rather than a Repeater: a
// send to 10,000 open inboxes hands each its event in one loop, and an idle
// stream holds a few fields, not a Repeater's machinery (the bench's inbox rows).
import type { RecipientCaller } from '../auth/caller.ts';
import { type InboxEvent, inboxCounts, itemsAfter } from '../data/inbox.ts';
import type { Sql } from '../db/sql.ts';
import type { InboxHub, StreamHandle } from './hub.ts';

/** Items read per statement while replaying; the next page waits until the client has taken most of this one. */
const REPLAY_PAGE = 200;
/** Events a client may leave unread before its stream ends (it resumes with its last cursor). */
const MAX_PENDING = 1_000;
/**
 * How long a replayed item's id is remembered to drop its live twin: a bus
 * message takes milliseconds, so an item older than this cannot still be on its way.
 */
const DUPLICATE_WINDOW_MS = 60_000;
/** setTimeout's longest delay. */
const MAX_TIMER_MS = 2 ** 31 - 1;

const DONE: IteratorReturnResult<undefined> = { done: true, value: undefined };

class InboxStream implements AsyncIterableIterator<InboxEvent>, StreamHandle {
  readonly accountId: string;
  readonly recipientId: string;
  private readonly queue: InboxEvent[] = [];
  private waiting: ((result: IteratorResult<InboxEvent>) => void) | null = null;
  /** While replaying, live events wait here (they may repeat replayed items). */
  private early: InboxEvent[] | null = [];
  private replayed: Set<string> | null = null;
  private drained: (() => void) | null = null;
  private ended = false;
  private readonly timers: NodeJS.Timeout[] = [];
  /** Resolves once the account's events reach this instance (the hub follows its bus channel). */
  readonly following: Promise<void>;

  constructor(
    private readonly hub: InboxHub,
    recipient: RecipientCaller,
    /** The cursor's seq, when the stream resumes after one. */
    private readonly after: bigint | undefined,
  ) {
    this.accountId = recipient.accountId;
    this.recipientId = recipient.recipientId;
    this.following = hub.attach(this);
    const untilExpiry = Math.max(0, Math.min(recipient.expiresAt.getTime() - Date.now(), MAX_TIMER_MS));
    this.timers.push(setTimeout(() => this.end(), untilExpiry));
  }

  get closed(): boolean {
    return this.ended;
  }

  /** From the hub: live events. */
  deliver(event: InboxEvent): void {
    // Before it goes live, a stream resumed after a cursor drops the NEW events of items up to the
    // cursor: their bus messages were on their way when it opened, and the client has them.
    if (this.early && this.after !== undefined && event.kind === 'NEW' && event.item && event.item.seq <= this.after) return;
    if (this.early) {
      // A replay this long behind the live events: the client resumes later, from its last cursor.
      if (this.early.length >= MAX_PENDING) this.end();
      else this.early.push(event);
    } else if (!(event.kind === 'NEW' && event.item && this.replayed?.has(event.item.id))) this.enqueue(event);
  }

  /** Queues a replayed item's event; resolves once the client has taken most of what is queued (backpressure). */
  replay(event: InboxEvent): Promise<void> | undefined {
    if (event.item) {
      this.replayed ??= new Set();
      this.replayed.add(event.item.id);
    }
    this.enqueue(event);
    if (this.queue.length < REPLAY_PAGE) return undefined;
    return new Promise((resolve) => {
      this.drained = resolve;
    });
  }

  /** The replay is over: the live events that came meanwhile follow, minus the replay's items. */
  goLive(): void {
    const early = this.early ?? [];
    this.early = null;
    for (const event of early) this.deliver(event);
    if (this.replayed) {
      const forget = setTimeout(() => {
        this.replayed = null;
      }, DUPLICATE_WINDOW_MS);
      forget.unref();
      this.timers.push(forget);
    }
  }

  private enqueue(event: InboxEvent): void {
    if (this.ended) return;
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = null;
      resolve({ done: false, value: event });
      return;
    }
    if (this.queue.length >= MAX_PENDING) {
      this.end();
      return;
    }
    this.queue.push(event);
  }

  next(): Promise<IteratorResult<InboxEvent>> {
    const event = this.queue.shift();
    if (this.drained && this.queue.length <= REPLAY_PAGE / 4) {
      const resume = this.drained;
      this.drained = null;
      resume();
    }
    if (event) return Promise.resolve({ done: false, value: event });
    if (this.ended) return Promise.resolve(DONE);
    return new Promise((resolve) => {
      this.waiting = resolve;
    });
  }

  /** The client went away (or the transport closes the stream). */
  return(): Promise<IteratorResult<InboxEvent>> {
    this.end();
    return Promise.resolve(DONE);
  }

  /** Ends the stream: what is queued is dropped, a waiting client is told it is over. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.queue.length = 0;
    this.early = null;
    for (const timer of this.timers) clearTimeout(timer);
    this.hub.detach(this);
    this.drained?.();
    this.drained = null;
    const resolve = this.waiting;
    this.waiting = null;
    resolve?.(DONE);
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<InboxEvent> {
    return this;
  }
}

/**
 * Opens the stream; refused (by the hub's limits) before anything opens. It is
 * open once its account's events reach this instance; the replay, if any, runs behind it.
 */
export async function openInboxStream(
  hub: InboxHub,
  sql: Sql,
  recipient: RecipientCaller,
  after: bigint | undefined,
): Promise<AsyncIterableIterator<InboxEvent>> {
  hub.admit(recipient.recipientId);
  const stream = new InboxStream(hub, recipient, after);
  await stream.following;
  if (after === undefined) {
    stream.goLive();
    return stream;
  }
  // The replay outlives the request that opened the stream: its statements (`sql` has no scope) are
  // bounded by the connections' own timeouts, not by that request's deadline.
  void (async () => {
    const counts = await inboxCounts(sql, recipient.recipientId);
    for (let cursor = after; !stream.closed; ) {
      const page = await itemsAfter(sql, recipient, cursor, REPLAY_PAGE);
      for (const item of page) await stream.replay({ kind: 'NEW', item, unreadCount: counts.unreadCount, unseenCount: counts.unseenCount });
      if (page.length < REPLAY_PAGE) break;
      cursor = page[page.length - 1].seq;
    }
    stream.goLive();
  })().catch((error: unknown) => {
    // The client resumes with the last cursor it got once the database answers again.
    hub.onError(error);
    stream.end();
  });
  return stream;
}
