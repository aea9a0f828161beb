import { isWellFormedSecret, looksLikeApiKey } from './api-keys.ts';
import { isRecipientToken } from './recipient-tokens.ts';

/** What an Authorization header carries, before anything is looked up. */
export type Credentials =
  | { kind: 'none' }
  /** Not `Bearer <token>`, or a key that fails its checksum: refused without database work. */
  | { kind: 'malformed'; token: string | null }
  | { kind: 'key'; secret: string }
  | { kind: 'member'; token: string }
  | { kind: 'recipient'; token: string };

export function parseAuthorization(header: string | null | undefined): Credentials {
  if (header == null) return { kind: 'none' };
  const token = /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1] ?? null;
  if (token === null) return { kind: 'malformed', token: null };
  if (looksLikeApiKey(token)) return isWellFormedSecret(token) ? { kind: 'key', secret: token } : { kind: 'malformed', token };
  return isRecipientToken(token) ? { kind: 'recipient', token } : { kind: 'member', token };
}
