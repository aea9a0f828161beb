// API-key secrets: `hrld_` + 32 random base62 characters (190 bits) + a 6-character
// CRC-32 checksum. The prefix lets secret scanners find leaked keys; the checksum
// refuses typos and garbage before any database work. At rest: SHA-256 only.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { crc32 } from 'node:zlib';

export const KEY_PREFIX = 'hrld_';
const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const RANDOM_LENGTH = 32;
const CHECKSUM_LENGTH = 6;
/** How much of the secret lists show: the prefix and a few random characters. */
const DISPLAY_LENGTH = KEY_PREFIX.length + 6;
const KEY_PATTERN = new RegExp(`^${KEY_PREFIX}[0-9A-Za-z]{${RANDOM_LENGTH + CHECKSUM_LENGTH}}$`);

function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      // 248 = 4 * 62: rejecting the rest keeps every character equally likely.
      if (byte < 248 && out.length < length) out += ALPHABET[byte % 62];
    }
  }
  return out;
}

function checksum(body: string): string {
  let n = crc32(body);
  let out = '';
  for (let i = 0; i < CHECKSUM_LENGTH; i += 1) {
    out = ALPHABET[n % 62] + out;
    n = Math.floor(n / 62);
  }
  return out;
}

export interface NewSecret {
  secret: string;
  hash: string;
  prefix: string;
}

/** A secret from its random part (32 base62 characters): prefix, body, checksum. */
export function formatSecret(body: string): NewSecret {
  const secret = `${KEY_PREFIX}${body}${checksum(body)}`;
  return { secret, hash: hashSecret(secret), prefix: displayPrefix(secret) };
}

export function generateSecret(): NewSecret {
  return formatSecret(randomBase62(RANDOM_LENGTH));
}

/** What lists show of a key, and what guesses at one key are counted under. */
export function displayPrefix(token: string): string {
  return token.slice(0, DISPLAY_LENGTH);
}

/** Whether a bearer token claims to be an API key (rather than a member JWT). */
export function looksLikeApiKey(token: string): boolean {
  return token.startsWith(KEY_PREFIX);
}

/** Shape and checksum: a false here needs no database lookup. */
export function isWellFormedSecret(token: string): boolean {
  if (!KEY_PATTERN.test(token)) return false;
  const body = token.slice(KEY_PREFIX.length, KEY_PREFIX.length + RANDOM_LENGTH);
  return checksum(body) === token.slice(KEY_PREFIX.length + RANDOM_LENGTH);
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** Constant-time comparison of two hex digests. */
export function sameHash(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && timingSafeEqual(left, right);
}
