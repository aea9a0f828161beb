// Hostile credentials: Authorization headers that are not a valid member token
// or key secret (wrong schemes, forged and tampered JWTs, altered secrets,
// generated garbage), line breaks in the header over a raw socket, and floods
// of bad credentials that must not lock out anyone else.
import { randomUUID } from 'node:crypto';
import { crc32 } from 'node:zlib';
import fc from 'fast-check';
import { SignJWT } from 'jose';
import { pino } from 'pino';
import { onTestFinished } from 'vitest';
import { isWellFormedSecret } from '../../src/auth/api-keys.ts';
import { createHerald } from '../../src/yoga.ts';
import { LOOPBACK, TEST_JWT_SECRET, type TestHerald, testConfig } from '../support/herald.ts';
import {
  type Answer,
  accepted,
  describe,
  expect,
  type Fetcher,
  freshAddress,
  gql,
  type Hostile,
  Q,
  type Refusal,
  rawHttp,
  refused,
  shorten,
  test,
  type World,
  where,
} from '../support/hostile.ts';

// ---------------------------------------------------------------------------
// Authentication abuse
// ---------------------------------------------------------------------------

const secret = new TextEncoder().encode(TEST_JWT_SECRET);
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

async function signed(
  claims: Record<string, unknown>,
  { key = secret, alg = 'HS256', subject = `attacker-${randomUUID()}`, expires = '1h' as string | number } = {},
): Promise<string> {
  const jwt = new SignJWT(claims).setProtectedHeader({ alg, typ: 'JWT' }).setIssuedAt().setExpirationTime(expires);
  if (subject !== '') jwt.setSubject(subject);
  return jwt.sign(key);
}

/** A mutation that would change the account if the token were taken: refused with 401, nothing changes. */
function withAuthorization(
  header: (w: World) => Promise<string> | string,
  refusal: Refusal = { status: 401, code: 'UNAUTHENTICATED' },
): Hostile {
  return {
    request: async (w) =>
      gql(w.herald, 'mutation { createChannel(input: { slug: "pwned", name: "Pwned" }) { id } }', {
        headers: { authorization: await header(w), 'x-forwarded-for': freshAddress() },
      }),
    refusal,
  };
}

const bearer = (token: (w: World) => Promise<string> | string) => async (w: World) => `Bearer ${await token(w)}`;

const flip = (text: string, at: number) => text.slice(0, at) + (text[at] === 'A' ? 'B' : 'A') + text.slice(at + 1);

