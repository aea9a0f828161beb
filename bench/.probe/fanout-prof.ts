import { setTimeout as sleep } from 'node:timers/promises';
import { measureInbox } from '../inbox.ts';
import { createTempDatabase } from '../postgres.ts';
import { seedDatabase } from '../seed.ts';
import { startHerald } from '../servers.ts';

const db = await createTempDatabase('postgres://postgres@127.0.0.1:5432/postgres');
try {
  await seedDatabase(db.url);
  const server = await startHerald('prof', db.url, ['--cpu-prof', '--cpu-prof-dir=/tmp/prof'], { REDIS_URL: 'redis://127.0.0.1:6379' });
  const r = await measureInbox(server, db.url);
  console.log(r);
  await sleep(500);
  await server.stop();
} finally {
  await db.drop();
}
