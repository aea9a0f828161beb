import { type ChildProcess, spawn } from 'node:child_process';
import { chmod, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export const ROOT = resolve(import.meta.dirname, '..');
export const JWT_SECRET = 'herald-bench-jwt-secret-not-for-production';

const children = new Set<ChildProcess>();

export function killAll(): void {
  for (const child of children) child.kill('SIGKILL');
}

// Last resort: no server may outlive the run, whatever ended it.
process.on('exit', killAll);

export interface Server {
  name: string;
  pid: number;
  /** The GraphQL endpoint (the bare server answers on any path). */
  url: string;
  /** VmRSS now, and VmHWM: the highest it has been since start or the last resetPeakRss. */
  memory(): Promise<{ rssMb: number; peakRssMb: number }>;
  resetPeakRss(): Promise<void>;
  /** User and system CPU time the process has used so far. */
  cpuSeconds(): Promise<number>;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done, fail) => server.once('error', fail).listen(0, '127.0.0.1', done));
  const { port } = server.address() as { port: number };
  await new Promise((done) => server.close(done));
  return port;
}

/**
 * `node --import tsx` for TypeScript, not the tsx CLI: the CLI would be a
 * wrapper around the real process. JavaScript (the production build) runs as is.
 */
function spawnNode(script: string, env: Record<string, string>, nodeArgs: string[] = []) {
  const loader = script.endsWith('.ts') ? ['--import', 'tsx'] : [];
  const child = spawn(process.execPath, [...nodeArgs, ...loader, resolve(ROOT, script)], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  const tail: string[] = [];
  const keep = (chunk: Buffer) => {
    tail.push(...chunk.toString().split('\n').filter(Boolean));
    tail.splice(0, Math.max(0, tail.length - 30));
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise<number | null>((done) => {
    child.once('exit', (code) => {
      children.delete(child);
      done(code);
    });
  });
  return { child, exited, output: () => tail.join('\n') };
}

/** Runs a script to completion; its output is shown only when it fails. */
export async function runScript(script: string, env: Record<string, string>): Promise<void> {
  const { exited, output } = spawnNode(script, env);
  const code = await exited;
  if (code !== 0) throw new Error(`${script} exited with ${code}:\n${output()}`);
}

export async function startServer(
  name: string,
  script: string,
  env: Record<string, string> = {},
  nodeArgs: string[] = [],
): Promise<Server> {
  const port = await freePort();
  const { child, exited, output } = spawnNode(script, { ...env, PORT: String(port) }, nodeArgs);
  const url = `http://127.0.0.1:${port}/graphql`;
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  let ended = false;
  void exited.then(() => {
    ended = true;
  });
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (ended) throw new Error(`${name} exited before it was ready:\n${output()}`);
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${name} was not ready within 60 s:\n${output()}`);
    }
    const ready = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"query":"{ __typename }"}',
      signal: AbortSignal.timeout(2_000),
    }).then(
      async (res) => {
        await res.arrayBuffer();
        return true;
      },
      () => false,
    );
    if (ready) break;
    await sleep(100);
  }
  return {
    name,
    pid: child.pid!,
    url,
    async memory() {
      const status = await readFile(`/proc/${child.pid}/status`, 'utf8');
      const mb = (field: string) => {
        const kb = Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]);
        if (!kb) throw new Error(`no ${field} for ${name} (pid ${child.pid})`);
        return kb / 1024;
      };
      return { rssMb: mb('VmRSS'), peakRssMb: mb('VmHWM') };
    },
    // Linux 4.0+: "5" sets VmHWM back to the current RSS.
    resetPeakRss: () => writeFile(`/proc/${child.pid}/clear_refs`, '5'),
    async cpuSeconds() {
      // Fields 14 and 15 of /proc/<pid>/stat, after the parenthesised command name, in USER_HZ (100 on Linux).
      const stat = await readFile(`/proc/${child.pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return (Number(fields[11]) + Number(fields[12])) / 100;
    },
    stop,
  };
}

/** The production build, as production runs it (`npm run build`; the run builds it first). */
export const HERALD_ENTRY = 'dist/main.js';

/** REDIS_URL in `env` puts the per-key rate limits in Redis; the default limit is high enough never to trip. */
/** Herald's environment in the bench: production, quiet logs, a rate limit never reached. */
export const HERALD_ENV = {
  AUTH_JWT_SECRET: JWT_SECRET,
  LOG_LEVEL: 'warn',
  NODE_ENV: 'production',
  KEY_RATE_LIMIT_PER_MINUTE: '100000',
};

export function startHerald(name: string, databaseUrl: string, nodeArgs: string[] = [], env: Record<string, string> = {}): Promise<Server> {
  return startServer(name, HERALD_ENTRY, { ...HERALD_ENV, DATABASE_URL: databaseUrl, ...env }, nodeArgs);
}

/**
 * A directory for an embedded database: `file:<dir>/herald`. Reachable by
 * PostgreSQL's own user when the bench runs as root (mkdtemp makes it private).
 */
export async function embeddedDataDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'herald-bench-'));
  await chmod(dir, 0o755);
  return dir;
}

export async function withServer<T>(start: Promise<Server>, use: (server: Server) => Promise<T>): Promise<T> {
  const server = await start;
  try {
    return await use(server);
  } finally {
    await server.stop();
  }
}
