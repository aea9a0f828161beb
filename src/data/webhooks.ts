// Webhook endpoints of the account (members): each change with its audit
// event, the signing secret returned once (by create and roll) and never
// again, the attempt log, and test events queued like real ones.
import { BadUserInputError, NotFoundError } from '../errors.ts';
import { Prisma, type WebhookAttempt, type WebhookEndpoint, type WebhookEventType } from '../generated/prisma/client.ts';
import { idFilter, isUuid } from '../validation.ts';
import { checkWebhookUrl } from '../webhooks/address-policy.ts';
import { queueJobs, randomEventId } from '../webhooks/enqueue.ts';
import { exampleData } from '../webhooks/events.ts';
import { newWebhookSecret } from '../webhooks/signing.ts';
import { audited, changedFields, createdFields } from './audit.ts';
import type { ChannelRef, ChannelService } from './channels.ts';
import { accountOf, actorOf, type RequestScope } from './index.ts';

/** An account may have this many endpoints: every send fans out to each of them. */
export const MAX_ENDPOINTS = 50;
export const MAX_DESCRIPTION = 500;
export const MAX_GRACE_SECONDS = 86_400;
/** Rows of an endpoint's log deleted per statement when the endpoint is deleted. */
const PURGE_BATCH = 5_000;

/** PostgreSQL's deadlock, as it reaches here (directly, or wrapped by Prisma's adapter). */
function isDeadlock(error: unknown): boolean {
  return /deadlock detected|40P01/.test(
    String((error as { message?: unknown })?.message ?? '') + JSON.stringify((error as { meta?: unknown })?.meta ?? {}),
  );
}

export type EndpointSelection = { select?: Prisma.WebhookEndpointSelect; include?: Prisma.WebhookEndpointInclude } | object;

export interface EndpointInput {
  url: string;
  description: string | null;
  /** Channel slugs (resolved here); empty: every message. */
  channels: string[];
  events: WebhookEventType[];
}

export type EndpointChanges = Partial<EndpointInput> & { enabled?: boolean };

/** What a member-disabled endpoint says. */
export const DISABLED_BY_MEMBER = 'Disabled by a member.';

const withChannels = { channels: { select: { channel: { select: { id: true, slug: true } } } } } as const;

type EndpointState = Prisma.WebhookEndpointGetPayload<{ include: typeof withChannels }>;

/** What the audit trail shows of an endpoint: never its secret. */
function auditView(endpoint: {
  url: string;
  description: string | null;
  events: WebhookEventType[];
  enabled: boolean;
  channels: string[];
}): Record<string, unknown> {
  return {
    url: endpoint.url,
    description: endpoint.description,
    channels: [...endpoint.channels].sort(),
    events: [...endpoint.events].sort(),
    enabled: endpoint.enabled,
  };
}

const slugsOf = (state: EndpointState) => state.channels.map((c) => c.channel.slug);

export class WebhookService {
  constructor(
    private readonly scope: RequestScope,
    private readonly channels: ChannelService,
  ) {}

  list(selection: EndpointSelection): Promise<WebhookEndpoint[]> {
    return this.scope.db.webhookEndpoint.findMany({ ...selection, orderBy: { seq: 'desc' } }) as Promise<WebhookEndpoint[]>;
  }

  find(id: string, selection: EndpointSelection): Promise<WebhookEndpoint | null> {
    return this.scope.db.webhookEndpoint.findFirst({ ...selection, where: idFilter(id) }) as Promise<WebhookEndpoint | null>;
  }

  /** The endpoint's attempts, newest first, below `before` (a cursor's seq). */
  async attempts(endpointId: string, { before, take }: { before?: bigint; take: number }): Promise<WebhookAttempt[]> {
    const found = await this.scope.db.webhookEndpoint.findFirst({
      where: idFilter(endpointId),
      select: {
        attempts: { where: before === undefined ? {} : { seq: { lt: before } }, orderBy: { seq: 'desc' }, take },
      },
    });
    return found?.attempts ?? [];
  }

  private async checkUrl(url: string): Promise<string> {
    const check = await checkWebhookUrl(url.trim(), this.scope.shared.webhookPolicy);
    if (!check.ok) throw new BadUserInputError(check.reason, 'url');
    return check.url.toString();
  }

