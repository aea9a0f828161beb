import type { Plugin } from 'graphql-yoga';
import type { Context } from '../context.ts';
import type { UsageCounter } from '../data/usage.ts';

/**
 * Counts, per key, the requests it authenticated and those then refused (any
 * error in the result); written in batches, and once more when the server stops.
 */
export function useKeyUsage(usage: UsageCounter): Plugin<Context> {
  return {
    onExecute({ args }) {
      const { caller } = args.contextValue as Context;
      if (caller.kind !== 'key') return;
      usage.request(caller.key.id);
      return {
        onExecuteDone({ result }) {
          if ('errors' in result && result.errors?.length) usage.refused(caller.key.id);
        },
      };
    },
    onDispose: () => usage.close(),
  };
}
