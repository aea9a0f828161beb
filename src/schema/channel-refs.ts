import type { ChannelRef, Context } from '../context.ts';
import { BadUserInputError } from '../errors.ts';

/** The caller's channels for these slugs, in order; an unknown slug is BAD_USER_INPUT. */
export async function resolveChannels(ctx: Context, slugs: readonly string[], field: string): Promise<ChannelRef[]> {
  const found = await ctx.loaders.channelBySlug.loadMany(slugs);
  const failure = found.find((f) => f instanceof Error);
  if (failure) throw failure;
  const unknown = slugs.filter((_, i) => !found[i]);
  if (unknown.length > 0) {
    throw new BadUserInputError(`Unknown channel slug${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}`, field);
  }
  return found as ChannelRef[];
}
