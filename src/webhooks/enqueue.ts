// Webhook events are queued in the statement that makes them happen (send's,
// markInbox's): a delivery row per matching endpoint and a graphile-worker job
// for each (graphile_worker.add_jobs, one call for all of them), committed
// with the change or not at all. An account without an enabled endpoint for
// the event pays one index probe, and add_jobs is not called.
import { Prisma } from '../generated/prisma/client.ts';

/** The task that delivers one WebhookDelivery (src/webhooks/worker.ts). */
export const DELIVER_TASK = 'webhook';
/** Attempts graphile-worker itself makes of a job whose task throws (a database failure while recording a try). */
export const JOB_MAX_ATTEMPTS = 10;

/** An event id (the webhook-id header): evt_ and 32 hex digits. */
export const randomEventId = Prisma.sql`'evt_' || replace(gen_random_uuid()::text, '-', '')`;

/** CTEs queueing the job of each delivery in the CTE `deliveries` (with an `id` column), for try `n = 1`; `jobs` lists them. */
export function queueJobs(deliveries: string, jobs: string): Prisma.Sql {
  return Prisma.sql`
    ${Prisma.raw(jobs)} AS (
      SELECT j.id FROM (
        SELECT array_agg(ROW(${DELIVER_TASK}, json_build_object('d', id, 'n', 1), NULL, NULL, ${JOB_MAX_ATTEMPTS}, NULL, NULL, NULL)::graphile_worker.job_spec) AS specs
        FROM ${Prisma.raw(deliveries)}
      ) AS s CROSS JOIN LATERAL graphile_worker.add_jobs(s.specs) AS j
      WHERE s.specs IS NOT NULL
    )`;
}

/** The endpoints of an account that take this event, as a condition on `e` ("WebhookEndpoint"). */
function takes(accountId: string, type: 'MESSAGE_SENT' | 'INBOX_ITEM_READ'): Prisma.Sql {
  return Prisma.sql`e."accountId" = ${accountId}::uuid AND e.enabled AND ${type}::"WebhookEventType" = ANY(e.events)`;
}

/**
 * send's CTEs after `message` (the inserted message): one message.sent
 * delivery for each enabled endpoint whose channels meet the message's (or
 * that has none), and its job. `hook_jobs` lists the jobs.
 */
export function messageSentEvents(accountId: string, channelIds: readonly string[]): Prisma.Sql {
  return Prisma.sql`
    hook_deliveries AS (
      INSERT INTO "WebhookDelivery" ("endpointId", "eventId", "eventType", "messageId", "occurredAt")
      SELECT e.id, 'evt_' || replace(message.id::text, '-', ''), 'MESSAGE_SENT', message.id, message."createdAt"
      FROM message JOIN "WebhookEndpoint" e ON ${takes(accountId, 'MESSAGE_SENT')}
      WHERE NOT EXISTS (SELECT 1 FROM "WebhookEndpointChannel" c WHERE c."endpointId" = e.id)
         OR EXISTS (SELECT 1 FROM "WebhookEndpointChannel" c WHERE c."endpointId" = e.id AND c."channelId" = ANY(${channelIds}::uuid[]))
      RETURNING id
    ),
    ${queueJobs('hook_deliveries', 'hook_jobs')}`;
}

/**
 * markInbox's CTEs after `changed` (the items that became read: "messageId",
 * "readAt"): one inbox.item.read delivery per item and enabled endpoint whose
 * channels meet the message's (or that has none), and its job.
 */
export function inboxReadEvents(accountId: string, externalId: Prisma.Sql): Prisma.Sql {
  return Prisma.sql`
    read_events AS MATERIALIZED (
      SELECT ch."messageId", ch."readAt", ${randomEventId} AS "eventId" FROM changed ch WHERE ch."readAt" IS NOT NULL
    ),
    hook_deliveries AS (
      INSERT INTO "WebhookDelivery" ("endpointId", "eventId", "eventType", "messageId", data, "occurredAt")
      SELECT e.id, r."eventId", 'INBOX_ITEM_READ', r."messageId",
             jsonb_build_object('messageId', r."messageId", 'externalId', ${externalId}, 'readAt', to_char(r."readAt" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')),
             r."readAt"
      FROM read_events r JOIN "WebhookEndpoint" e ON ${takes(accountId, 'INBOX_ITEM_READ')}
      WHERE NOT EXISTS (SELECT 1 FROM "WebhookEndpointChannel" c WHERE c."endpointId" = e.id)
         OR EXISTS (
           SELECT 1 FROM "WebhookEndpointChannel" c JOIN "MessageChannel" mc ON mc."channelId" = c."channelId"
           WHERE c."endpointId" = e.id AND mc."messageId" = r."messageId"
         )
      RETURNING id
    ),
    ${queueJobs('hook_deliveries', 'hook_jobs')}`;
}
