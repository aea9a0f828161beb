import { pino } from 'pino';
import type { Config } from './config.ts';

export type Logger = pino.Logger;

export function createLogger(level: Config['logLevel'] = 'info'): Logger {
  return pino({ level, base: { service: 'herald' } });
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