const authCases: [string, Hostile][] = [
  ['Basic credentials', withAuthorization(() => `Basic ${Buffer.from('admin:admin').toString('base64')}`)],
  ['"Bearer" alone', withAuthorization(() => 'Bearer')],
  ['two tokens', withAuthorization((w) => `Bearer ${w.account.token} ${w.account.token}`)],
  ['two Bearer credentials', withAuthorization((w) => `Bearer ${w.account.token}, Bearer ${w.account.token}`)],
  ['a Token scheme', withAuthorization((w) => `Token ${w.account.token}`)],
  ['Bearer null', withAuthorization(() => 'Bearer null')],
  ['Bearer undefined', withAuthorization(() => 'Bearer undefined')],
  ['Bearer [object Object]', withAuthorization(() => 'Bearer [object Object]')],
  ['a 10 KB token', withAuthorization(() => `Bearer ${'a'.repeat(10_000)}`)],
  ['a 10 KB hrld_ token', withAuthorization(() => `Bearer hrld_${'A'.repeat(10_000)}`)],
  ['a 100 KB token', withAuthorization(() => `Bearer ${'x.'.repeat(50_000)}`)],
  ['a 10 KB token of dots (a JWT with empty parts)', withAuthorization(() => `Bearer ${'.'.repeat(10_000)}`)],
  ['hrld_ and a SQL fragment', withAuthorization(() => `Bearer hrld_'OR'1'='1`)],
  [
    'a JWT with alg none for the account',
    withAuthorization(bearer((w) => `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: 'root', account: w.account.slug })}.`)),
  ],
  [
    'a JWT with alg "None" for the account',
    withAuthorization(bearer((w) => `${b64({ alg: 'None' })}.${b64({ sub: 'root', account: w.account.slug })}.`)),
  ],
  [
    'a JWT with alg none and a leftover signature',
    withAuthorization(
      bearer(async (w) => {
        const [, , signature] = (await signed({ account: w.account.slug })).split('.');
        return `${b64({ alg: 'none' })}.${b64({ sub: 'root', account: w.account.slug })}.${signature}`;
      }),
    ),
  ],
  [
    'a JWT signed with another secret',
    withAuthorization(bearer((w) => signed({ account: w.account.slug }, { key: new TextEncoder().encode('x'.repeat(48)) }))),
  ],
  [
    'a JWT signed with an empty-ish secret',
    withAuthorization(bearer((w) => signed({ account: w.account.slug }, { key: new Uint8Array(32) }))),
  ],
  [
    'a JWT whose signature is stripped',
    withAuthorization(bearer(async (w) => `${(await signed({ account: w.account.slug })).split('.').slice(0, 2).join('.')}.`)),
  ],
  [
    'a JWT with a flipped signature character',
    withAuthorization(
      bearer(async (w) => {
        const token = await signed({ account: w.account.slug });
        return flip(token, token.length - 5);
      }),
    ),
  ],
  [
    'a JWT whose payload is swapped for another account',
    withAuthorization(
      bearer(async (w) => {
        const [header, , signature] = (await signed({ account: 'some-other-account' })).split('.');
        return `${header}.${b64({ sub: 'root', account: w.account.slug, exp: Math.floor(Date.now() / 1000) + 3600 })}.${signature}`;
      }),
    ),
  ],
  [
    'a JWT signed HS512 with the right secret (only HS256 is accepted)',
    withAuthorization(bearer((w) => signed({ account: w.account.slug }, { alg: 'HS512' }))),
  ],
  [
    'an expired JWT',
    withAuthorization(bearer((w) => signed({ account: w.account.slug }, { expires: Math.floor(Date.now() / 1000) - 120 }))),
  ],
  [
    'a JWT not valid before tomorrow',
    withAuthorization(
      bearer((w) =>
        new SignJWT({ account: w.account.slug, nbf: Math.floor(Date.now() / 1000) + 86_400 })
          .setProtectedHeader({ alg: 'HS256' })
          .setSubject('early')
          .setExpirationTime('2d')
          .sign(secret),
      ),
    ),
  ],
  [
    'a JWT with a 10,000-character subject',
    withAuthorization(bearer((w) => signed({ account: w.account.slug }, { subject: 's'.repeat(10_000) }))),
  ],
  ['a JWT without a subject', withAuthorization(bearer((w) => signed({ account: w.account.slug }, { subject: '' })))],
  ['a JWT whose account claim is SQL', withAuthorization(bearer(() => signed({ account: `'; DROP TABLE "ApiKey"; --` })))],
  ['a JWT whose account claim is a list', withAuthorization(bearer((w) => signed({ account: [w.account.slug] })))],
  ['a JWT whose account claim has 65 characters', withAuthorization(bearer(() => signed({ account: 'a'.repeat(65) })))],
  ['a JWT whose account claim is uppercase', withAuthorization(bearer((w) => signed({ account: w.account.slug.toUpperCase() })))],
  [
    'a JWT with a header that is not JSON',
    withAuthorization(
      bearer((w) => `${Buffer.from('{alg:HS256').toString('base64url')}.${b64({ sub: 'x', account: w.account.slug })}.sig`),
    ),
  ],
  ['a JWT with four parts', withAuthorization(bearer(async (w) => `${await signed({ account: w.account.slug })}.extra`))],
  ['a real key secret with a changed character', withAuthorization(bearer((w) => flip(w.all.secret, 20)))],
  ['a real key secret with a character appended', withAuthorization(bearer((w) => `${w.all.secret}A`))],
  ['a real key secret, lowercased', withAuthorization(bearer((w) => w.all.secret.toLowerCase()))],
  ['a real key secret with its prefix uppercased', withAuthorization(bearer((w) => w.all.secret.replace('hrld_', 'HRLD_')))],
  ['a real key secret cut in half', withAuthorization(bearer((w) => w.all.secret.slice(0, 22)))],
  ['a real member token followed by a line feed and more', withAuthorization((w) => `Bearer ${w.account.token}\nX-Admin: 1`)],
  [
    'a real member token followed by CRLF and a header',
    withAuthorization((w) => `Bearer ${w.account.token}\r\nX-Forwarded-For: 127.0.0.1`),
  ],
  ['a real key secret with a line feed inside', withAuthorization((w) => `Bearer ${w.all.secret.slice(0, 20)}\n${w.all.secret.slice(20)}`)],
  [
    'a real member token with a NUL inside',
    withAuthorization((w) => `Bearer ${w.account.token.slice(0, 30)}\u0000${w.account.token.slice(30)}`),
  ],
];

