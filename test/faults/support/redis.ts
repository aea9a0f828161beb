// A Redis of the fault suite's own (the system's redis-server, no persistence,
// on a free port), to stop and freeze: never the shared one.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../../support/ports.ts';

export class OwnRedis {
  private child: ChildProcess | null = null;

  private constructor(readonly port: number) {}

  static async start(): Promise<OwnRedis> {
    const redis = new OwnRedis(await freePort());
    await redis.restart();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  async restart(): Promise<void> {
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
    this.child = spawn(process.env.FAULTS_REDIS_SERVER ?? 'redis-server', args, { stdio: 'ignore' });
    const deadline = Date.now() + 10_000;
    while (!(await this.answers())) {
      if (!this.running || Date.now() > deadline) throw new Error('redis-server did not start');
      await sleep(50);
    }
  }

  /** Whether it answers PING within 200 ms. */
  private answers(): Promise<boolean> {
    return new Promise((resolve) => {
      const socket = connect(this.port, '127.0.0.1');
      const done = (answer: boolean) => {
        socket.destroy();
        resolve(answer);
      };
      socket.setTimeout(200, () => done(false));
      socket.on('error', () => done(false));
      socket.on('data', (data) => done(data.toString().startsWith('+PONG')));
      socket.write('PING\r\n');
    });
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    const exited = once(this.child as ChildProcess, 'exit');
    this.child?.kill('SIGCONT');
    this.child?.kill('SIGKILL');
    await exited;
  }

  freeze(): void {
    this.child?.kill('SIGSTOP');
  }

  thaw(): void {
    this.child?.kill('SIGCONT');
  }
}
