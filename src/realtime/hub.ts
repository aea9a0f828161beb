// This instance's open inbox streams, and what the fleet's events mean for
// them. The hub follows the bus channel of every account it holds a stream (or
// a recipient's connection) of, for as long as it does. A send is one bus
// message: the hub asks, in one statement, which of the recipients it holds
// streams for the message reached (with their counts), reads the message once,
// and hands each stream its NEW event. Events are handled one at a time, in the
// order the bus delivered them.

import { existingRecipients, type InboxEvent, itemsByIds, messageItem, reachedAmong } from '../data/inbox.ts';
import type { Sql } from '../db/sql.ts';
import { RateLimitedError, ServiceUnavailableError } from '../errors.ts';
import type { Bus, BusEvent } from './bus.ts';

/** One open stream, as the hub sees it. */
export interface StreamHandle {
  accountId: string;
  recipientId: string;
  deliver(event: InboxEvent): void;
  /** Ends the stream (its recipient was deleted, or the server stops). */
  end(): void;
}

export interface StreamLimits {
  /** Open streams one recipient may hold on one instance. */
  perRecipient: number;
  /** Open streams on one instance. */
  perInstance: number;
}

/** How often the hub checks that the recipients it holds streams for still exist (a deletion whose bus message was lost). */
const SWEEP_MS = 4_000;

export class InboxHub {
  private readonly byRecipient = new Map<string, Set<StreamHandle>>();
  /** Recipients with open streams, by account: a send to an account this instance holds no stream of costs nothing. */
  private readonly byAccount = new Map<string, Set<string>>();
  /** Told when a recipient is deleted: a WebSocket connection of its closes, with or without streams. */
  private readonly watchers = new Map<string, Set<() => void>>();
  /** The accounts whose bus channel this instance follows: how many streams and watchers hold each. */
  private readonly following = new Map<string, { holders: number; ready: Promise<void> }>();
  private open = 0;
  private queue: Promise<void> = Promise.resolve();
  private sweeper: NodeJS.Timeout | undefined;

  constructor(
    private readonly sql: Sql,
    private readonly bus: Pick<Bus, 'follow' | 'unfollow'>,
    readonly limits: StreamLimits,
    /** Logs a failure of the hub or of a stream's replay (throttled by the topology). */
    readonly onError: (error: unknown) => void,
  ) {}

  /** Open streams on this instance. */
  get size(): number {
    return this.open;
  }

  /** Refuses a new stream over the limits, before it opens. */
  admit(recipientId: string): void {
    if (this.open >= this.limits.perInstance) {
      throw new ServiceUnavailableError(
        'overloaded',
        `This instance holds its limit of ${this.limits.perInstance} open inbox streams: try again.`,
        5,
      );
    }
    if ((this.byRecipient.get(recipientId)?.size ?? 0) >= this.limits.perRecipient) {
      throw new RateLimitedError(
        5,
        `This recipient has ${this.limits.perRecipient} open inbox streams on this server, its limit: close one before opening another.`,
      );
    }
  }

  /** Resolves once the events of the stream's account reach this instance (see Bus.follow). */
  attach(handle: StreamHandle): Promise<void> {
    let streams = this.byRecipient.get(handle.recipientId);
    if (!streams) {
      streams = new Set();
      this.byRecipient.set(handle.recipientId, streams);
      let recipients = this.byAccount.get(handle.accountId);
      if (!recipients) {
        recipients = new Set();
        this.byAccount.set(handle.accountId, recipients);
      }
      recipients.add(handle.recipientId);
    }
    if (streams.has(handle)) return this.following.get(handle.accountId)?.ready ?? Promise.resolve();
    this.open += 1;
    streams.add(handle);
    return this.follow(handle.accountId);
  }

  detach(handle: StreamHandle): void {
    const streams = this.byRecipient.get(handle.recipientId);
    if (!streams?.delete(handle)) return;
    this.open -= 1;
    this.unfollow(handle.accountId);
    if (streams.size > 0) return;
    this.byRecipient.delete(handle.recipientId);
    const recipients = this.byAccount.get(handle.accountId);
    recipients?.delete(handle.recipientId);
    if (recipients?.size === 0) this.byAccount.delete(handle.accountId);
  }