  private async resolveChannels(slugs: readonly string[]): Promise<ChannelRef[]> {
    return this.channels.resolve([...new Set(slugs)], 'channels');
  }

  async create(input: EndpointInput, selection: EndpointSelection): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
    const accountId = accountOf(this.scope);
    const url = await this.checkUrl(input.url);
    const channels = await this.resolveChannels(input.channels);
    const secret = newWebhookSecret();
    return audited(this.scope.db, actorOf(this.scope), async (tx) => {
      // Counted under a lock on the account's row, so that two creations at once cannot pass the limit together.
      await tx.$queryRaw`SELECT 1 FROM "Account" WHERE id = ${accountId}::uuid FOR UPDATE`;
      const count = await tx.webhookEndpoint.count({ where: { accountId } });
      if (count >= MAX_ENDPOINTS) {
        throw new BadUserInputError(`An account may have at most ${MAX_ENDPOINTS} webhook endpoints: delete one first.`, 'url');
      }
      const endpoint = (await tx.webhookEndpoint.create({
        ...selection,
        data: {
          accountId,
          url,
          description: input.description,
          events: input.events,
          secret,
          channels: { create: channels.map((c) => ({ channelId: c.id })) },
        },
      })) as WebhookEndpoint;
      const changes = createdFields(auditView({ ...input, url, enabled: true, channels: channels.map((c) => c.slug) }));
      return {
        result: { endpoint, secret },
        event: { action: 'WEBHOOK_ENDPOINT_CREATED', changes: { id: { before: null, after: endpoint.id }, ...changes } },
      };
    });
  }

  async update(id: string, changes: EndpointChanges, selection: EndpointSelection): Promise<WebhookEndpoint> {
    const url = changes.url === undefined ? undefined : await this.checkUrl(changes.url);
    const channels = changes.channels === undefined ? undefined : await this.resolveChannels(changes.channels);
    return audited(this.scope.db, actorOf(this.scope), async (tx) => {
      const before = await this.lock(tx, id);
      const enabling = changes.enabled === true && !before.enabled;
      const disabling = changes.enabled === false && before.enabled;
      const endpoint = (await tx.webhookEndpoint.update({
        ...selection,
        where: { id },
        data: {
          url,
          description: changes.description,
          events: changes.events,
          enabled: changes.enabled,
          // Enabled again: a clean slate (the 5 days count from the next failure).
          ...(enabling ? { disabledReason: null, failingSince: null } : {}),
          ...(disabling ? { disabledReason: DISABLED_BY_MEMBER } : {}),
          ...(channels ? { channels: { deleteMany: {}, create: channels.map((c) => ({ channelId: c.id })) } } : {}),
        },
      })) as WebhookEndpoint;
      const was = auditView({ ...before, channels: slugsOf(before) });
      const is = auditView({
        url: url ?? before.url,
        description: changes.description === undefined ? before.description : changes.description,
        events: changes.events ?? before.events,
        enabled: changes.enabled ?? before.enabled,
        channels: channels ? channels.map((c) => c.slug) : slugsOf(before),
      });
      return {
        result: endpoint,
        event: { action: 'WEBHOOK_ENDPOINT_UPDATED', changes: { id: { before: id, after: id }, ...changedFields(was, is) } },
      };
    });
  }

  /**
   * Deletes an endpoint with its log. A busy endpoint's log can be long: it is cleared a batch at a
   * time first, outside the deletion's transaction (which then stays short, and holds its locks
   * briefly against the worker recording tries); a deadlock with the worker is tried again.
   */
  async delete(id: string): Promise<{ id: string }> {
    const accountId = accountOf(this.scope);
    if (!isUuid(id)) throw new NotFoundError('Webhook endpoint', id);
    const { sql } = this.scope;
    const [owned] = await sql<{ id: string }>(
      Prisma.sql`SELECT id::text FROM "WebhookEndpoint" WHERE id = ${id}::uuid AND "accountId" = ${accountId}::uuid`,
    );
    if (!owned) throw new NotFoundError('Webhook endpoint', id);
    for (const table of [Prisma.raw('"WebhookAttempt"'), Prisma.raw('"WebhookDelivery"')]) {
      for (;;) {
        const [{ n }] = await sql<{ n: number }>(Prisma.sql`
          WITH gone AS (
            DELETE FROM ${table} WHERE ctid IN (SELECT ctid FROM ${table} WHERE "endpointId" = ${id}::uuid LIMIT ${PURGE_BATCH})
            RETURNING 1
          ) SELECT count(*)::int AS n FROM gone`);
        if (n < PURGE_BATCH) break;
      }
    }
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await audited(this.scope.db, actorOf(this.scope), async (tx) => {
          const before = await this.lock(tx, id);
          // What is left of its log goes with it; a job still queued finds nothing and ends.
          await tx.webhookEndpoint.delete({ where: { id }, select: { id: true } });
          const changes = changedFields({ id, ...auditView({ ...before, channels: slugsOf(before) }) }, { id: null, url: null });
          return { result: { id }, event: { action: 'WEBHOOK_ENDPOINT_DELETED', changes } };
        });
      } catch (error) {
        if (attempt >= 3 || !isDeadlock(error)) throw error;
      }
    }
  }

  /** A new secret; the previous one also signs every delivery until the grace ends (one roll's previous secret at most). */
  async roll(id: string, graceSeconds: number, selection: EndpointSelection): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
    const secret = newWebhookSecret();
    return audited(this.scope.db, actorOf(this.scope), async (tx) => {
      const before = await this.lock(tx, id);
      const graceEnds = graceSeconds > 0 ? new Date(Date.now() + graceSeconds * 1000) : null;
      const endpoint = (await tx.webhookEndpoint.update({
        ...selection,
        where: { id },
        data: { secret, previousSecret: graceEnds ? before.secret : null, previousSecretExpiresAt: graceEnds },
      })) as WebhookEndpoint;
      const changes = {
        id: { before: id, after: id },
        url: { before: before.url, after: before.url },
        previousSecretExpiresAt: { before: null, after: graceEnds?.toISOString() ?? null },
      };
      return { result: { endpoint, secret }, event: { action: 'WEBHOOK_SECRET_ROLLED', changes } };
    });
  }

  /** Queues an example event of this type to this one endpoint, as a real event is queued: its id is the webhook-id of its attempts. */
  async sendTest(id: string, type: WebhookEventType): Promise<{ eventId: string }> {
    const accountId = accountOf(this.scope);
    if (!isUuid(id)) throw new NotFoundError('Webhook endpoint', id);
    const now = new Date();
    const [row] = await this.scope.sql<{ found: boolean; enabled: boolean | null; eventId: string | null }>(Prisma.sql`
      WITH endpoint AS (SELECT id, enabled FROM "WebhookEndpoint" WHERE id = ${id}::uuid AND "accountId" = ${accountId}::uuid),
      hook_deliveries AS (
        INSERT INTO "WebhookDelivery" ("endpointId", "eventId", "eventType", data, "occurredAt")
        SELECT id, ${randomEventId}, ${type}::"WebhookEventType", ${JSON.stringify(exampleData(type, now))}::jsonb, ${now}
        FROM endpoint WHERE enabled
        RETURNING id, "eventId"
      ),
      ${queueJobs('hook_deliveries', 'hook_jobs')}
      SELECT EXISTS (SELECT 1 FROM endpoint) AS found, (SELECT enabled FROM endpoint) AS enabled,
             (SELECT "eventId" FROM hook_deliveries) AS "eventId", (SELECT count(*) FROM hook_jobs)::int AS queued`);
    if (!row.found) throw new NotFoundError('Webhook endpoint', id);
    if (!row.enabled || !row.eventId) throw new BadUserInputError('The endpoint is disabled: enable it to send it a test event.', 'id');
    return { eventId: row.eventId };
  }

  /** The endpoint, locked until the transaction ends; NOT_FOUND when the account has no such endpoint. */
  private async lock(tx: Prisma.TransactionClient, id: string): Promise<EndpointState> {
    if (!isUuid(id)) throw new NotFoundError('Webhook endpoint', id);
    const [row] = await tx.$queryRaw<{ id: string }[]>`
      SELECT id FROM "WebhookEndpoint" WHERE id = ${id}::uuid AND "accountId" = ${accountOf(this.scope)}::uuid FOR UPDATE`;
    if (!row) throw new NotFoundError('Webhook endpoint', id);
    return tx.webhookEndpoint.findFirstOrThrow({ where: { id }, include: withChannels });
  }
}