/** Generated: hrld_ + 38 random base62 characters (well formed, almost never a valid checksum) and other random tokens. */
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'.split('');
const generatedKeys = fc.sample(
  fc.array(fc.constantFrom(...BASE62), { minLength: 38, maxLength: 38 }).map((cs) => `hrld_${cs.join('')}`),
  {
    numRuns: 10,
    seed: 8,
  },
);
const headerSafe = (value: string) => {
  try {
    new Headers({ authorization: value });
    return true;
  } catch {
    return false;
  }
};
const generatedTokens = [
  ...new Set(fc.sample(fc.string({ minLength: 1, maxLength: 120, unit: 'binary-ascii' }), { numRuns: 100, seed: 9 })),
]
  .map((token) => `Bearer ${token}`)
  .filter((header) => headerSafe(header) && header.trim() !== 'Bearer')
  .slice(0, 20);

describe('authentication abuse: 401 UNAUTHENTICATED, nothing provisioned or changed', () => {
  test.for(authCases)('%s', async ([, hostile], { herald, account }) => {
    await refused(herald, account, hostile);
  });

  test.for(generatedKeys.map((key) => [`${key.slice(0, 11)}…`, key]))('generated key %s', async ([, key], { herald, account }) => {
    await refused(
      herald,
      account,
      withAuthorization(() => `Bearer ${key}`),
    );
  });

  test.for(generatedTokens.map((header) => [JSON.stringify(shorten(header, 60)), header]))(
    'generated Authorization %s',
    async ([, header], { herald, account }) => {
      await refused(
        herald,
        account,
        withAuthorization(() => header),
      );
    },
  );

  test('an alg-none JWT never provisions the account it names', async ({ herald }) => {
    const slug = `ghost-${randomUUID().slice(0, 8)}`;
    const token = `${b64({ alg: 'none' })}.${b64({ sub: 'root', account: slug })}.`;
    const answer = await gql(herald, Q.channels, { token, headers: { 'x-forwarded-for': freshAddress() } });
    expect(answer.status, where(answer)).toBe(401);
    expect(await herald.db.prisma.account.findUnique({ where: { slug } })).toBeNull();
  });
});

describe('line breaks in the Authorization header (raw HTTP): 400 from the HTTP parser', () => {
  test.for([
    ['a line feed', 'Bearer abc\ndef'],
    ['a carriage return', 'Bearer abc\rdef'],
    ['an obsolete line folding', 'Bearer abc\r\n def'],
    ['a NUL', 'Bearer abc\u0000def'],
  ])('%s', async ([, authorization], { herald, account }) => {
    await refused(herald, account, {
      request: (w) => rawHttp(w.herald, [['Authorization', authorization.replace('abc', w.account.token)]]),
      refusal: { status: 400, bodyless: true },
    });
  });
});

