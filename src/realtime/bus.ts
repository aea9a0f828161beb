// The fleet's events: what one instance commits that the others' open inbox
// streams must hear of. One bus message per send, whatever its recipient
// count; each instance then finds, in one statement, which of the recipients
// it holds streams for the message reached (src/realtime/hub.ts). Carried by
// Redis pub/sub (./redis-bus.ts) or PostgreSQL LISTEN/NOTIFY (./postgres-bus.ts);
// src/topology.ts picks one. Delivery is at most once: a client that missed
// an event resumes its stream with `after`, which replays from the database.

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
  /** Sends to every instance (this one included). Never throws and never waits: a failure is logged by the bus. */
  publish(event: BusEvent): void;
  /** Starts listening; resolves once events published from then on reach `handler`. */
  start(handler: (event: BusEvent) => void): Promise<void>;
  close(): Promise<void>;
}

/** The Redis channel, and the PostgreSQL NOTIFY channel. */
export const BUS_CHANNEL = 'herald_events';

const TYPES = new Set(['message.sent', 'inbox.updated', 'recipient.deleted']);

/** A bus message as sent; null for anything else (another program's message on the channel). */
export function decodeBusEvent(text: string): BusEvent | null {
  try {
    const event = JSON.parse(text) as BusEvent;
    return event && typeof event === 'object' && TYPES.has(event.type) && typeof event.accountId === 'string' ? event : null;
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