  /** Calls `onDeleted` once if the recipient is deleted (seen on the bus, or by the sweep); returns the way to stop watching. */
  watch(accountId: string, recipientId: string, onDeleted: () => void): () => void {
    let watchers = this.watchers.get(recipientId);
    if (!watchers) {
      watchers = new Set();
      this.watchers.set(recipientId, watchers);
    }
    watchers.add(onDeleted);
    void this.follow(accountId);
    let watching = true;
    return () => {
      if (!watching) return;
      watching = false;
      this.unfollow(accountId);
      watchers.delete(onDeleted);
      if (watchers.size === 0 && this.watchers.get(recipientId) === watchers) this.watchers.delete(recipientId);
    };
  }

  private follow(accountId: string): Promise<void> {
    let account = this.following.get(accountId);
    if (!account) {
      account = { holders: 0, ready: this.bus.follow(accountId) };
      this.following.set(accountId, account);
    }
    account.holders += 1;
    return account.ready;
  }

  private unfollow(accountId: string): void {
    const account = this.following.get(accountId);
    if (!account) return;
    account.holders -= 1;
    if (account.holders > 0) return;
    this.following.delete(accountId);
    this.bus.unfollow(accountId);
  }

  /** The bus's handler: events are handled in turn, so a recipient's events keep their order. */
  readonly handle = (event: BusEvent): void => {
    this.queue = this.queue.then(() => this.dispatch(event)).catch(this.onError);
  };

  /** Resolves once every event received so far has been handed to its streams. */
  settled(): Promise<void> {
    return this.queue;
  }

  private async dispatch(event: BusEvent): Promise<void> {
    switch (event.type) {
      case 'message.sent': {
        const recipients = this.byAccount.get(event.accountId);
        if (!recipients?.size) return;
        const [reached, message] = await Promise.all([
          reachedAmong(this.sql, event.messageId, [...recipients]),
          messageItem(this.sql, event.messageId),
        ]);
        if (!message) return;
        // A new item is the same for every recipient (nothing seen or read yet): one object for all.
        const item = { ...message, seenAt: null, readAt: null, archivedAt: null };
        for (const { recipientId, unreadCount, unseenCount } of reached) {
          const streams = this.byRecipient.get(recipientId);
          if (!streams) continue;
          const event = { kind: 'NEW' as const, item, unreadCount, unseenCount };
          for (const stream of streams) stream.deliver(event);
        }
        return;
      }
      case 'inbox.updated': {
        const streams = this.byRecipient.get(event.recipientId);
        if (!streams?.size) return;
        const { unreadCount, unseenCount } = event;
        const items = event.messageIds ? await itemsByIds(this.sql, event, event.messageIds) : [null];
        for (const item of items) for (const stream of streams) stream.deliver({ kind: 'UPDATED', item, unreadCount, unseenCount });
        return;
      }
      case 'recipient.deleted':
        this.deleted(event.recipientId);
        return;
    }
  }

  private endStreamsOf(recipientId: string): void {
    for (const stream of [...(this.byRecipient.get(recipientId) ?? [])]) {
      this.detach(stream);
      stream.end();
    }
  }

  private deleted(recipientId: string): void {
    this.endStreamsOf(recipientId);
    const watchers = this.watchers.get(recipientId);
    this.watchers.delete(recipientId);
    for (const onDeleted of watchers ?? []) onDeleted();
  }

  /** A deleted recipient's streams (and connections) end within SWEEP_MS even when the bus lost the deletion. */
  private async sweep(): Promise<void> {
    const ids = [...new Set([...this.byRecipient.keys(), ...this.watchers.keys()])];
    if (ids.length === 0) return;
    const existing = await existingRecipients(this.sql, ids);
    for (const id of ids) if (!existing.has(id)) this.deleted(id);
  }

  start(): void {
    this.sweeper = setInterval(() => void this.sweep().catch(this.onError), SWEEP_MS);
    this.sweeper.unref();
  }

  /** Ends every stream (the server stops). */
  close(): void {
    clearInterval(this.sweeper);
    for (const id of [...this.byRecipient.keys()]) this.endStreamsOf(id);
  }
}
