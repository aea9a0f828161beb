// The fleet's events: what one instance commits that the others' open inbox
// streams must hear of. One bus message per send, whatever its recipient
// count; each instance then finds, in one statement, which of the recipients
// it holds streams for the message reached (src/realtime/hub.ts). Carried by
// Redis pub/sub (./redis-bus.ts) or PostgreSQL LISTEN/NOTIFY (./postgres-bus.ts);
// src/topology.ts picks one. An account's events go to a channel of its own,
// which an instance follows only while it holds streams of that account: a
// send reaches the instances that have someone to tell, not the whole fleet
// (and not its own instance, which has no one most of the time). Delivery is
// at most once: a client that missed an event resumes its stream with `after`,
// which replays from the database.

import { setTimeout as sleep } from 'node:timers/promises';

export type BusEvent =
  | { type: 'message.sent'; accountId: string; messageId: string; seq: string }
  | {
      type: 'inbox.updated';
      accountId: string;
      recipientId: string;
      /** The items that changed; null when many did at once (the client refetches). */
      messageIds: string[] | null;
      unreadCount: number;
      unseenCount: number;
    }
  | { type: 'recipient.deleted'; accountId: string; recipientId: string };

export interface Bus {
  /** Sends to every instance that follows the event's account (this one included). Never throws and never waits: a failure is logged by the bus. */
  publish(event: BusEvent): void;
  /** Connects; the events of the accounts followed from then on reach `handler`. */
  start(handler: (event: BusEvent) => void): Promise<void>;
  /**
   * Follows an account's channel: resolves once its events published from then
   * on reach the handler, or after FOLLOW_WAIT_MS when the bus does not answer
   * (its events then arrive once it does). Not counted: the hub follows an
   * account once, however many streams it holds of it.
   */
  follow(accountId: string): Promise<void>;
  unfollow(accountId: string): void;
  close(): Promise<void>;
}

/** How long following an account waits for the bus before the stream opens anyway. */
const FOLLOW_WAIT_MS = 2_000;

/** Waits for the bus's answer at most FOLLOW_WAIT_MS (it then catches up by itself); never rejects. */
export function withinFollowWait(answer: Promise<unknown>): Promise<void> {
  answer.catch(() => {});
  return Promise.race([answer.then(() => {}), sleep(FOLLOW_WAIT_MS, undefined, { ref: false })]).catch(() => {});
}

/** An account's Redis channel, and its PostgreSQL NOTIFY channel. */
export const busChannel = (accountId: string) => `herald_events:${accountId}`;

const TYPES = new Set(['message.sent', 'inbox.updated', 'recipient.deleted']);

/** A bus message as sent on its account's channel; null for anything else (another program's message on a channel). */
export function decodeBusEvent(channel: string, text: string): BusEvent | null {
  try {
    const event = JSON.parse(text) as BusEvent;
    return event &&
      typeof event === 'object' &&
      TYPES.has(event.type) &&
      typeof event.accountId === 'string' &&
      channel === busChannel(event.accountId)
      ? event
      : null;
  } catch {
    return null;
  }
}

/** One log line when publishing starts failing and one when it works again, not one per event. */
export function outageReporter(onOutage: (error: unknown) => void, onRecovery: () => void) {
  let failing = false;
  return {
    failed(error: unknown) {
      if (failing) return;
      failing = true;
      onOutage(error);
    },
    succeeded() {
      if (!failing) return;
      failing = false;
      onRecovery();
    },
  };
}
