// `npm start` as a process manager runs it: a signal to npm's own pid must stop
// the server (npm forwards it to its one child, the server itself, which drains).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { expect, test } from 'vitest';
import { freePort } from '../support/ports.ts';

const answers = (port: number) =>
  fetch(`http://127.0.0.1:${port}/health`).then(
    (response) => response.status,
    () => null,
  );

test.for(['SIGTERM', 'SIGINT'] as const)(
  '%s to npm alone stops the server gracefully and frees the port',
  { timeout: 120_000 },
  async (signal) => {
    const port = await freePort();
    const npm = spawn('npm', ['start'], {
      env: { ...process.env, PORT: String(port), DATABASE_URL: 'memory:', AUTH_JWT_SECRET: 'npm-start-test-secret-long-enough-for-hs256' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output: string[] = [];
    npm.stdout.on('data', (d) => output.push(d.toString()));
    npm.stderr.on('data', (d) => output.push(d.toString()));
    const exited = once(npm, 'exit');
    try {
      const deadline = Date.now() + 90_000;
      while ((await answers(port)) !== 200) {
        if (Date.now() > deadline || npm.exitCode !== null) throw new Error(`not ready: ${output.join('')}`);
        await new Promise((r) => setTimeout(r, 200));
      }
      npm.kill(signal);
      await exited;
      expect(output.join('')).toMatch(/"msg":"stopped"/);
      expect(await answers(port)).toBeNull();
    } finally {
      if (npm.exitCode === null) npm.kill('SIGKILL');
    }
  },
);
