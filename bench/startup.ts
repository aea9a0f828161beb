// Time to ready of a server (the production build, `node dist/main.js`, or its
// floor: node loading pg and connecting) on a database with nothing to migrate:
// from spawn to the first answered request, polled every 5 ms.
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort, JWT_SECRET, ROOT } from './servers.ts';

const RUNS = 5;

async function once(databaseUrl: string, entry: string): Promise<number> {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(process.execPath, [resolve(ROOT, entry)], {
    cwd: ROOT,
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      PORT: String(port),
      AUTH_JWT_SECRET: JWT_SECRET,
      LOG_LEVEL: 'warn',
      NODE_ENV: 'production',
    },
    stdio: 'ignore',
  });
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${entry} exited with ${child.exitCode} before it was ready`);
      if (performance.now() - started > 30_000) throw new Error(`${entry} was not ready within 30 s`);
      const ready = await fetch(`http://127.0.0.1:${port}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"query":"{ __typename }"}',
      }).then(
        (res) => res.ok,
        () => false,
      );
      if (ready) return performance.now() - started;
      await sleep(5);
    }
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

/** The median of five starts. */
export async function measureStartup(databaseUrl: string, entry: string): Promise<{ ms: number; runs: number[] }> {
  const runs: number[] = [];
  for (let i = 0; i < RUNS; i += 1) runs.push(await once(databaseUrl, entry));
  const sorted = [...runs].sort((a, b) => a - b);
  return { ms: sorted[Math.floor(sorted.length / 2)], runs };
}
