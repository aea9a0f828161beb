// A graceful stop (SIGTERM, SIGINT), bounded by SHUTDOWN_TIMEOUT_MS: readiness
// fails, no new connection is accepted, every request in flight is answered
// before the deadline (its own deadline, shortened if need be), then the usage
// counts are written, retrying until the deadline. Exit 0 when everything was
// written; otherwise the log says exactly what was lost and the exit is 1.
import type { Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Database } from './db/index.ts';
import type { Logger } from './logger.ts';
import type { InFlightRequests } from './plugins/in-flight.ts';
import type { Lifecycle } from './plugins/readiness.ts';
import type { Herald } from './yoga.ts';

export interface Draining {
  server: Server;
  herald: Herald;
  db: Database;
  lifecycle: Lifecycle;
  inFlight: InFlightRequests;
  logger: Logger;
  timeoutMs: number;
  /** Ends the open inbox streams (their clients resume elsewhere with their last cursor). */
  endStreams(): Promise<void>;
}

/** What the end of a shutdown keeps for writing what the process holds (a part of the whole, at most 2 s). */
const reserveFor = (timeoutMs: number) => Math.min(2_000, Math.floor(timeoutMs / 4));

function reportLost(lifecycle: Lifecycle, logger: Logger): boolean {
  const lost = lifecycle.lost ?? [];
  if (lost.length === 0) return false;
  const requests = lost.reduce((sum, l) => sum + l.requests, 0);
  const refused = lost.reduce((sum, l) => sum + l.refused, 0);
  logger.error(
    { lost },
    `usage counts lost: the database did not take them before the shutdown deadline (${lost.length} key-days, ${requests} requests, ${refused} refused)`,
  );
  return true;
}

export function drain(signal: string, { server, herald, db, lifecycle, inFlight, logger, timeoutMs, endStreams }: Draining): void {
  if (lifecycle.draining) return;
  lifecycle.draining = true;
  const deadline = Date.now() + timeoutMs;
  lifecycle.drainDeadline = deadline - 100;
  // Armed first, so that it holds whatever happens after it (logging included).
  const hardStop = setTimeout(() => {
    reportLost(lifecycle, logger);
    logger.error('shutdown timed out with work in flight');
    process.exit(1);
  }, timeoutMs);
  logger.info({ signal, timeoutMs }, 'shutting down');
  // Streams first: an open stream would hold its connection until the deadline.
  void endStreams();
  inFlight.endBy(deadline - reserveFor(timeoutMs));
  const idle = setInterval(() => server.closeIdleConnections(), 50);
  server.close(async () => {
    clearInterval(idle);
    await herald.dispose(); // writes the key usage counted since the last flush (src/plugins/key-usage.ts)
    // A frozen database never lets its connections go: the deadline does.
    await Promise.race([db.close().catch(() => {}), sleep(Math.max(0, deadline - Date.now() - 50), undefined, { ref: false })]);
    clearTimeout(hardStop);
    if (reportLost(lifecycle, logger)) {
      logger.error('stopped, with usage counts lost');
      process.exit(1);
    }
    logger.info('stopped');
    process.exit(0);
  });
  server.closeIdleConnections();
}
