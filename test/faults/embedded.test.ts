// The embedded database (npm start's default) under faults: its PostgreSQL
// killed outright is started again by the same Herald process (503
// meanwhile), its data kept; one that cannot be started again ends Herald with
// exit 1 and a message saying so. And what the first start prints.
import { chmod, mkdtemp, readFile, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, expect, test } from 'vitest';
import { Messages } from '../support/documents.ts';
import { startServer } from '../support/server-process.ts';
import { gql, logLines, ready, SEND, seed, sendInput, startHerald, stopHeralds, within } from './support/herald.ts';

const dirs: string[] = [];

/** A data directory of its own, which PostgreSQL's user can reach when the suite runs as root. */
async function dataDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'herald-faults-embedded-'));
  await chmod(dir, 0o755);
  dirs.push(dir);
  return join(dir, 'db');
}

const postmasterPid = async (data: string) => Number((await readFile(join(data, 'postmaster.pid'), 'utf8')).split('\n')[0]);

afterEach(() => stopHeralds());

afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

test('its PostgreSQL killed (SIGKILL): the same Herald starts it again within 15 s, 503 meanwhile, and nothing is lost', async () => {
  const data = await dataDir();
  const herald = await startHerald({ DATABASE_URL: `file:${data}` });
  const { member, key } = await seed(herald, 'embedded');
  expect((await gql(herald, key.secret, SEND, sendInput('before the kill'))).status).toBe(200);
  const killed = await postmasterPid(data);

  process.kill(killed, 'SIGKILL');
  const killedAt = performance.now();
  const meanwhile = await gql(herald, key.secret, SEND, sendInput('while down'));
  expect(meanwhile).toMatchObject({ status: 503, body: { errors: [{ extensions: { code: 'SERVICE_UNAVAILABLE' } }] } });
  expect(Number(meanwhile.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  const probe = await ready(herald);
  expect(probe).toMatchObject({ status: 503, body: { status: 'unavailable', reason: 'unreachable' } });
  expect(probe.ms).toBeLessThan(1_000);

  await within(15_000, async () => (await gql(herald, key.secret, SEND, sendInput('after the restart'))).status === 200);
  expect(performance.now() - killedAt).toBeLessThan(15_000);
  expect(herald.child.exitCode).toBeNull();
  expect(await postmasterPid(data)).not.toBe(killed);
  expect((await ready(herald)).status).toBe(200);
  const titles = (await gql(herald, member, Messages, { first: 10 })).body.data.messages.edges.map(
    (e: { node: { title: string } }) => e.node.title,
  );
  expect(titles).toContain('before the kill');
  expect(titles).toContain('after the restart');
  const lines = logLines(herald).map((l) => l.msg);
  expect(lines).toContainEqual(expect.stringMatching(/the embedded PostgreSQL stopped unexpectedly/));
  expect(lines).toContainEqual(expect.stringMatching(/the embedded PostgreSQL is back after/));
});

test('a PostgreSQL that cannot be started again: Herald gives up after a bounded number of tries, says why, exits 1', async () => {
  const data = await dataDir();
  const herald = await startHerald({ DATABASE_URL: `file:${data}` });
  const pid = await postmasterPid(data);
  // Its directory gone: every start fails.
  await rename(data, `${data}-moved`);
  process.kill(pid, 'SIGKILL');
  const exit = await Promise.race([herald.exited, new Promise((r) => setTimeout(r, 30_000, 'still running'))]);
  expect(exit).toBe(1);
  const lines = logLines(herald).map((l) => l.msg);
  expect(lines.filter((l) => /starting the embedded PostgreSQL again \(attempt \d of 5\)/.test(l))).toHaveLength(5);
  expect(lines).toContainEqual(expect.stringMatching(/could not be started again: Herald stops \(exit 1\)/));
});

test('the first start says what it does as it begins, then where everything is, with the real port (PORT=0)', async () => {
  const data = await dataDir();
  const server = await startServer(['dist/main.js'], { DATABASE_URL: `file:${data}`, PORT: '0', LOG_LEVEL: 'info' });
  try {
    const line = await within(60_000, async () => logLines(server).some((l) => /^Herald on /.test(l.msg)), 'the start line').then(
      () => logLines(server).find((l) => /^Herald on /.test(l.msg)) as unknown as { msg: string; port: number },
    );
    const steps = logLines(server).map((l) => l.msg);
    const order = [
      /^initialising the embedded database in .* \(first start\)$/,
      /^starting the embedded database$/,
      /^migrating: \d+ to apply$/,
    ];
    const at = order.map((step) => steps.findIndex((msg) => step.test(msg)));
    expect(at.every((i) => i >= 0)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    expect(line.port).toBeGreaterThan(0);
    const base = `http://localhost:${line.port}`;
    for (const path of ['/', '/graphql', '/health', '/ready']) expect(line.msg).toContain(`${base}${path}`);
    expect((await fetch(`http://127.0.0.1:${line.port}/health`)).status).toBe(200);
  } finally {
    server.child.kill('SIGTERM');
    await server.exited;
  }
});
