// The embedded PostgreSQL is Herald's own child: when it dies (killed, out of
// memory, a crash), Herald starts it again on the same directory and socket,
// so the pool's next connections reach it with nothing to reconfigure; its
// crash recovery replays the log. Requests meanwhile get 503 (the socket does
// not answer). Tries are bounded: a server that cannot stay up is reported and
// Herald gives up (main.ts exits 1).
import { setTimeout as sleep } from 'node:timers/promises';
import type { EmbeddedCluster } from './embedded-postgres.ts';

export interface SupervisionEvents {
  /** The server stopped while nobody asked it to: its last log lines. */
  died(log: string): void;
  /** Attempt `attempt` of `of` begins. */
  restarting(attempt: number, of: number): void;
  /** The server answers again, `ms` after it died. */
  restarted(ms: number): void;
  /** No attempt worked: the error of the last one. */
  gaveUp(error: Error): void;
}

export interface SupervisionPolicy {
  /** Tries per failure; a server that dies again within `stableMs` of a restart continues the count. */
  attempts: number;
  /** Waits before the attempts after the first (the last one repeats). */
  backoffMs: number[];
  stableMs: number;
}

// About 8 s of waiting over 5 tries: a killed server's processes are gone well before.
export const DEFAULT_POLICY: SupervisionPolicy = { attempts: 5, backoffMs: [250, 500, 1_000, 2_000, 4_000], stableMs: 60_000 };

/** Watches the cluster until stop() (or until it gives up). */
export function superviseEmbedded(cluster: EmbeddedCluster, events: SupervisionEvents, policy = DEFAULT_POLICY): { stop(): void } {
  let stopped = false;
  let attempt = 0;
  let upSince = Date.now();

  const watch = async () => {
    for (;;) {
      const log = await cluster.unexpectedExit;
      if (stopped) return;
      const diedAt = Date.now();
      events.died(log);
      if (diedAt - upSince >= policy.stableMs) attempt = 0;
      for (;;) {
        attempt += 1;
        if (stopped) return;
        events.restarting(attempt, policy.attempts);
        try {
          await cluster.restart();
          upSince = Date.now();
          events.restarted(upSince - diedAt);
          break;
        } catch (error) {
          if (stopped) return;
          if (attempt >= policy.attempts) {
            stopped = true;
            events.gaveUp(error as Error);
            return;
          }
          await sleep(policy.backoffMs[Math.min(attempt - 1, policy.backoffMs.length - 1)]);
        }
      }
    }
  };
  void watch();
  return {
    stop() {
      stopped = true;
    },
  };
}

/** The supervision's log lines, one per event; `giveUp` ends the process (exit 1): nothing can be served. */
export function logSupervision(
  logger: {
    error(obj: object, msg: string): void;
    warn(obj: object, msg: string): void;
    info(obj: object, msg: string): void;
  },
  giveUp: () => void,
): SupervisionEvents {
  return {
    died: (log) => logger.error({ log }, 'the embedded PostgreSQL stopped unexpectedly: restarting it (requests get 503 meanwhile)'),
    restarting: (attempt, of) => logger.warn({ attempt, of }, `starting the embedded PostgreSQL again (attempt ${attempt} of ${of})`),
    restarted: (ms) => logger.info({ downMs: ms }, `the embedded PostgreSQL is back after ${Math.round(ms / 100) / 10} s`),
    gaveUp: (error) => {
      logger.error(
        { cause: error.message },
        'the embedded PostgreSQL could not be started again: Herald stops (exit 1). Its log above says why; fix that and start Herald again',
      );
      giveUp();
    },
  };
}
