// A PostgreSQL of the fault suite's own (the system's binaries, a temporary
// cluster on a free port), to stop, kill, freeze and lock: never the shared one.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { freePort } from '../../support/ports.ts';

export const POSTGRES_BIN = process.env.FAULTS_POSTGRES_BIN ?? '/usr/lib/postgresql/15/bin';

/** PostgreSQL refuses root: as root, the suite runs it as the system's `postgres` user. */
function owner(): { uid: number; gid: number } | null {
  if (process.getuid?.() !== 0) return null;
  const id = (flag: string) => Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim());
  return { uid: id('-u'), gid: id('-g') };
}

export class OwnPostgres {
  private child: ChildProcess | null = null;
  private log = '';

  private constructor(
    readonly dir: string,
    readonly port: number,
    private readonly settings: string[],
  ) {}

  /** initdb into a temporary directory, then start it. */
  static async start({ maxConnections = 50 }: { maxConnections?: number } = {}): Promise<OwnPostgres> {
    const dir = await mkdtemp(join(tmpdir(), 'herald-faults-pg-'));
    const user = owner();
    if (user) await chown(dir, user.uid, user.gid);
    const init = spawnSync(join(POSTGRES_BIN, 'initdb'), ['-D', join(dir, 'data'), '-U', 'postgres', '--auth=trust', '--no-sync'], {
      encoding: 'utf8',
      ...(user ?? {}),
    });
    if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr}`);
    const settings = [`max_connections=${maxConnections}`, 'fsync=off', 'shared_buffers=16MB', 'listen_addresses=127.0.0.1'];
    const server = new OwnPostgres(dir, await freePort(), settings);
    await server.restart();
    return server;
  }

  /** postgres://postgres@127.0.0.1:<port>/<database> */
  url(database = 'postgres'): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  /** The postmaster's pid (its own process group: every server process of the cluster). */
  get pid(): number {
    if (!this.child?.pid) throw new Error('PostgreSQL is not running');
    return this.child.pid;
  }

  get running(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Starts it (again) on the same directory and port; resolves once it accepts connections. */
  async restart(): Promise<void> {
    const args = ['-D', join(this.dir, 'data'), '-p', String(this.port), '-k', this.dir, ...this.settings.flatMap((s) => ['-c', s])];
    const child = spawn(join(POSTGRES_BIN, 'postgres'), args, { detached: true, stdio: ['ignore', 'ignore', 'pipe'], ...(owner() ?? {}) });
    child.stderr?.on('data', (chunk: Buffer) => {
      this.log = (this.log + chunk.toString()).slice(-20_000);
    });
    this.child = child;
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (!this.running) throw new Error(`PostgreSQL exited while starting: ${this.log}`);
      const client = new pg.Client(this.url());
      try {
        await client.connect();
        return;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await sleep(50);
      } finally {
        await client.end().catch(() => {});
      }
    }
  }

  /** A fast shutdown (SIGINT): sessions end, the server says "shutting down", then refuses connections. */
  async stop(): Promise<void> {
    if (!this.running) return;
    const exited = once(this.child as ChildProcess, 'exit');
    this.signalAll('SIGCONT');
    (this.child as ChildProcess).kill('SIGINT');
    await exited;
  }

  /** SIGKILL to every process of the cluster: no shutdown at all. */
  async kill(): Promise<void> {
    if (!this.running) return;
    const exited = once(this.child as ChildProcess, 'exit');
    this.signalAll('SIGKILL');
    await exited;
  }

  /** SIGSTOP to every process of the cluster: connections stay open, nothing answers. */
  freeze(): void {
    this.signalAll('SIGSTOP');
  }

  thaw(): void {
    this.signalAll('SIGCONT');
  }

  /** The postmaster first (it forks no more), then every process it started (each in a session of its own). */
  private signalAll(signal: NodeJS.Signals): void {
    const postmaster = this.pid;
    const children = readdirSync('/proc')
      .filter((name) => /^\d+$/.test(name))
      .filter((pid) => {
        try {
          // pid (comm) state ppid …: the command may hold spaces and parentheses, the fields after the last ')' do not.
          const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
          return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === postmaster;
        } catch {
          return false;
        }
      })
      .map(Number);
    for (const pid of [postmaster, ...children]) {
      try {
        process.kill(pid, signal);
      } catch {}
    }
  }

  /** Holds `LOCK TABLE <table>` (ACCESS EXCLUSIVE) on its own connection until release(). */
  async lock(database: string, table: string): Promise<{ release(): Promise<void> }> {
    const client = new pg.Client(this.url(database));
    // The server may end the connection under the lock (a test that kills a server process): release() then fails, the suite goes on.
    client.on('error', () => {});
    await client.connect();
    await client.query('BEGIN');
    await client.query(`LOCK TABLE "${table}"`);
    return {
      release: async () => {
        await client.query('COMMIT');
        await client.end();
      },
    };
  }

  /** Opens connections until the server refuses one (too many clients); release() closes them. */
  async occupyAllConnections(): Promise<{ release(): Promise<void> }> {
    const clients: pg.Client[] = [];
    for (;;) {
      const client = new pg.Client(this.url());
      client.on('error', () => {});
      try {
        await client.connect();
        clients.push(client);
      } catch (error) {
        if ((error as { code?: string }).code !== '53300') throw error;
        break;
      }
    }
    return { release: async () => void (await Promise.all(clients.map((c) => c.end().catch(() => {})))) };
  }

  async query<T extends pg.QueryResultRow>(database: string, sql: string, values: unknown[] = []): Promise<T[]> {
    const client = new pg.Client(this.url(database));
    await client.connect();
    try {
      return (await client.query<T>(sql, values)).rows;
    } finally {
      await client.end();
    }
  }

  async destroy(): Promise<void> {
    if (this.running) {
      this.signalAll('SIGCONT');
      await this.kill();
    }
    await rm(this.dir, { recursive: true, force: true });
  }
}
