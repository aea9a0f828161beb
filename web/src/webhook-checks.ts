// A webhook endpoint's fields checked in the page as the server checks them
// (src/webhooks/address-policy.ts's checkUrlForm, the description's limit, at
// least one event), before any request. Whether a host is, or resolves to, a
// loopback, private or metadata address only the server can say (it asks DNS):
// its refusal shows beside the URL, in its words.
import type { WebhookEventType } from './generated/graphql.ts';

export const WEBHOOK_LIMITS = { url: 2048, description: 500 } as const;

/** Whether this server takes http:// URLs (outside production, or with WEBHOOK_ALLOW_PRIVATE_NETWORKS): it says so on the page's <body>. */
export const serverTakesHttp = () => document.body.hasAttribute('data-webhook-http');

type Problem = string | null;

export function checkWebhookUrl(value: string, httpAllowed: boolean): Problem {
  const text = value.trim();
  if (!text) return "Enter the endpoint's URL, e.g. https://example.com/webhooks/herald.";
  if (text.length > WEBHOOK_LIMITS.url) return `At most ${WEBHOOK_LIMITS.url} characters (this one has ${text.length}).`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'Enter a full URL, starting with https://, e.g. https://example.com/webhooks/herald.';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'The URL must start with https://.';
  if (url.protocol === 'http:' && !httpAllowed) return 'The URL must start with https://: this server sends webhooks over https only.';
  if (url.username || url.password) return 'Remove the user name and password from the URL: Herald signs each request instead.';
  if (!url.hostname) return 'The URL has no host.';
  return null;
}

// Unicode category Cc, as the server refuses it.
const CONTROL = /[\u0000-\u001F\u007F-\u009F]/u;

/** Optional, one line of at most 500 characters. */
export function checkDescription(value: string): Problem {
  if (CONTROL.test(value.trim())) return 'Remove the control characters (line breaks, tabs and the like).';
  const n = [...value.trim()].length;
  return n > WEBHOOK_LIMITS.description ? `At most ${WEBHOOK_LIMITS.description} characters (this one has ${n}).` : null;
}

export function checkEvents(events: readonly WebhookEventType[]): Problem {
  return events.length === 0 ? 'Choose at least one event.' : null;
}

export function checkChannelFilter(filtered: boolean, selected: readonly string[]): Problem {
  return filtered && selected.length === 0 ? 'Choose at least one channel, or Every message.' : null;
}

/** The events as they are named on the wire (the body's "type"), with what each carries. */
export const EVENTS: { type: WebhookEventType; name: string; hint: string }[] = [
  { type: 'MESSAGE_SENT', name: 'message.sent', hint: 'One per message: its title, body, data, channels and recipient count.' },
  { type: 'INBOX_ITEM_READ', name: 'inbox.item.read', hint: "A recipient read a message: the message id, the recipient's externalId." },
];

export const eventName = (type: WebhookEventType) => EVENTS.find((e) => e.type === type)?.name ?? type;
