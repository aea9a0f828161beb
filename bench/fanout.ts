import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { graphql } from './graphql.ts';
import { FANOUT_CHANNEL, FANOUT_RECIPIENTS, SEND_CHANNELS } from './seed.ts';
import { ROOT, type Server } from './servers.ts';
import { target } from './targets/build.ts';

export interface FanoutResult {
  ms: number;
  /** VmHWM over the server's whole life, start-up included. */
  peakRssMb: number;
  /** VmHWM over the fanout request alone. */
  fanoutPeakRssMb: number;
  /** VmRSS just before the fanout, after start-up and warm-up. */
  rssBeforeMb: number;
}

const WARMUP_SENDS = 50;
const SEND = 'mutation ($input: SendInput!) { send(input: $input) { message { id recipientCount } } }';

async function send(server: Server, key: string, channel: string): Promise<number> {
  const data = await graphql<{ send: { message: { recipientCount: number } } }>(
    server.url,
    SEND,
    { input: { target: { channels: [channel] }, message: { title: 'Fanout', body: 'To everyone.' } } },
    key,
  );
  return data.send.message.recipientCount;
}

/** One send to 100,000 recipients on a fresh server, after warming the send path up on a small channel. */
export async function measureFanout(server: Server, key: string): Promise<FanoutResult> {
  for (let i = 0; i < WARMUP_SENDS; i += 1) await send(server, key, SEND_CHANNELS[0]);
  const before = await server.memory();
  await server.resetPeakRss();
  const started = performance.now();
  const reached = await send(server, key, FANOUT_CHANNEL);
  const ms = performance.now() - started;
  if (reached !== FANOUT_RECIPIENTS) throw new Error(`the fanout reached ${reached} recipients, not ${FANOUT_RECIPIENTS}`);
  const after = await server.memory();
  return {
    ms,
    peakRssMb: Math.max(before.peakRssMb, after.peakRssMb),
    fanoutPeakRssMb: after.peakRssMb,
    rssBeforeMb: before.rssMb,
  };
}

/**
 * The floor of the fan-out: the floor's send statement (bench/targets/floor.ts)
 * for the same key and channel, run alone through pg after the same warm-up.
 */
export async function measureFanoutFloor(databaseUrl: string, key: string): Promise<number> {
  const child = spawn(process.execPath, [resolve(ROOT, target('floor-fanout'))], {
    cwd: ROOT,
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      FANOUT_KEY: key,
      FANOUT_CHANNEL,
      WARMUP_CHANNEL: SEND_CHANNELS[0],
      WARMUPS: String(WARMUP_SENDS),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const code = await new Promise<number | null>((done) => child.once('exit', done));
  if (code !== 0) throw new Error(`floor-fanout exited with ${code}:\n${output}`);
  const { ms, recipients } = JSON.parse(output.trim().split('\n').at(-1) ?? '{}') as { ms: number; recipients: number };
  if (recipients !== FANOUT_RECIPIENTS) throw new Error(`the floor's fanout reached ${recipients} recipients, not ${FANOUT_RECIPIENTS}`);
  return ms;
}
