// What an endpoint receives: { "type", "timestamp", "data" }, the same body on
// every try of an event.

export type WebhookEventType = 'MESSAGE_SENT' | 'INBOX_ITEM_READ';

export const EVENT_NAMES: Record<WebhookEventType, string> = {
  MESSAGE_SENT: 'message.sent',
  INBOX_ITEM_READ: 'inbox.item.read',
};

export interface MessageSentData {
  id: string;
  title: string;
  body: string;
  data: Record<string, unknown> | null;
  channels: string[];
  recipientCount: number;
}

export interface InboxItemReadData {
  messageId: string;
  externalId: string;
  readAt: string;
}

export function eventBody(type: WebhookEventType, occurredAt: Date, data: unknown): string {
  return JSON.stringify({ type: EVENT_NAMES[type], timestamp: occurredAt.toISOString(), data });
}

/** The data of a test event ("Send test event"): shaped as the real one, plainly an example. */
export function exampleData(type: WebhookEventType, at: Date): MessageSentData | InboxItemReadData {
  const messageId = '00000000-0000-4000-8000-000000000000';
  if (type === 'MESSAGE_SENT') {
    return {
      id: messageId,
      title: 'Test event',
      body: 'A test event sent from Herald: no message was sent.',
      data: { test: true },
      channels: [],
      recipientCount: 0,
    };
  }
  return { messageId, externalId: 'test-recipient', readAt: at.toISOString() };
}
