// The embedded database's own lifecycle: data kept across restarts, directories
// that hold something else refused untouched, `memory:` leaving nothing behind,
// and no server left running when Herald dies.
import { spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, describe, expect, test } from 'vitest';
import { startEmbeddedPostgres } from '../../src/db/embedded-postgres.ts';

const dirs: string[] = [];
async function freshDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'herald-embedded-test-'));
  // Reachable by PostgreSQL's own user when the suite runs as root (mkdtemp makes it private).
  await chmod(dir, 0o755);
  dirs.push(dir);
  return dir;
}
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client(url);
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** The server's pid, from the lock file it keeps in its data directory. */
async function postmasterPid(dataDir: string): Promise<number> {
  return Number((await readFile(join(dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0]);
}

/** Whether the process is gone within 10 s. */
async function gone(pid: number): Promise<boolean> {
  const deadline = Date.now() + 10_000;
  while (alive(pid) && Date.now() < deadline) await sleep(50);
  return !alive(pid);
}

/** Another process that starts an embedded PostgreSQL on `dataDir` (null: memory) and keeps running, as Herald does. */
async function startOwner(dataDir: string | null) {
  const script = resolve(import.meta.dirname, '../../src/db/embedded-postgres.ts');
  const owner = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      '--input-type=module',
      '-e',
      `const { startEmbeddedPostgres } = await import(${JSON.stringify(script)});
       await startEmbeddedPostgres(${JSON.stringify(dataDir)});
       console.log('ready');
       setInterval(() => {}, 1000);`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((done) => owner.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && done()));
  return owner;
}

describe('the embedded PostgreSQL', () => {
  test('keeps its data in its directory across a stop and a start', async () => {
    const dir = join(await freshDir(), 'herald');
    const first = await startEmbeddedPostgres(dir);
    await query(first.url, 'CREATE TABLE kept (value text); INSERT INTO kept VALUES ($$still here$$)');
    await first.stop();
    expect(await readFile(join(dir, 'PG_VERSION'), 'utf8')).toBe('18\n');
    const second = await startEmbeddedPostgres(dir);
    try {
      expect(await query(second.url, 'SELECT value FROM kept')).toEqual([{ value: 'still here' }]);
    } finally {
      await second.stop();
    }
  });

  test('listens on no TCP port: only its private socket', async () => {
    const cluster = await startEmbeddedPostgres(null);
    try {
      const [settings] = await query<{ listen: string; socket: string }>(
        cluster.url,
        "SELECT current_setting('listen_addresses') AS listen, current_setting('unix_socket_permissions') AS socket",
      );
      expect(settings).toEqual({ listen: '', socket: '0700' });
    } finally {
      await cluster.stop();
    }
  });

  test('memory: a temporary directory, gone once stopped', async () => {
    // This process's own (named after its pid): other processes may start clusters meanwhile.
    const mine = `herald-db-${process.pid}-`;
    const before = new Set((await readdir(tmpdir())).filter((name) => name.startsWith(mine)));
    const cluster = await startEmbeddedPostgres(null);
    const created = (await readdir(tmpdir())).filter((name) => name.startsWith(mine) && !before.has(name));
    expect(created).toHaveLength(1);
    await cluster.stop();
    await expect(stat(join(tmpdir(), created[0]))).rejects.toThrow();
  });

  test('refuses a directory holding another PostgreSQL version (an earlier PGlite), and leaves it as it was', async () => {
    const dir = join(await freshDir(), 'herald');
    await mkdir(dir);
    await writeFile(join(dir, 'PG_VERSION'), '17\n');
    await expect(startEmbeddedPostgres(dir)).rejects.toThrow(/PostgreSQL 17 database .*PGlite.*move it away/);
    expect(await readdir(dir)).toEqual(['PG_VERSION']);
  });

  test('refuses a non-empty directory that holds no database, and leaves it as it was', async () => {
    const dir = join(await freshDir(), 'herald');
    await mkdir(dir);
    await writeFile(join(dir, 'notes.txt'), 'mine');
    await expect(startEmbeddedPostgres(dir)).rejects.toThrow(/is not empty and holds no database/);
    expect(await readdir(dir)).toEqual(['notes.txt']);
  });

  test('stops when the process that started it is killed (SIGKILL: no chance to stop it)', async () => {
    const dir = join(await freshDir(), 'herald');
    const owner = await startOwner(dir);
    const pid = await postmasterPid(dir);
    expect(alive(pid)).toBe(true);
    owner.kill('SIGKILL');
    expect(await gone(pid)).toBe(true);
    // Stopped cleanly: the next start finds no lock and no recovery to do.
    const again = await startEmbeddedPostgres(dir);
    await again.stop();
  });

  test('what a killed Herald left in the temporary directory goes at the next start', async () => {
    const owner = await startOwner(null);
    const left = (await readdir(tmpdir())).filter(
      (name) => name.startsWith(`herald-db-${owner.pid}-`) || name.startsWith(`herald-pg-${owner.pid}-`),
    );
    expect(left).toHaveLength(2);
    const pid = await postmasterPid(join(tmpdir(), left.find((n) => n.startsWith('herald-db-')) as string, 'data'));
    const exited = new Promise((done) => owner.once('exit', done));
    owner.kill('SIGKILL');
    await exited;
    expect(await gone(pid)).toBe(true);
    // (Any start on this machine sweeps them, another process's too: whether they are still
    // there now depends on what else runs, so only the next start's outcome is checked.)
    const next = await startEmbeddedPostgres(null);
    await next.stop();
    for (const name of left) await expect(stat(join(tmpdir(), name))).rejects.toThrow();
  });

  test('a server that stops on its own is reported (Herald then exits); one stopped by Herald is not', async () => {
    const dir = join(await freshDir(), 'herald');
    const killed = await startEmbeddedPostgres(dir);
    process.kill(await postmasterPid(dir), 'SIGKILL');
    await expect(killed.unexpectedExit).resolves.toEqual(expect.any(String));
    await killed.stop();

    const stopped = await startEmbeddedPostgres(dir);
    await stopped.stop();
    const reported = await Promise.race([stopped.unexpectedExit.then(() => true), sleep(500).then(() => false)]);
    expect(reported).toBe(false);
  });
});
