// Recipients: what a caller sees of them, and the account's changes (created,
// edited, erased, imported), each with its audit event in the same transaction.
import DataLoader from 'dataloader';
import { TOKEN_TTL } from '../auth/recipient-tokens.ts';
import { BadUserInputError, NotFoundError } from '../errors.ts';
import { Prisma, type Recipient } from '../generated/prisma/client.ts';
import type { RecipientLookup, RecipientRef } from '../scoping/middleware.ts';
import { visibleRecipients } from '../scoping/visibility.ts';
import { isUuid } from '../validation.ts';
import { audited, changedFields, createdFields } from './audit.ts';
import type { ChannelRef, ChannelService } from './channels.ts';
import { accountOf, actorOf, type RequestScope } from './index.ts';
import { rethrowUniqueViolation } from './prisma-errors.ts';

export type RecipientSelection = { select?: Prisma.RecipientSelect; include?: Prisma.RecipientInclude } | object;

const REF = { id: true, externalId: true, channels: { select: { channel: { select: { slug: true } } } } } as const;
type RefRow = Prisma.RecipientGetPayload<{ select: typeof REF }>;
const refOf = (row: RefRow): RecipientRef => ({
  id: row.id,
  externalId: row.externalId,
  channels: row.channels.map((c) => c.channel.slug).sort(),
});

/** An externalId that could be stored (validation refuses the others): anything else names no recipient. */
const storable = (externalId: string) => externalId.isWellFormed() && !externalId.includes('\u0000');

/** A prefix as LIKE reads it literally: its wildcards (%, _) and the escape character (\) escaped. */
const likePrefix = (prefix: string) => prefix.replace(/[\\%_]/g, (c) => `\\${c}`);

/** Which recipients a list or a count covers, besides what the caller may see. */
export interface RecipientFilter {
  /** Only the recipients of this channel (the account's, resolved). */
  channelId?: string;
  /** Only the externalIds that start with this, literally. */
  search?: string;
}

/** One row of an import, checked (text limits, slugs, no duplicate externalId). */
export interface ImportRow {
  externalId: string;
  channels: string[];
}

/** At most this many rows in one import. */
export const IMPORT_MAX_ROWS = 10_000;
/** An import of this many rows or more refreshes the planner's statistics of recipients and their channels. */
const ANALYZE_AFTER_ROWS = 1_000;

const sortedUnique = (slugs: Iterable<string>) => [...new Set(slugs)].sort();

export class RecipientService {
  /** Recipients by externalId and by id, with their channels: what the access rules check a key against. */
  private readonly byExternalId: DataLoader<string, RecipientRef | null>;
  private readonly byId: DataLoader<string, RecipientRef | null>;

  constructor(
    private readonly scope: RequestScope,
    private readonly channels: ChannelService,
  ) {
    const { db } = scope;
    this.byExternalId = new DataLoader(async (ids) => {
      const rows = await db.recipient.findMany({ where: { externalId: { in: ids.filter(storable) } }, select: REF });
      const found = new Map(rows.map((r) => [r.externalId, refOf(r)]));
      return ids.map((id) => found.get(id) ?? null);
    });
    this.byId = new DataLoader(async (ids) => {
      const rows = await db.recipient.findMany({ where: { id: { in: ids.filter(isUuid) } }, select: REF });
      const found = new Map(rows.map((r) => [r.id, refOf(r)]));
      return ids.map((id) => found.get(id) ?? null);
    });
  }

  private get caller() {
    const { caller } = this.scope;
    if (caller.kind !== 'member' && caller.kind !== 'key') throw new Error('recipients: members and keys only');
    return caller;
  }

  /** A recipient of the account by its externalId or id, with its channels; null when there is none. */
  find(lookup: RecipientLookup): Promise<RecipientRef | null> {
    return 'externalId' in lookup ? this.byExternalId.load(lookup.externalId) : this.byId.load(lookup.id);
  }

  /** One recipient of the account, with what the query selects of it. */
  get(id: string, selection: RecipientSelection): Promise<Recipient> {
    return this.scope.db.recipient.findFirstOrThrow({ ...selection, where: { id } }) as Promise<Recipient>;
  }

  private where({ channelId, search }: RecipientFilter): Prisma.RecipientWhereInput {
    const filters: Prisma.RecipientWhereInput[] = [visibleRecipients(this.caller)];
    if (channelId !== undefined) filters.push({ channels: { some: { channelId } } });
    if (search) filters.push({ externalId: { startsWith: likePrefix(search) } });
    return { AND: filters };
  }

  /** The recipients the caller may see, by externalId, after the cursor's. */
  list(
    { after, take, ...filter }: RecipientFilter & { after?: string; take: number },
    selection: RecipientSelection,
  ): Promise<Recipient[]> {
    const where = this.where(filter);
    return this.scope.db.recipient.findMany({
      ...selection,
      where: after === undefined ? where : { AND: [where, { externalId: { gt: after } }] },
      orderBy: { externalId: 'asc' },
      take,
    }) as Promise<Recipient[]>;
  }

