// Recipient tokens: short-lived JWTs Herald signs (jose, HS256) for one
// recipient of one account, with which that recipient reads its own inbox.
// They are told apart from member tokens by their type header and audience,
// and signed with a key of their own (kept in the database, so that every
// instance of a fleet shares it): a member token never passes as one, nor one
// as a member token or a key.
import { randomBytes, randomUUID } from 'node:crypto';
import { decodeProtectedHeader, type JWTPayload, jwtVerify, SignJWT } from 'jose';
import type { PrismaClient } from '../db/index.ts';
import { UnauthenticatedError } from '../errors.ts';

const TYPE = 'herald-recipient+jwt';
const ISSUER = 'herald';
const AUDIENCE = 'herald:inbox';
const SIGNING_KEY_ID = 'recipient-tokens';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Lifetimes a token may be given, in seconds. */
export const TOKEN_TTL = { min: 60, max: 86_400, default: 3_600 } as const;

export interface RecipientTokenClaims {
  accountId: string;
  recipientId: string;
  expiresAt: Date;
}

/** Whether a bearer token claims to be a recipient token (by its header, before any verification). */
export function isRecipientToken(token: string): boolean {
  try {
    return decodeProtectedHeader(token).typ === TYPE;
  } catch {
    return false;
  }
}

/** Whether verified member-token claims are in fact a recipient token's (defence in depth: another key signs those). */
export function hasRecipientAudience(payload: JWTPayload): boolean {
  const audience = payload.aud;
  return audience === AUDIENCE || (Array.isArray(audience) && audience.includes(AUDIENCE));
}

export class RecipientTokens {
  private key: Promise<Uint8Array> | null = null;

  constructor(private readonly prisma: PrismaClient) {}

  /** The fleet's signing key, read once (and created by the first instance that needs it); a failed read is tried again next time. */
  private signingKey(): Promise<Uint8Array> {
    this.key ??= (async () => {
      await this.prisma.signingKey.createMany({
        data: [{ id: SIGNING_KEY_ID, secret: randomBytes(32).toString('base64url') }],
        skipDuplicates: true,
      });
      const { secret } = await this.prisma.signingKey.findUniqueOrThrow({ where: { id: SIGNING_KEY_ID } });
      return new Uint8Array(Buffer.from(secret, 'base64url'));
    })().catch((error: unknown) => {
      this.key = null;
      throw error;
    });
    return this.key;
  }

  async sign(
    claims: { accountId: string; recipientId: string },
    ttlSeconds: number,
    now = new Date(),
  ): Promise<{ token: string; expiresAt: Date }> {
    const issuedAt = Math.floor(now.getTime() / 1000);
    const expiresAt = new Date((issuedAt + ttlSeconds) * 1000);
    const token = await new SignJWT({ acc: claims.accountId })
      .setProtectedHeader({ alg: 'HS256', typ: TYPE })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setSubject(claims.recipientId)
      .setIssuedAt(issuedAt)
      // Two tokens minted in one second are two tokens.
      .setJti(randomUUID())
      .setExpirationTime(issuedAt + ttlSeconds)
      .sign(await this.signingKey());
    return { token, expiresAt };
  }

  /** The claims of a valid, unexpired token; UNAUTHENTICATED otherwise (the caller checks the recipient still exists). */
  async verify(token: string): Promise<RecipientTokenClaims> {
    const key = await this.signingKey();
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, key, { algorithms: ['HS256'], typ: TYPE, issuer: ISSUER, audience: AUDIENCE }));
    } catch {
      throw new UnauthenticatedError('The recipient token is invalid or expired.');
    }
    const { sub, acc, exp } = payload;
    if (typeof sub !== 'string' || !UUID.test(sub) || typeof acc !== 'string' || !UUID.test(acc) || typeof exp !== 'number') {
      throw new UnauthenticatedError('The recipient token is invalid or expired.');
    }
    return { accountId: acc, recipientId: sub, expiresAt: new Date(exp * 1000) };
  }
}
