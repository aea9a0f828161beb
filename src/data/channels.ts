// Channels: what a caller sees of them, the slugs a request names, and the
// account's own changes (members), each with its audit event.
import DataLoader from 'dataloader';
import { BadUserInputError } from '../errors.ts';
import type { Channel, Prisma } from '../generated/prisma/client.ts';
import { visibleChannels } from '../scoping/visibility.ts';
import { isSlug, listForMessage } from '../validation.ts';
import { audited, createdFields } from './audit.ts';
import { accountOf, actorOf, type RequestScope } from './index.ts';
import { rethrowUniqueViolation } from './prisma-errors.ts';

export interface ChannelRef {
  id: string;
  slug: string;
}

/** plugin-prisma's selection for the rows a field returns. */
export type ChannelSelection = { select?: Prisma.ChannelSelect; include?: Prisma.ChannelInclude } | object;

export class ChannelService {
  /** The caller's channels by slug: one query for all the slugs a request names. */
  private readonly bySlug: DataLoader<string, ChannelRef | null>;

  constructor(private readonly scope: RequestScope) {
    const { db } = scope;
    this.bySlug = new DataLoader(async (slugs) => {
      const rows = await db.channel.findMany({ where: { slug: { in: [...slugs] } }, select: { id: true, slug: true } });
      const found = new Map(rows.map((r) => [r.slug, r]));
      return slugs.map((s) => found.get(s) ?? null);
    });
    // A channel-scoped key's own channels came with the key: a send within its scope looks nothing up.
    const { caller } = scope;
    if (caller.kind === 'key') for (const channel of caller.key.channels) this.bySlug.prime(channel.slug, channel);
  }

  /** The channels the caller may see, by slug. */
  list(selection: ChannelSelection): Promise<Channel[]> {
    const { caller } = this.scope;
    if (caller.kind !== 'member' && caller.kind !== 'key') throw new Error('channels: members and keys only');
    return this.scope.db.channel.findMany({ ...selection, where: visibleChannels(caller), orderBy: { slug: 'asc' } }) as Promise<Channel[]>;
  }

  /** The account's channels among these slugs, by slug (an unknown or malformed slug is absent). */
  async find(slugs: readonly string[]): Promise<Map<string, ChannelRef>> {
    // A malformed slug names no channel: it never reaches the database.
    const found = await this.bySlug.loadMany([...new Set(slugs)].filter(isSlug));
    const failure = found.find((f) => f instanceof Error);
    if (failure) throw failure;
    return new Map((found as (ChannelRef | null)[]).filter((f) => f !== null).map((f) => [f.slug, f]));
  }

  /** The account's channels for these slugs, in order; an unknown slug is BAD_USER_INPUT naming `field`. */
  async resolve(slugs: readonly string[], field: string): Promise<ChannelRef[]> {
    const bySlug = await this.find(slugs);
    const unknown = slugs.filter((slug) => !bySlug.has(slug));
    if (unknown.length > 0) {
      throw new BadUserInputError(`Unknown channel slug${unknown.length > 1 ? 's' : ''}: ${listForMessage(unknown)}`, field);
    }
    return slugs.map((slug) => bySlug.get(slug) as ChannelRef);
  }

  async create(input: { slug: string; name: string }, selection: ChannelSelection): Promise<Channel> {
    const accountId = accountOf(this.scope);
    return audited(this.scope.db, actorOf(this.scope), async (tx) => {
      const channel = await tx.channel
        .create({ ...selection, data: { ...input, accountId } })
        .catch(rethrowUniqueViolation(`A channel with slug "${input.slug}" already exists.`, 'slug'));
      return { result: channel as Channel, event: { action: 'CHANNEL_CREATED', changes: createdFields(input) } };
    });
  }
}
