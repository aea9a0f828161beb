// Channels: what a caller sees of them, the slugs a request names, and the
// account's own changes (members), each with its audit event.
import DataLoader from 'dataloader';
import { BadUserInputError, NotFoundError } from '../errors.ts';
import type { Channel, Prisma } from '../generated/prisma/client.ts';
import { visibleChannels } from '../scoping/visibility.ts';
import { isSlug, isUuid, listForMessage } from '../validation.ts';
import { audited, changedFields, createdFields } from './audit.ts';
import { accountOf, actorOf, type RequestScope } from './index.ts';
import { rethrowUniqueViolation } from './prisma-errors.ts';

export interface ChannelRef {
  id: string;
  slug: string;
}

/** plugin-prisma's selection for the rows a field returns. */
export type ChannelSelection = { select?: Prisma.ChannelSelect; include?: Prisma.ChannelInclude } | object;

/** At most this many key names in the message that refuses a channel's deletion. */
const KEYS_NAMED = 10;

export class ChannelService {
  /** The caller's channels by slug: one query for all the slugs a request names. */
  private readonly bySlug: DataLoader<string, ChannelRef | null>;
  /** Recipients subscribed to each channel now: one query for every channel a response shows. */
  private readonly recipientCounts: DataLoader<string, number>;

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
    this.recipientCounts = new DataLoader(async (ids) => {
      const rows = await db.channel.findMany({
        where: { id: { in: ids.filter(isUuid) } },
        select: { id: true, _count: { select: { recipients: true } } },
      });
      const counts = new Map(rows.map((r) => [r.id, r._count.recipients]));
      return ids.map((id) => counts.get(id) ?? 0);
    });
  }

  /** The channels the caller may see, by slug. */
  list(selection: ChannelSelection): Promise<Channel[]> {
    const { caller } = this.scope;
    if (caller.kind !== 'member' && caller.kind !== 'key') throw new Error('channels: members and keys only');
    return this.scope.db.channel.findMany({ ...selection, where: visibleChannels(caller), orderBy: { slug: 'asc' } }) as Promise<Channel[]>;
  }

  recipientCount(channelId: string): Promise<number> {
    return this.recipientCounts.load(channelId);
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

  /** Renames a channel; its slug never changes (clients name channels by it). */
  async rename(id: string, name: string, selection: ChannelSelection): Promise<Channel> {
    return audited(this.scope.db, actorOf(this.scope), async (tx) => {
      const before = await this.lock(tx, id);
      const channel = await tx.channel.update({ ...selection, where: { id }, data: { name } });
      // The slug, unchanged, says which channel the event is about.
      const changes = { slug: { before: before.slug, after: before.slug }, ...changedFields({ name: before.name }, { name }) };
      return { result: channel as Channel, event: { action: 'CHANNEL_UPDATED', changes } };
    });
  }

  /**
   * Deletes a channel and its recipients' memberships, unless a key that is
   * not revoked (an expired one included: it could be given a new expiry) is
   * scoped to it. Messages sent to it keep their history (Message.channelSlugs).
   */
  async delete(id: string): Promise<{ id: string }> {
    return audited(this.scope.db, actorOf(this.scope), async (tx) => {
      // The lock holds off a key being given the channel (its insert checks the channel) until the deletion is decided.
      const before = await this.lock(tx, id);
      const keys = await tx.apiKey.findMany({
        where: { revokedAt: null, channels: { some: { channelId: id } } },
        select: { name: true },
        orderBy: [{ name: 'asc' }, { seq: 'asc' }],
      });
      if (keys.length > 0) {
        const names = keys.slice(0, KEYS_NAMED).map((k) => JSON.stringify(k.name));
        const more = keys.length > KEYS_NAMED ? ` and ${keys.length - KEYS_NAMED} more` : '';
        const [which, them] = keys.length === 1 ? ['API key', 'it'] : ['API keys', 'them'];
        throw new BadUserInputError(
          `Channel "${before.slug}" is in the scope of ${which} ${names.join(', ')}${more}: edit or revoke ${them} first.`,
          'id',
        );
      }
      // Deleting it would widen an endpoint's filter (none left: every message), so the endpoint is changed first.
      const endpoints = await tx.webhookEndpoint.findMany({
        where: { channels: { some: { channelId: id } } },
        select: { url: true },
        orderBy: { seq: 'asc' },
      });
      if (endpoints.length > 0) {
        const urls = listForMessage(
          endpoints.map((e) => e.url),
          5,
        );
        const which = endpoints.length === 1 ? 'the webhook endpoint' : 'the webhook endpoints';
        throw new BadUserInputError(
          `Channel "${before.slug}" is in the channel filter of ${which} ${urls}: change or delete ${endpoints.length === 1 ? 'it' : 'them'} first.`,
          'id',
        );
      }
      await tx.channel.delete({ where: { id }, select: { id: true } });
      const changes = changedFields({ slug: before.slug, name: before.name }, { slug: null, name: null });
      return { result: { id }, event: { action: 'CHANNEL_DELETED', changes } };
    });
  }

  /** The channel's row, locked until the transaction ends; NOT_FOUND when the account has no such channel. */
  private async lock(tx: Prisma.TransactionClient, id: string): Promise<{ slug: string; name: string }> {
    if (!isUuid(id)) throw new NotFoundError('Channel', id);
    // Raw SQL (a row lock), so the account is named here.
    const [row] = await tx.$queryRaw<{ slug: string; name: string }[]>`
      SELECT slug, name FROM "Channel" WHERE id = ${id}::uuid AND "accountId" = ${accountOf(this.scope)}::uuid FOR UPDATE`;
    if (!row) throw new NotFoundError('Channel', id);
    return row;
  }
}
