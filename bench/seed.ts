import { runScript } from './servers.ts';

export const ACCOUNT = 'bench';
/** The send rows target both: 20 distinct recipients. */
export const SEND_CHANNELS = ['news', 'alerts'];
export const FANOUT_CHANNEL = 'everyone';
export const FANOUT_RECIPIENTS = 100_000;

export const CHANNELS = [
  { slug: 'news', recipients: 10 },
  { slug: 'alerts', recipients: 10 },
  { slug: FANOUT_CHANNEL, recipients: FANOUT_RECIPIENTS },
];

/** Migrates and bulk-loads a database while no server has it open (an embedded database belongs to one process). */
export function seedDatabase(databaseUrl: string): Promise<void> {
  return runScript('bench/seed-database.ts', { DATABASE_URL: databaseUrl });
}
