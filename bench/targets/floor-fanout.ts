// The floor of the 100k fan-out: the same INSERT…SELECT as the floor's send
// (./floor.ts), run alone through pg for the fan-out key's big channel, after
// the same warm-up Herald's fan-out gets. Prints the one send's milliseconds.
import { findKey, query, SEND, sendValues } from './floor.ts';

const [channel, warmupChannel, warmups] = [process.env.FANOUT_CHANNEL ?? '', process.env.WARMUP_CHANNEL ?? '', Number(process.env.WARMUPS)];
const key = await findKey(`Bearer ${process.env.FANOUT_KEY}`);
if (!key) throw new Error('the fan-out key was not found');
const message = { title: 'Fanout', body: 'To everyone.' };
const run = (slug: string) => {
  const values = sendValues(key, [slug], message);
  if (!values) throw new Error(`the fan-out key may not send to ${slug}`);
  return query<{ recipientCount: number }>({ ...SEND, values });
};
for (let i = 0; i < warmups; i += 1) await run(warmupChannel);
const started = performance.now();
const { rows } = await run(channel);
const ms = performance.now() - started;
process.stdout.write(`${JSON.stringify({ ms, recipients: rows[0].recipientCount })}\n`);
process.exit(0);
