import { pino } from 'pino';
import type { Config } from './config.ts';

export type Logger = pino.Logger;

/**
 * JSON lines on stdout that can never hold the process. pino's default stream
 * is asynchronous and flushes at exit in a loop that retries EPIPE (the reader
 * of stdout gone) every 100 ms forever. This one writes synchronously: nothing
 * is left for exit, and since stdout is non-blocking (a pipe is once
 * process.stdout is opened, which reading its fd does) no write waits. A full
 * pipe (EAGAIN) keeps the line for the next write; any other failure (EPIPE)
 * turns logging off.
 */
export function createLogger(level: Config['logLevel'] = 'info'): Logger {
  const destination = pino.destination({ dest: process.stdout.fd || 1, sync: true, retryEAGAIN: () => false });
  const logger = pino({ level, base: { service: 'herald' } }, destination);
  destination.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EAGAIN') return;
    logger.level = 'silent';
    // Nothing writes to it again, not even pino's flush after a fatal line (which would loop on EPIPE).
    destination.destroy();
  });
  return logger;
}

/** Yoga's logger interface on top of pino (Yoga logs masked errors through it). */
export function yogaLogger(logger: Logger) {
  const write =
    (level: 'debug' | 'info' | 'warn' | 'error') =>
    (...args: unknown[]) => {
      const [first, ...rest] = args;
      if (first instanceof Error) logger[level]({ err: first }, first.message);
      else logger[level]({ details: rest.length ? rest : undefined }, String(first));
    };
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}
