// Recipients: created (and, for the access rules, looked up) within the
// caller's account, each change with its audit event.
import DataLoader from 'dataloader';
import { TOKEN_TTL } from '../auth/recipient-tokens.ts';
import { BadUserInputError } from '../errors.ts';
import type { Prisma, Recipient } from '../generated/prisma/client.ts';
import type { RecipientLookup, RecipientRef } from '../scoping/middleware.ts';
import { isUuid } from '../validation.ts';
import { audited, createdFields } from './audit.ts';
import type { ChannelService } from './channels.ts';
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
      const rows = await db.recipient.findMany({ where: { externalId: { in: [...ids] } }, select: REF });
      const found = new Map(rows.map((r) => [r.externalId, refOf(r)]));
      return ids.map((id) => found.get(id) ?? null);
    });
    this.byId = new DataLoader(async (ids) => {
      const rows = await db.recipient.findMany({ where: { id: { in: ids.filter(isUuid) } }, select: REF });
      const found = new Map(rows.map((r) => [r.id, refOf(r)]));
      return ids.map((id) => found.get(id) ?? null);
    });
  }

  /** A recipient of the account by its externalId or id, with its channels; null when there is none. */
  find(lookup: RecipientLookup): Promise<RecipientRef | null> {
    return 'externalId' in lookup ? this.byExternalId.load(lookup.externalId) : this.byId.load(lookup.id);
  }

  /** One recipient of the account, with what the query selects of it. */
  get(id: string, selection: RecipientSelection): Promise<Recipient> {
    return this.scope.db.recipient.findFirstOrThrow({ ...selection, where: { id } }) as Promise<Recipient>;
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
}