  count(filter: RecipientFilter): Promise<number> {
    return this.scope.db.recipient.count({ where: this.where(filter) });
  }

  /** The recipient with this externalId when the caller may see it; null otherwise. */
  findVisible(externalId: string, selection: RecipientSelection): Promise<Recipient | null> {
    return this.scope.db.recipient.findFirst({
      ...selection,
      where: { AND: [visibleRecipients(this.caller), { externalId: storable(externalId) ? externalId : { in: [] } }] },
    }) as Promise<Recipient | null>;
  }

  /** A token with which this recipient reads its own inbox (the access rules decided the caller may mint it). */
  mintToken(recipient: RecipientRef, ttlSeconds: number | null | undefined): Promise<{ token: string; expiresAt: Date }> {
    const ttl = ttlSeconds ?? TOKEN_TTL.default;
    if (!Number.isInteger(ttl) || ttl < TOKEN_TTL.min || ttl > TOKEN_TTL.max) {
      throw new BadUserInputError(`ttlSeconds must be ${TOKEN_TTL.min} to ${TOKEN_TTL.max.toLocaleString('en-US')}.`, 'ttlSeconds');
    }
    return this.scope.shared.tokens.sign({ accountId: accountOf(this.scope), recipientId: recipient.id }, ttl);
  }

  async create(input: { externalId: string; channels: string[] }, selection: RecipientSelection): Promise<Recipient> {
    const accountId = accountOf(this.scope);
    const channels = await this.channels.resolve(input.channels, 'channels');
    return audited(this.scope.db, actorOf(this.scope), async (tx) => {
      const recipient = await tx.recipient
        .create({
          ...selection,
          data: { accountId, externalId: input.externalId, channels: { create: channels.map(({ id }) => ({ channelId: id })) } },
        })
        .catch(rethrowUniqueViolation(`A recipient with externalId ${JSON.stringify(input.externalId)} already exists.`, 'externalId'));
      const changes = createdFields({ externalId: input.externalId, channels: channels.map((c) => c.slug).sort() });
      return { result: recipient as Recipient, event: { action: 'RECIPIENT_CREATED', changes } };
    });
  }

  /**
   * Gives the recipient the channels the access rules decided (`after`, from
   * the recipient as they loaded it). Applied as the change from what they
   * loaded, to the recipient as it is under its lock: a change made meanwhile
   * by another request to other channels stays (a channel-scoped key never
   * removes channels outside its scope).
   */
  async setChannels(recipient: RecipientRef, after: readonly string[], selection: RecipientSelection): Promise<Recipient> {
    const added = after.filter((slug) => !recipient.channels.includes(slug));
    const removed = recipient.channels.filter((slug) => !after.includes(slug));
    const adding = await this.channels.resolve(added, 'channels');
    const removing = [...(await this.channels.find(removed)).values()];
    return audited(this.scope.db, actorOf(this.scope), async (tx) => {
      const before = await this.lock(tx, recipient.id);
      if (removing.length > 0 || adding.length > 0) {
        await tx.recipient.update({
          where: { id: recipient.id },
          data: {
            channels: {
              deleteMany: { channelId: { in: removing.map((c) => c.id) } },
              createMany: { data: adding.map((c) => ({ channelId: c.id })), skipDuplicates: true },
            },
          },
          select: { id: true },
        });
      }
      const channels = sortedUnique([...before.channels.filter((slug) => !removed.includes(slug)), ...added]);
      const changes = {
        // The externalId, unchanged, says which recipient the event is about.
        externalId: { before: before.externalId, after: before.externalId },
        ...changedFields({ channels: before.channels }, { channels }),
      };
      const result = await tx.recipient.findFirstOrThrow({ ...selection, where: { id: recipient.id } });
      return { result: result as Recipient, event: { action: 'RECIPIENT_UPDATED', changes } };
    });
  }

  /**
   * Erases a recipient: its memberships (foreign keys), its inbox (Delivery's
   * trigger) and, with the recipient gone, its tokens (authentication checks
   * that the recipient exists). Then every instance ends its open streams.
   */
  async erase(recipient: RecipientRef): Promise<{ id: string }> {
    const accountId = accountOf(this.scope);
    const erased = await audited(this.scope.db, actorOf(this.scope), async (tx) => {
      const before = await this.lock(tx, recipient.id);
      await tx.recipient.delete({ where: { id: recipient.id }, select: { id: true } });
      // What was erased is named by its externalId: the event outlives the recipient, and holds nothing secret.
      const changes = changedFields(before, { externalId: null, channels: null });
      return { result: { id: recipient.id }, event: { action: 'RECIPIENT_DELETED', changes } };
    });
    this.scope.shared.bus.publish({ type: 'recipient.deleted', accountId, recipientId: recipient.id });
    return erased;
  }

