// A real Herald server process for the tests that start one: on a free port,
// its output kept for failure messages, ready when /ready answers 200.
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { freePort } from './ports.ts';

export const PROJECT_DIR = resolve(import.meta.dirname, '../..');

export interface ServerProcess {
  port: number;
  child: ChildProcessWithoutNullStreams;
  /** Everything it wrote to stdout and stderr. */
  output: string[];
  /** Its exit code (null when a signal ended it). */
  exited: Promise<number | null>;
  url(path: string): string;
}

/** Spawns `node <args>` from the project directory with PORT set; `env` adds to the test's environment. */
export async function startServer(args: string[], env: Record<string, string>): Promise<ServerProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, args, { cwd: PROJECT_DIR, env: { ...process.env, PORT: String(port), ...env }, stdio: 'pipe' });
  child.stdin.end();
  const output: string[] = [];
  child.stdout.on('data', (d) => output.push(d.toString()));
  child.stderr.on('data', (d) => output.push(d.toString()));
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  return { port, child, output, exited, url: (path) => `http://127.0.0.1:${port}${path}` };
}

/** Resolves once GET /ready answers 200 (migrations applied, database reachable). */
export async function waitUntilReady(server: ServerProcess, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (server.child.exitCode !== null || server.child.signalCode !== null) throw new Error(`the server exited: ${server.output.join('')}`);
    const response = await fetch(server.url('/ready')).catch(() => null);
    if (response?.status === 200) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the server was not ready in ${timeoutMs} ms: ${server.output.join('')}`);
}

/**
 * SIGTERM, as a supervisor stops Herald (it drains, stops its embedded database
 * and removes its files); SIGKILL if it has not exited after `graceMs`.
 */
export async function stop(server: ServerProcess, graceMs = 10_000): Promise<void> {
  if (server.child.exitCode !== null || server.child.signalCode !== null) return;
  server.child.kill('SIGTERM');
  const timer = setTimeout(() => server.child.kill('SIGKILL'), graceMs);
  await server.exited;
  clearTimeout(timer);
}
