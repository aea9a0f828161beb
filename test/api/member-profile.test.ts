// A member's email and name come from the claims of their token: stored on
// the member, kept up to date, shown wherever a member appears; a claim that
// is not plain text is dropped and the token still accepted.
import { SignJWT } from 'jose';
import { CreateApiKey, MemberProfiles } from '../support/documents.ts';
import { describe, expect, test, uniqueSlug } from '../support/fixtures.ts';
import { dataOf, TEST_JWT_SECRET, type TestHerald } from '../support/herald.ts';

const secret = new TextEncoder().encode(TEST_JWT_SECRET);

/** A member token of `account` for subject `sub`, with whatever extra claims (valid or not). */
const token = (account: string, sub: string, claims: Record<string, unknown> = {}) =>
  new SignJWT({ account, ...claims })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(secret);

/** The member as the API shows it: as the creator of a key, and in the audit trail of that creation. */
async function shown(herald: TestHerald, bearer: string) {
  const name = `key-${Math.random().toString(36).slice(2, 8)}`;
  const { createApiKey } = dataOf(await herald.execute(CreateApiKey, { input: { name, scope: { kind: 'ALL' } } }, { token: bearer }));
  const { apiKeys, auditEvents } = dataOf(await herald.execute(MemberProfiles, undefined, { token: bearer }));
  const creator = apiKeys.find((k) => k.id === createApiKey.apiKey.id)?.createdBy;
  const actor = auditEvents.edges.find((e) => e.node.action === 'API_KEY_CREATED')?.node.member;
  expect(actor).toEqual(creator);
  return creator;
}

const memberUpdates = (statements: string[]) => statements.filter((sql) => /^UPDATE\b[^;]*"Member"/i.test(sql.trim()));

describe('member profile claims', () => {
  test('email and name claims are stored on the member and shown as Member.email and Member.name', async ({ herald }) => {
    const slug = uniqueSlug();
    const bearer = await token(slug, 'idp|ada', { email: 'ada@example.com', name: 'Ada Lovelace' });
    expect(await shown(herald, bearer)).toMatchObject({ subject: 'idp|ada', email: 'ada@example.com', name: 'Ada Lovelace' });
    const stored = await herald.db.prisma.member.findFirstOrThrow({ where: { account: { slug } } });
    expect({ email: stored.email, name: stored.name }).toEqual({ email: 'ada@example.com', name: 'Ada Lovelace' });
  });

  test('a token without them: email and name are null, the subject is still there', async ({ herald }) => {
    expect(await shown(herald, await token(uniqueSlug(), 'idp|bare'))).toMatchObject({ subject: 'idp|bare', email: null, name: null });
  });

  test('claims are trimmed; the same claims again write nothing, changed ones update the member at its next request', async ({
    herald,
  }) => {
    const slug = uniqueSlug();
    const first = await token(slug, 'idp|cy', { email: ' cy@example.com ', name: 'Cy' });
    expect(await shown(herald, first)).toMatchObject({ email: 'cy@example.com', name: 'Cy' });

    const again = await herald.countStatements(() => herald.execute(MemberProfiles, undefined, { token: first }));
    expect(memberUpdates(again.statements)).toEqual([]);

    const renamed = await token(slug, 'idp|cy', { email: 'cy@example.com', name: 'Cyrus Smith' });
    const change = await herald.countStatements(() => herald.execute(MemberProfiles, undefined, { token: renamed }));
    expect(memberUpdates(change.statements)).toHaveLength(1);
    expect(await shown(herald, renamed)).toMatchObject({ email: 'cy@example.com', name: 'Cyrus Smith' });

    // A later token without the claims (an access token without profile) leaves them as they are.
    expect(await shown(herald, await token(slug, 'idp|cy'))).toMatchObject({ email: 'cy@example.com', name: 'Cyrus Smith' });
    expect(await herald.db.prisma.member.count({ where: { account: { slug } } })).toBe(1);
  });

  // Each refused claim beside its accepted twin: the token is accepted either way.
  test.for([
    ['an email of 321 characters', { email: `${'e'.repeat(309)}@example.com` }, { email: `${'e'.repeat(308)}@example.com` }],
    ['a name of 201 characters', { name: 'n'.repeat(201) }, { name: 'n'.repeat(200) }],
    ['a name of 201 characters, 200 of them emoji', { name: `${'😀'.repeat(200)}n` }, { name: '😀'.repeat(200) }],
    ['a control character', { name: 'Ada\u0007 Lovelace' }, { name: 'Ada Lovelace' }],
    ['a line break', { email: 'ada@example.com\nBcc: x@example.com' }, { email: 'ada@example.com' }],
    ['a lone surrogate', { name: 'Ada \uD800' }, { name: 'Ada' }],
    ['blank', { name: '   ' }, { name: 'A' }],
    ['not a string', { email: 42, name: { first: 'Ada' } }, { email: '42', name: 'Ada' }],
  ] as const)('%s is dropped (the token still accepted); its twin is kept', async ([, refused, allowed], { herald }) => {
    const slug = uniqueSlug();
    const dropped = await shown(herald, await token(slug, 'idp|x', refused));
    expect(dropped).toMatchObject({ subject: 'idp|x', email: null, name: null });

    const kept = await shown(herald, await token(slug, 'idp|x', allowed));
    expect(kept).toMatchObject({ subject: 'idp|x', ...allowed });

    // A dropped claim never erases a stored one.
    expect(await shown(herald, await token(slug, 'idp|x', refused))).toMatchObject(allowed);
  });
});
