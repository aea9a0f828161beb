// Probe (not committed): N idle SSE streams on a fresh server; memory deltas from /metrics; SNAP=1 writes a heap snapshot.

import { readdirSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { recipientTokens } from '../inbox.ts';
import { createTempDatabase } from '../postgres.ts';
import { INBOX_CHANNEL, seedDatabase } from '../seed.ts';
import { startServer } from '../servers.ts';

const N = Number(process.env.N ?? 2000);
const db = await createTempDatabase('postgres://postgres@127.0.0.1:5432/postgres');
try {
  await seedDatabase(db.url);
  const server = await startServer(
    'probe',
    process.env.ENTRY ?? 'dist/main.js',
    {
      DATABASE_URL: db.url,
      AUTH_JWT_SECRET: 'herald-bench-jwt-secret-not-for-production',
      LOG_LEVEL: 'warn',
      NODE_ENV: 'production',
      REDIS_URL: 'redis://127.0.0.1:6379',
    },
    (process.env.NODE_ARGS ?? '').split(' ').filter(Boolean),
  );
  const metric = async () => {
    const text = await (await fetch(server.url.replace('/graphql', '/metrics'))).text();
    const get = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]) / 1048576;
    return {
      rss: get('process_resident_memory_bytes'),
      heapUsed: get('nodejs_heap_size_used_bytes'),
      external: get('nodejs_external_memory_bytes'),
    };
  };
  const tokens = await recipientTokens(
    db.url,
    Array.from({ length: N }, (_, i) => `${INBOX_CHANNEL}-${i + 1}`),
  );
  await sleep(500);
  const before = await metric();
  console.log('before', before);
  const url = new URL(server.url);
  const body = JSON.stringify({ query: 'subscription { inbox { kind item { id } } }' });
  const sockets: Socket[] = [];
  for (let i = 0; i < N; i += 500) {
    await Promise.all(
      tokens.slice(i, i + 500).map(
        (t) =>
          new Promise<void>((resolve) => {
            const s = connect({ host: url.hostname, port: Number(url.port) });
            s.write(
              `POST /graphql HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\nContent-Type: application/json\r\nAuthorization: Bearer ${t}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
            );
            s.once('data', () => resolve());
            sockets.push(s);
          }),
      ),
    );
  }
  await sleep(Number(process.env.IDLE ?? 3000));
  const after = await metric();
  console.log(
    'per stream KB',
    Object.fromEntries(Object.entries(after).map(([k, v]) => [k, (((v - (before as Record<string, number>)[k]) * 1024) / N).toFixed(1)])),
    'rss',
    after.rss.toFixed(0),
  );
  if (process.env.SNAP) {
    process.kill(server.pid, 'SIGUSR2');
    for (let i = 0; i < 60 && !readdirSync('.').some((f) => f.endsWith('.heapsnapshot')); i += 1) await sleep(1000);
    await sleep(5000);
  }
  for (const s of sockets) s.destroy();
  await server.stop();
} finally {
  await db.drop();
}
