import { isWellFormedSecret, looksLikeApiKey } from './api-keys.ts';

/** What an Authorization header carries, before anything is looked up. */
export type Credentials =
  | { kind: 'none' }
  /** Not `Bearer <token>`, or a key that fails its checksum: refused without database work. */
  | { kind: 'malformed'; token: string | null }
  | { kind: 'key'; secret: string }
  | { kind: 'member'; token: string };

export function parseAuthorization(header: string | null): Credentials {
  if (header === null) return { kind: 'none' };
  const token = /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1] ?? null;
  if (token === null) return { kind: 'malformed', token: null };
  if (!looksLikeApiKey(token)) return { kind: 'member', token };
  return isWellFormedSecret(token) ? { kind: 'key', secret: token } : { kind: 'malformed', token };
}
