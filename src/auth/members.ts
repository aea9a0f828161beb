// Members: a verified token names an account and a subject; the first request
// that carries one provisions both (as with an external identity provider).
import type { PrismaClient } from '../db/index.ts';
import type { MemberCaller } from './caller.ts';
import type { VerifyMemberToken } from './jwt.ts';

export type AuthenticateMember = (token: string) => Promise<MemberCaller>;

export function createMemberAuthenticator(db: PrismaClient, verifyMemberToken: VerifyMemberToken): AuthenticateMember {
  return async (token) => {
    const { subject, accountSlug } = await verifyMemberToken(token);
    const found = await db.member.findFirst({
      where: { subject, account: { slug: accountSlug } },
      select: { id: true, accountId: true },
    });
    if (found) return { kind: 'member', accountId: found.accountId, memberId: found.id };
    // Race-safe: two first requests at once both end up with the same rows.
    const account = await db.account.upsert({
      where: { slug: accountSlug },
      create: { slug: accountSlug },
      update: {},
      select: { id: true },
    });
    const member = await db.member.upsert({
      where: { accountId_subject: { accountId: account.id, subject } },
      create: { accountId: account.id, subject },
      update: {},
      select: { id: true },
    });
    return { kind: 'member', accountId: account.id, memberId: member.id };
  };
}
