// The one authentication path: credentials from the header, verified, with
// failed attempts counted per source address and per key prefix.
import type { WorkScope } from '../db/deadline.ts';
import { RateLimitedError, UnauthenticatedError } from '../errors.ts';
import { displayPrefix, looksLikeApiKey } from './api-keys.ts';
import { parseAuthorization } from './bearer.ts';
import type { Caller } from './caller.ts';
import type { FailureStore } from './failures.ts';
import type { AuthenticateMember } from './members.ts';
import type { AuthenticateRecipient } from './recipients.ts';
import type { KeyVerification, VerifyKey } from './verify-key.ts';

/**
 * `authorization`: the Authorization header (of the request, or a WebSocket's
 * connectionParams); `source`: the client's address, for rate limiting failed
 * attempts; `work`: the request's scope, which bounds the database work.
 */
export type Authenticate = (authorization: string | null | undefined, source: string, work?: WorkScope) => Promise<Caller>;

type Verifiable = { kind: 'key'; secret: string } | { kind: 'member'; token: string } | { kind: 'recipient'; token: string };

export interface FailureStores {
  /** Failures that cost a lookup: shared by a fleet (the database on PostgreSQL). */
  shared: FailureStore;
  /** Malformed credentials, refused without any database work: counted in this process. */
  local: FailureStore;
}

// The same answer for malformed, unknown, wrong, revoked and expired keys: nothing to learn from it.
const invalidKey = () => new UnauthenticatedError('The API key is invalid.');

export function createAuthenticator(
  verifyKey: VerifyKey,
  authenticateMember: AuthenticateMember,
  authenticateRecipient: AuthenticateRecipient,
  failures: FailureStores,
): Authenticate {
  type Outcome = { caller: Caller } | { refusal: UnauthenticatedError };
  const keyOutcome = (verification: KeyVerification): Outcome =>
    verification.valid ? { caller: verification.caller } : { refusal: invalidKey() };

  const verifyCredentials = async (credentials: Verifiable, work: WorkScope | undefined): Promise<Outcome> => {
    if (credentials.kind === 'key') return keyOutcome(await verifyKey(credentials.secret, undefined, work));
    try {
      const caller =
        credentials.kind === 'member'
          ? await authenticateMember(credentials.token, work)
          : await authenticateRecipient(credentials.token, work);
      return { caller };
    } catch (error) {
      if (error instanceof UnauthenticatedError) return { refusal: error };
      throw error;
    }
  };

  /**
   * The seconds `address` is blocked for, and the caller or the
   * UnauthenticatedError to answer with (a failed attempt). With a key on the
   * database store, the block is read in the key's own statement (one round
   * trip), or from memory while its lease holds; a known block is refused
   * without a look at the key.
   */
  const verify = async (
    credentials: Verifiable,
    address: string[],
    work: WorkScope | undefined,
  ): Promise<[blocked: number, outcome: Outcome]> => {
    const block = credentials.kind === 'key' ? failures.shared.blockedAlongside?.(address) : undefined;
    if (credentials.kind === 'key' && block) {
      if ('seconds' in block)
        return [block.seconds, block.seconds > 0 ? { refusal: invalidKey() } : await verifyCredentials(credentials, work)];
      const verification = await verifyKey(credentials.secret, block.sql, work);
      return [block.read(verification.alongside), keyOutcome(verification)];
    }
    return Promise.all([failures.shared.blockedFor(address, work), verifyCredentials(credentials, work)]);
  };

  return async (authorization, source, work) => {
    const credentials = parseAuthorization(authorization);
    if (credentials.kind === 'none') return { kind: 'anonymous' };
    const token = credentials.kind === 'key' ? credentials.secret : credentials.token;
    const buckets = [`ip:${source}`, ...(token !== null && looksLikeApiKey(token) ? [`key:${displayPrefix(token)}`] : [])];
    if (credentials.kind === 'malformed') {
      const blocked = await failures.local.fail(buckets);
      if (blocked > 0) throw new RateLimitedError(blocked);
      throw token === null ? new UnauthenticatedError('The Authorization header must be: Bearer <API key or member token>.') : invalidKey();
    }
    // Checked alongside verification, not before it: a blocked caller learns
    // nothing from the outcome, and an allowed one waits for one round trip. A blocked address is
    // refused outright (stolen credentials cannot be tested); a blocked key
    // prefix refuses only wrong keys, or anyone who saw a prefix could lock the real key out.
    const [blocked, outcome] = await verify(credentials, [`ip:${source}`], work);
    if (blocked > 0) throw new RateLimitedError(blocked);
    if ('caller' in outcome) return outcome.caller;
    const after = await failures.shared.fail(buckets, work);
    throw after > 0 ? new RateLimitedError(after) : outcome.refusal;
  };
}
