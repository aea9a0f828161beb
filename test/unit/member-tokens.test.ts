import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createMemberTokenVerifier } from '../../src/auth/jwt.ts';
import { loadConfig } from '../../src/config.ts';

describe('member tokens from an identity provider (JWKS)', () => {
  let keys: Awaited<ReturnType<typeof generateKeyPair>>;
  let url: string;
  const server = createServer();

  beforeAll(async () => {
    keys = await generateKeyPair('RS256');
    const jwk = { ...(await exportJWK(keys.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    server.on('request', (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] })));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}/jwks.json`;
  });
  afterAll(() => server.close());

  const token = (claims: { iss?: string; aud?: string; account?: string }) =>
    new SignJWT({ account: claims.account ?? 'acme' })
      .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
      .setSubject('idp|42')
      .setIssuer(claims.iss ?? 'https://idp.example')
      .setAudience(claims.aud ?? 'herald')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(keys.privateKey);

  test('a token of the provider, issuer and audience is accepted; any other is refused', async () => {
    const verify = await createMemberTokenVerifier(
      loadConfig({ AUTH_JWKS_URL: url, AUTH_ISSUER: 'https://idp.example', AUTH_AUDIENCE: 'herald' }),
    );
    expect(await verify(await token({}))).toEqual({ subject: 'idp|42', accountSlug: 'acme' });
    await expect(verify(await token({ iss: 'https://evil.example' }))).rejects.toMatchObject({ extensions: { code: 'UNAUTHENTICATED' } });
    await expect(verify(await token({ aud: 'someone-else' }))).rejects.toMatchObject({ extensions: { code: 'UNAUTHENTICATED' } });
    const stranger = await generateKeyPair('RS256');
    const forged = await new SignJWT({ account: 'acme' })
      .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
      .setSubject('x')
      .setIssuer('https://idp.example')
      .setAudience('herald')
      .setExpirationTime('5m')
      .sign(stranger.privateKey);
    await expect(verify(forged)).rejects.toMatchObject({ extensions: { code: 'UNAUTHENTICATED' } });
  });
});

describe('npm run token', () => {
  const run = promisify(execFile);
  const token = (env: Record<string, string>) =>
    run('npm', ['run', '--silent', 'token', '--', '--account', 'walkthrough'], { env: { ...process.env, ...env } }).then(({ stdout }) =>
      stdout.trim().split('\n').at(-1),
    );

  test('prints, as its last line, a token the server accepts (AUTH_JWT_SECRET)', async () => {
    const env = { AUTH_JWT_SECRET: 'a-secret-of-at-least-thirty-two-characters' };
    const verify = await createMemberTokenVerifier(loadConfig(env));
    const claims = await verify((await token(env)) as string);
    expect(claims.accountSlug).toBe('walkthrough');
  });

  test('--email and --name become claims the server keeps; one that is not plain text is refused', async () => {
    const env = { AUTH_JWT_SECRET: 'a-secret-of-at-least-thirty-two-characters' };
    const verify = await createMemberTokenVerifier(loadConfig(env));
    const printed = await run(
      'npm',
      ['run', '--silent', 'token', '--', '--account', 'walkthrough', '--email', 'ada@example.com', '--name', 'Ada'],
      {
        env: { ...process.env, ...env },
      },
    );
    expect(await verify(printed.stdout.trim().split('\n').at(-1) as string)).toMatchObject({ email: 'ada@example.com', name: 'Ada' });
    const refused = run('npm', ['run', '--silent', 'token', '--', '--account', 'walkthrough', '--name', 'n'.repeat(201)], {
      env: { ...process.env, ...env },
    });
    await expect(refused).rejects.toMatchObject({
      code: 2,
      stdout: '',
      stderr: expect.stringContaining('--name: plain text of 1 to 200 characters'),
    });
  });

  test('without AUTH_JWT_SECRET the command and the server share a secret generated beside the embedded database', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'herald-token-'));
    try {
      const env = { DATABASE_URL: `file:${join(dir, 'db')}` };
      const printed = (await token(env)) as string;
      const verify = await createMemberTokenVerifier(loadConfig(env));
      expect((await verify(printed)).accountSlug).toBe('walkthrough');
      const elsewhere = await createMemberTokenVerifier(loadConfig({ DATABASE_URL: `file:${join(dir, 'other', 'db')}` }));
      await expect(elsewhere(printed)).rejects.toMatchObject({ extensions: { code: 'UNAUTHENTICATED' } });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
