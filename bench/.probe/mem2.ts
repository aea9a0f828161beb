import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { startServer } from '../servers.ts';

const N = Number(process.env.N ?? 2000);
const server = await startServer('probe', process.env.ENTRY!, {});
const mem = async () =>
  Number((await import('node:fs')).readFileSync(`/proc/${server.pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)![1]) / 1024;
const heap = async () => {
  try {
    return (await (await fetch(server.url.replace('/graphql', '/mem'))).json()).heapUsed / 1048576;
  } catch {
    return NaN;
  }
};
const heapBefore = await heap();
const before = await mem();
const url = new URL(server.url);
const body = JSON.stringify({ query: 'subscription { inbox }' });
const sockets: Socket[] = [];
for (let i = 0; i < N; i += 500) {
  await Promise.all(
    Array.from(
      { length: Math.min(500, N - i) },
      () =>
        new Promise<void>((resolve) => {
          const s = connect({ host: url.hostname, port: Number(url.port) });
          s.write(
            `POST /graphql HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
          );
          s.once('data', () => resolve());
          sockets.push(s);
        }),
    ),
  );
}
await sleep(3000);
const after = await mem();
console.log('heap per stream KB', ((((await heap()) - heapBefore) * 1024) / N).toFixed(1));
console.log('RSS per stream KB', (((after - before) * 1024) / N).toFixed(1), 'rss', after.toFixed(0), 'before', before.toFixed(0));
for (const s of sockets) s.destroy();
await server.stop();