  /**
   * Creates or updates recipients by externalId, all or nothing, in a few
   * set-based statements whatever the number of rows: the recipients in one
   * upsert (which locks the existing ones), then their memberships, one
   * DELETE and one INSERT. Of an existing recipient's channels, those `within`
   * (null: all of them) are replaced by the row's. One audit event.
   */
  async import(rows: readonly ImportRow[], within: readonly string[] | null): Promise<{ created: number; updated: number }> {
    const accountId = accountOf(this.scope);
    const channels = await this.channels.find([...rows.flatMap((row) => row.channels), ...(within ?? [])]);
    for (const [index, row] of rows.entries()) {
      const unknown = row.channels.filter((slug) => !channels.has(slug));
      if (unknown.length > 0) {
        const field = `recipients[${index}].channels`;
        throw new BadUserInputError(
          `${field}: unknown channel slug${unknown.length > 1 ? 's' : ''} ${unknown.map((s) => JSON.stringify(s)).join(', ')}`,
          field,
        );
      }
    }
    const memberships = rows.flatMap((row) => row.channels.map((slug) => [row.externalId, (channels.get(slug) as ChannelRef).id] as const));
    const withinIds = within === null ? null : within.flatMap((slug) => channels.get(slug)?.id ?? []);
    const counts = await this.upsert(accountId, rows, memberships, withinIds);
    // A large import can outgrow the planner's statistics until autovacuum next analyzes the tables
    // (up to a minute): meanwhile a filtered count can be planned for a handful of rows and take
    // seconds. Fresh statistics now; they only help, so a failure here does not undo the import.
    if (rows.length >= ANALYZE_AFTER_ROWS) await this.scope.sql(Prisma.sql`ANALYZE "Recipient", "RecipientChannel"`).catch(() => {});
    return counts;
  }

  private upsert(
    accountId: string,
    rows: readonly ImportRow[],
    memberships: (readonly [string, string])[],
    withinIds: string[] | null,
  ): Promise<{ created: number; updated: number }> {
    return audited(this.scope.db, actorOf(this.scope), async (tx) => {
      // Raw SQL (unnest of arrays): the account is named here. Rows go in externalId order, so
      // concurrent imports lock the recipients they share in the same order.
      const [counts] = await tx.$queryRaw<{ created: number; updated: number }[]>`
        WITH upserted AS (
          INSERT INTO "Recipient" ("accountId", "externalId")
          SELECT ${accountId}::uuid, e FROM unnest(${rows.map((r) => r.externalId)}::text[]) AS e ORDER BY e
          ON CONFLICT ("accountId", "externalId") DO UPDATE SET "externalId" = EXCLUDED."externalId"
          RETURNING id, "externalId", xmax = 0 AS created
        ),
        given AS (
          SELECT u.id AS "recipientId", g."channelId"
          FROM unnest(${memberships.map((m) => m[0])}::text[], ${memberships.map((m) => m[1])}::uuid[]) AS g("externalId", "channelId")
          JOIN upserted u ON u."externalId" = g."externalId"
        ),
        removed AS (
          DELETE FROM "RecipientChannel" rc USING upserted u
          WHERE rc."recipientId" = u.id AND NOT u.created
            AND (${withinIds}::uuid[] IS NULL OR rc."channelId" = ANY(${withinIds}::uuid[]))
            AND NOT EXISTS (SELECT 1 FROM given g WHERE g."recipientId" = rc."recipientId" AND g."channelId" = rc."channelId")
        ),
        added AS (
          INSERT INTO "RecipientChannel" ("channelId", "recipientId")
          SELECT "channelId", "recipientId" FROM given ORDER BY 1, 2
          ON CONFLICT DO NOTHING
        )
        SELECT count(*) FILTER (WHERE created)::int AS created, count(*) FILTER (WHERE NOT created)::int AS updated FROM upserted`;
      return { result: counts, event: { action: 'RECIPIENTS_IMPORTED', changes: counts } };
    });
  }

  /** The recipient's row, locked until the transaction ends, with its channels; NOT_FOUND when it is gone. */
  private async lock(tx: Prisma.TransactionClient, id: string): Promise<{ externalId: string; channels: string[] }> {
    // Raw SQL (a row lock), so the account is named here.
    const [row] = await tx.$queryRaw<{ externalId: string; channels: string[] }[]>`
      SELECT r."externalId", coalesce(
        (SELECT array_agg(c.slug ORDER BY c.slug) FROM "RecipientChannel" rc JOIN "Channel" c ON c.id = rc."channelId" WHERE rc."recipientId" = r.id),
        '{}') AS channels
      FROM "Recipient" r WHERE r.id = ${id}::uuid AND r."accountId" = ${accountOf(this.scope)}::uuid FOR UPDATE OF r`;
    if (!row) throw new NotFoundError('Recipient', id);
    return { externalId: row.externalId, channels: row.channels.sort() };
  }
}
