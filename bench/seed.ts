import { runScript } from './servers.ts';

export const ACCOUNT = 'bench';
/** The send rows target both: 20 distinct recipients. */
export const SEND_CHANNELS = ['news', 'alerts'];
export const FANOUT_CHANNEL = 'everyone';
export const FANOUT_RECIPIENTS = 100_000;
/** The inbox rows: 10,000 recipients with open streams, and one for latency. */
export const INBOX_CHANNEL = 'inbox';
export const INBOX_RECIPIENTS = 10_000;
export const SOLO_CHANNEL = 'solo';

export const CHANNELS = [
  { slug: 'news', recipients: 10 },
  { slug: 'alerts', recipients: 10 },
  { slug: FANOUT_CHANNEL, recipients: FANOUT_RECIPIENTS },
  { slug: INBOX_CHANNEL, recipients: INBOX_RECIPIENTS },
  { slug: SOLO_CHANNEL, recipients: 1 },
];

/** Migrates and bulk-loads a database while no server has it open (an embedded database belongs to one process). */
export function seedDatabase(databaseUrl: string): Promise<void> {
  return runScript('bench/seed-database.ts', { DATABASE_URL: databaseUrl });
}
