// Member tokens: HS256 with AUTH_JWT_SECRET (or a generated one shared with
// `npm run token`), or an external identity provider's JWKS.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { createRemoteJWKSet, type JWTPayload, jwtVerify, SignJWT } from 'jose';
import { type Config, DEFAULT_DATA_DIR } from '../config.ts';
import { UnauthenticatedError } from '../errors.ts';
import { text } from '../validation.ts';
import { hasRecipientAudience } from './recipient-tokens.ts';

export interface MemberClaims {
  subject: string;
  accountSlug: string;
  /** The `email` and `name` claims when the token carries them as plain text; absent otherwise. */
  email?: string;
  name?: string;
}

export type VerifyMemberToken = (token: string) => Promise<MemberClaims>;

const ACCOUNT_SLUG = /^[a-z0-9][a-z0-9-]{0,63}$/;
export const PROFILE_LIMITS = { email: 320, name: 200 } as const;

/**
 * A profile claim as the domain's plain text (validation.ts: trimmed, 1 to
 * `max` characters, no control characters), or undefined. Anything else is
 * dropped, not refused: the token still proves who the member is, and the
 * page falls back to the subject.
 */
export function profileClaim(value: unknown, max: number): string | undefined {
  if (typeof value !== 'string') return undefined;
  try {
    return text(value, 'claim', max);
  } catch {
    return undefined;
  }
}

/** Where the generated development secret lives: beside the embedded database. */
export function generatedSecretPath(config: Config): string {
  const dir =
    config.database.kind === 'embedded' && config.database.dataDir ? config.database.dataDir : join(process.cwd(), DEFAULT_DATA_DIR);
  return join(dirname(dir), `.${dir.split('/').pop()}-jwt-secret`);
}

/** AUTH_JWT_SECRET, or the generated secret (created on first use). */
export async function hmacSecret(config: Config): Promise<Uint8Array> {
  if (config.jwt.kind !== 'secret') throw new Error('hmacSecret: JWTs are verified with a JWKS');
  if (config.jwt.secret) return new TextEncoder().encode(config.jwt.secret);
  const path = generatedSecretPath(config);
  let secret = await readFile(path, 'utf8').catch(() => null);
  if (!secret) {
    await mkdir(dirname(path), { recursive: true });
    secret = randomBytes(32).toString('base64url');
    // `wx`: if another process wrote it first, use theirs.
    await writeFile(path, secret, { flag: 'wx', mode: 0o600 }).catch(() => {});
    secret = await readFile(path, 'utf8');
  }
  return new TextEncoder().encode(secret.trim());
}

function claimsOf(payload: JWTPayload): MemberClaims {
  if (hasRecipientAudience(payload)) throw new UnauthenticatedError('A recipient token is not a member token.');
  const account = payload.account;
  if (typeof payload.sub !== 'string' || payload.sub.length === 0 || payload.sub.length > 256) {
    throw new UnauthenticatedError('The token has no valid sub claim.');
  }
  if (typeof account !== 'string' || !ACCOUNT_SLUG.test(account)) {
    throw new UnauthenticatedError('The token has no valid account claim.');
  }
  const email = profileClaim(payload.email, PROFILE_LIMITS.email);
  const name = profileClaim(payload.name, PROFILE_LIMITS.name);
  return { subject: payload.sub, accountSlug: account, ...(email && { email }), ...(name && { name }) };
}

export async function createMemberTokenVerifier(config: Config): Promise<VerifyMemberToken> {
  const options = config.jwt.kind === 'jwks' ? { issuer: config.jwt.issuer, audience: config.jwt.audience } : { algorithms: ['HS256'] };
  const key = config.jwt.kind === 'jwks' ? createRemoteJWKSet(config.jwt.jwksUrl) : await hmacSecret(config);
  return async (token) => {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, key as Parameters<typeof jwtVerify>[1], options));
    } catch {
      throw new UnauthenticatedError('The token is invalid or expired.');
    }
    return claimsOf(payload);
  };
}

export async function signMemberToken(secret: Uint8Array, claims: MemberClaims, expiresIn: string | number = '12h'): Promise<string> {
  const { accountSlug: account, email, name } = claims;
  return new SignJWT({ account, ...(email && { email }), ...(name && { name }) })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(claims.subject)
    .setIssuedAt()
    .setExpirationTime(expiresIn)
    .sign(secret);
}