// ---------------------------------------------------------------------------
// The failed-authentication limit must not be a lever against others
// ---------------------------------------------------------------------------

describe('floods of bad credentials', () => {
  /**
   * The tests' servers allow a million failures; these use the production
   * default (20 per address and per key prefix a minute), over the same database,
   * asked like TestHerald.fetch asks its own; disposed when the test ends.
   */
  async function limited(herald: TestHerald): Promise<Fetcher> {
    const yoga = await createHerald({
      config: testConfig({ trustProxy: ['loopback'], authFailures: { limit: 20, windowSeconds: 60 } }),
      db: herald.db,
      logger: pino({ level: 'silent' }),
    });
    onTestFinished(() => yoga.dispose());
    return {
      fetch: ({ path, from = LOOPBACK, ...init }) =>
        Promise.resolve(yoga.fetch(`http://herald.test${path ?? '/graphql'}`, init, { req: { socket: { remoteAddress: from } } })),
    };
  }

  test('30 bad tokens from one address: never a 5xx, then 429 RATE_LIMITED; another address is unaffected', async ({ herald, account }) => {
    const server = await limited(herald);
    const attacker = freshAddress();
    const answers: Answer[] = [];
    for (let i = 0; i < 30; i += 1) {
      answers.push(await gql(server, Q.channels, { token: `forged.${i}.token`, headers: { 'x-forwarded-for': attacker } }));
    }
    for (const answer of answers) expect([401, 429], where(answer)).toContain(answer.status);
    const last = answers[answers.length - 1];
    expect(last.status, where(last)).toBe(429);
    expect(last.json?.errors?.[0].extensions?.code, where(last)).toBe('RATE_LIMITED');
    expect(Number(last.headers.get('retry-after')), where(last)).toBeGreaterThan(0);
    const legit = await gql(server, Q.channels, { token: account.token, headers: { 'x-forwarded-for': freshAddress() } });
    expect(accepted(legit)).toEqual({ channels: [] });
  });

  const randomBase62 = (n: number) => Array.from({ length: n }, () => BASE62[Math.floor(Math.random() * 62)]).join('');

  /** A secret with a valid checksum (CRC-32 is public, not a secret) that starts with this display prefix. */
  function forgeWellFormed(prefix: string): string {
    const body = `${prefix.slice('hrld_'.length)}${randomBase62(32)}`.slice(0, 32);
    let n = crc32(body);
    let checksum = '';
    for (let i = 0; i < 6; i += 1) {
      checksum = BASE62[n % 62] + checksum;
      n = Math.floor(n / 62);
    }
    return `hrld_${body}${checksum}`;
  }

  test.for([
    ['malformed (bad checksum)', (prefix: string) => `${prefix}${randomBase62(32)}`, false],
    ['well formed (valid checksum)', forgeWellFormed, true],
  ] as const)(
    '30 forged secrets, %s, sharing a real key’s public prefix do not lock the real key out',
    async ([, forge, wellFormed], { herald, account }) => {
      const server = await limited(herald);
      const real = await account.key({ kind: 'ALL' }, 'Victim');
      const prefix = real.secret.slice(0, 11); // what apiKeys { prefix } shows on every dashboard
      for (let i = 0; i < 30; i += 1) {
        const forged = forge(prefix);
        expect(isWellFormedSecret(forged)).toBe(wellFormed);
        const answer = await gql(server, Q.channels, { token: forged, headers: { 'x-forwarded-for': freshAddress() } });
        expect([401, 429], where(answer)).toContain(answer.status);
      }
      const legit = await gql(server, Q.channels, { token: real.secret, headers: { 'x-forwarded-for': freshAddress() } });
      expect(accepted(legit)).toEqual({ channels: [] });
    },
  );
});
