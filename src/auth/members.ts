// Members: a verified token names an account and a subject; the first request
// that carries one provisions both (as with an external identity provider).
// The token's email and name claims are kept on the member, for people to read.
import { type WorkScope, withinScope } from '../db/deadline.ts';
import type { PrismaClient } from '../db/index.ts';
import type { MemberCaller } from './caller.ts';
import type { MemberClaims, VerifyMemberToken } from './jwt.ts';

/** `work`: the request's scope, within which the member's rows are read and written (src/db/deadline.ts). */
export type AuthenticateMember = (token: string, work?: WorkScope) => Promise<MemberCaller>;

type Profile = { email?: string; name?: string };

/**
 * The profile claims that differ from what is stored, or null when none does.
 * A claim the token lacks (or that was dropped as invalid) leaves the stored
 * value as it is: identity providers often leave profile claims out of tokens.
 */
function changedProfile(stored: { email: string | null; name: string | null }, claims: MemberClaims): Profile | null {
  const changed: Profile = {};
  if (claims.email !== undefined && claims.email !== stored.email) changed.email = claims.email;
  if (claims.name !== undefined && claims.name !== stored.name) changed.name = claims.name;
  return Object.keys(changed).length > 0 ? changed : null;
}

export function createMemberAuthenticator(db: PrismaClient, verifyMemberToken: VerifyMemberToken): AuthenticateMember {
  return async (token, work) => {
    const claims = await verifyMemberToken(token);
    return withinScope(work, () => findOrCreate(claims));
  };

  async function findOrCreate(claims: MemberClaims): Promise<MemberCaller> {
    const { subject, accountSlug } = claims;
    const found = await db.member.findFirst({
      where: { subject, account: { slug: accountSlug } },
      select: { id: true, accountId: true, email: true, name: true },
    });
    if (found) {
      // Compared first: a request whose claims match what is stored writes nothing.
      const changed = changedProfile(found, claims);
      if (changed) await db.member.update({ where: { id: found.id }, data: changed, select: { id: true } });
      return { kind: 'member', accountId: found.accountId, memberId: found.id };
    }
    // Race-safe: two first requests at once both end up with the same rows.
    const account = await db.account.upsert({
      where: { slug: accountSlug },
      create: { slug: accountSlug },
      update: {},
      select: { id: true },
    });
    const profile = changedProfile({ email: null, name: null }, claims) ?? {};
    const member = await db.member.upsert({
      where: { accountId_subject: { accountId: account.id, subject } },
      create: { accountId: account.id, subject, ...profile },
      update: profile,
      select: { id: true },
    });
    return { kind: 'member', accountId: account.id, memberId: member.id };
  }
}
