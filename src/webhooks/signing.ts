// Standard Webhooks signatures: `v1,<base64 HMAC-SHA256 of id.timestamp.body>`
// with a `whsec_` secret, made by the standardwebhooks package itself; during
// a roll's grace, one signature per secret, space-separated.
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';

/** A new signing secret: whsec_ and the base64 of 24 random bytes (192 bits), as standardwebhooks reads them. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`;
}

// A Webhook decodes its secret once; a delivery signs with the same few secrets again and again.
const signers = new Map<string, Webhook>();
const MAX_SIGNERS = 1_000;

function signer(secret: string): Webhook {
  let found = signers.get(secret);
  if (!found) {
    if (signers.size >= MAX_SIGNERS) signers.delete(signers.keys().next().value as string);
    found = new Webhook(secret);
    signers.set(secret, found);
  }
  return found;
}

/** The headers of one try: webhook-id, webhook-timestamp (this try's, in seconds) and webhook-signature. */
export function signedHeaders(secrets: readonly string[], eventId: string, at: Date, body: string): Record<string, string> {
  const timestamp = new Date(Math.floor(at.getTime() / 1000) * 1000);
  return {
    'webhook-id': eventId,
    'webhook-timestamp': String(timestamp.getTime() / 1000),
    'webhook-signature': secrets.map((secret) => signer(secret).sign(eventId, timestamp, body)).join(' '),
  };
}
