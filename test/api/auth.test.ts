import { SignJWT } from 'jose';
import { generateSecret } from '../../src/auth/api-keys.ts';
import { ApiKeys, Channels, Typename } from '../support/documents.ts';
import { describe, expect, test } from '../support/fixtures.ts';
import { dataOf, errorOf, TEST_JWT_SECRET } from '../support/herald.ts';

const secret = new TextEncoder().encode(TEST_JWT_SECRET);

describe('no credentials', () => {
  test('a field that needs a caller: 401 UNAUTHENTICATED with WWW-Authenticate', async ({ herald }) => {
    const result = await herald.execute(Channels);
    expect(errorOf(result)).toMatchObject({ code: 'UNAUTHENTICATED', status: 401 });
    expect(result.headers.get('www-authenticate')).toBe('Bearer');
  });

  test('{ __typename } and introspection need no credentials', async ({ herald }) => {
    expect(dataOf(await herald.execute(Typename)).__typename).toBe('Query');
    expect(
      dataOf(await herald.execute<{ __schema: { queryType: { name: string } } }, never>('{ __schema { queryType { name } } }')).__schema
        .queryType.name,
    ).toBe('Query');
  });
});

describe('API keys', () => {
  test('malformed, unknown and wrong keys get the same 401; a malformed one costs no database work', async ({ account, herald }) => {
    const real = await account.key({ kind: 'ALL' });
    const unknown = generateSecret().secret; // well formed, never stored
    const badChecksum = `${real.secret.slice(0, -1)}${real.secret.endsWith('a') ? 'b' : 'a'}`;
    const truncated = real.secret.slice(0, -4);
    const answers = [];
    for (const token of [unknown, badChecksum, truncated, 'hrld_', 'hrld_!!!!']) {
      const { result, count } = await (async () => {
        let result!: Awaited<ReturnType<typeof herald.execute>>;
        const { count } = await herald.countStatements(async () => {
          result = await herald.execute(Channels, undefined, { token });
        });
        return { result, count };
      })();
      answers.push(JSON.stringify({ status: result.status, errors: result.errors }));
      if (token !== unknown) expect(count).toBe(0);
    }
    expect(new Set(answers).size).toBe(1);
    expect(JSON.parse(answers[0])).toEqual({
      status: 401,
      errors: [{ message: 'The API key is invalid.', extensions: { code: 'UNAUTHENTICATED' } }],
    });
    expect(dataOf(await real.run(Channels)).channels).toEqual([]);
  });

  test.for(['Basic abc', 'Bearer', 'Bearer a b', 'bearer'])('Authorization %j: 401', async (header, { herald }) => {
    const result = await herald.execute(Channels, undefined, { headers: { authorization: header } });
    expect(errorOf(result)).toMatchObject({ code: 'UNAUTHENTICATED', status: 401 });
  });
});

describe('member tokens', () => {
  test('the first valid token provisions the account and member; a second member shares the account', async ({ herald }) => {
    const slug = `fresh-${Date.now().toString(36)}`;
    expect(await herald.db.prisma.account.findUnique({ where: { slug } })).toBeNull();
    const alice = await herald.memberToken(slug, 'alice');
    const bob = await herald.memberToken(slug, 'bob');
    dataOf(await herald.execute(ApiKeys, undefined, { token: alice }));
    const account = await herald.db.prisma.account.findUniqueOrThrow({ where: { slug }, include: { members: true } });
    expect(account.members.map((m) => m.subject)).toEqual(['alice']);
    dataOf(await herald.execute(ApiKeys, undefined, { token: bob }));
    dataOf(await herald.execute(ApiKeys, undefined, { token: alice }));
    const after = await herald.db.prisma.member.findMany({ where: { accountId: account.id } });
    expect(after.map((m) => m.subject).sort()).toEqual(['alice', 'bob']);
  });

  const sign = (claims: Record<string, unknown>, key = secret, expires: string | number = '1h'): Promise<string> =>
    new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setSubject('m1').setIssuedAt().setExpirationTime(expires).sign(key);

  test('a valid token is accepted (the twin of the refusals below)', async ({ herald }) => {
    dataOf(await herald.execute(Channels, undefined, { token: await sign({ account: 'valid-twin' }) }));
  });

  test.for([
    ['expired', () => sign({ account: 'acme' }, secret, Math.floor(Date.now() / 1000) - 60)],
    ['signed with another secret', () => sign({ account: 'acme' }, new TextEncoder().encode('x'.repeat(40)))],
    ['without an account claim', () => sign({})],
    ['with a malformed account claim', () => sign({ account: 'Not A Slug' })],
    [
      'unsigned (alg none)',
      async (): Promise<string> =>
        `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{"sub":"m1","account":"acme"}').toString('base64url')}.`,
    ],
    ['garbage', async (): Promise<string> => 'not.a.jwt'],
  ] as const)('a token %s: 401, nothing provisioned', async ([, token], { herald }) => {
    const accounts = await herald.db.prisma.account.count({ where: { slug: 'acme' } });
    expect(errorOf(await herald.execute(Channels, undefined, { token: await token() }))).toMatchObject({
      code: 'UNAUTHENTICATED',
      status: 401,
    });
    expect(await herald.db.prisma.account.count({ where: { slug: 'acme' } })).toBe(accounts);
  });
});
