import type { ChannelRef, Context } from '../context.ts';
import { BadUserInputError } from '../errors.ts';
import { isSlug, listForMessage } from '../validation.ts';

/** The caller's channels for these slugs, in order; an unknown slug is BAD_USER_INPUT. */
export async function resolveChannels(ctx: Context, slugs: readonly string[], field: string): Promise<ChannelRef[]> {
  // A malformed slug names no channel: it never reaches the database.
  const found = await ctx.loaders.channelBySlug.loadMany(slugs.filter(isSlug));
  const bySlug = new Map(found.filter((f): f is ChannelRef => Boolean(f) && !(f instanceof Error)).map((f) => [f.slug, f]));
  const failure = found.find((f) => f instanceof Error);
  if (failure) throw failure;
  const unknown = slugs.filter((slug) => !bySlug.has(slug));
  if (unknown.length > 0) {
    throw new BadUserInputError(`Unknown channel slug${unknown.length > 1 ? 's' : ''}: ${listForMessage(unknown)}`, field);
  }
  return slugs.map((slug) => bySlug.get(slug) as ChannelRef);
}
