// The delivery worker: a graphile-worker runner inside every Herald instance,
// on a pool of its own (WEBHOOK_CONCURRENCY deliveries at once), taking the
// jobs that send and markInbox queued. Each job is one try of one delivery:
// load it, sign it, POST it, record the try, and (when it failed and a try is
// left) queue the next one at the schedule's time, all in one statement. The
// webhook-id is the delivery's event id, the same on every try.
//
// Once across the fleet: graphile-worker locks a job with SKIP LOCKED, so one
// instance runs it. A killed instance's locked jobs are released by every
// other instance (and by itself after a restart) once locked for longer than
// WEBHOOK_LOCK_TIMEOUT_MS (graphile-worker's own release waits 4 hours), and
// a try recorded twice is recorded once: it is only recorded over the one before.
import { setTimeout as sleep } from 'node:timers/promises';
import DataLoader from 'dataloader';
import { type Runner, run, Logger as WorkerLogger } from 'graphile-worker';
import pg from 'pg';
import type { WebhookConfig } from '../config.ts';
import { classifyDatabaseFailure } from '../db/outage.ts';
import type { Logger } from '../logger.ts';
import type { AddressPolicy } from './address-policy.ts';
import { DELIVER_TASK, JOB_MAX_ATTEMPTS } from './enqueue.ts';
import { eventBody, type WebhookEventType } from './events.ts';
import { type PostResult, post } from './post.ts';
import { DISABLE_AFTER_FAILING_MS, retryDelay } from './schedule.ts';
import { signedHeaders } from './signing.ts';

interface DeliveryRow {
  id: string;
  eventId: string;
  eventType: WebhookEventType;
  data: Record<string, unknown> | null;
  occurredAt: Date;
  status: 'PENDING' | 'SUCCEEDED' | 'FAILED';
  attempts: number;
  url: string;
  enabled: boolean;
  secret: string;
  previousSecret: string | null;
  failingSince: Date | null;
  messageId: string | null;
  title: string | null;
  body: string | null;
  messageData: Record<string, unknown> | null;
  channelSlugs: string[] | null;
  recipientCount: number | null;
}

/** The deliveries the tries that start together need, in one statement (a batch of jobs starts at once under load). */
const LOAD = `
  SELECT d.id, d."eventId", d."eventType", d.data, d."occurredAt", d.status, d.attempts,
         e.url, e.enabled, e.secret, e."failingSince",
         CASE WHEN e."previousSecretExpiresAt" > now() THEN e."previousSecret" END AS "previousSecret",
         m.id::text AS "messageId", m.title, m.body, m.data AS "messageData", m."channelSlugs", m."recipientCount"
  FROM "WebhookDelivery" d JOIN "WebhookEndpoint" e ON e.id = d."endpointId"
  LEFT JOIN "Message" m ON m.id = d."messageId" AND d."eventType" = 'MESSAGE_SENT' AND d.data IS NULL
  WHERE d.id = ANY($1::uuid[])`;

/**
 * One try, recorded: the delivery (only over the try before, so that a try
 * run twice is recorded once), the attempt, the endpoint's health (written
 * only when it changes, or at most once a minute on success: a busy endpoint
 * is not one hot row) and the next try's job.
 */
const RECORD = `
  WITH d AS (
    UPDATE "WebhookDelivery" SET attempts = $2, status = $3::"WebhookStatus", "nextAttemptAt" = $4
    WHERE id = $1::uuid AND attempts = $2 - 1 AND status = 'PENDING'
    RETURNING id, "endpointId", "eventId", "eventType", "messageId"
  ),
  attempt AS (
    INSERT INTO "WebhookAttempt" ("endpointId", "deliveryId", "eventId", "eventType", "messageId", status, attempt,
                                  "responseStatus", "durationMs", error, "responseBody", "nextAttemptAt")
    SELECT d."endpointId", d.id, d."eventId", d."eventType", d."messageId", $3::"WebhookStatus", $2, $5, $6, $7, $8, $4 FROM d
  ),
  endpoint AS (
    UPDATE "WebhookEndpoint" e SET
      "lastSuccessAt" = CASE WHEN $9 THEN now() ELSE e."lastSuccessAt" END,
      "failingSince" = CASE WHEN $9 THEN NULL ELSE coalesce(e."failingSince", now()) END,
      enabled = e.enabled AND $10::text IS NULL,
      "disabledReason" = coalesce($10::text, e."disabledReason")
    FROM d
    WHERE e.id = d."endpointId" AND e.enabled AND (
      $10::text IS NOT NULL
      OR ($9 AND (e."failingSince" IS NOT NULL OR e."lastSuccessAt" IS NULL OR e."lastSuccessAt" < now() - interval '1 minute'))
      OR (NOT $9 AND e."failingSince" IS NULL)
    )
  ),
  next AS (
    SELECT graphile_worker.add_job('${DELIVER_TASK}', json_build_object('d', d.id, 'n', $2 + 1), run_at := $4, max_attempts := ${JOB_MAX_ATTEMPTS}::smallint)
    FROM d WHERE $4::timestamptz IS NOT NULL
  )
  SELECT (SELECT count(*) FROM d)::int AS recorded, (SELECT count(*) FROM next)::int AS queued`;

/** Jobs of instances that hold them too long (killed mid-flight) go back to the queue. */
const RELEASE_STALE = `
  SELECT graphile_worker.force_unlock_workers(array_agg(DISTINCT locked_by))
  FROM graphile_worker.jobs
  WHERE locked_at < now() - make_interval(secs => $1::float8 / 1000) AND locked_by IS NOT NULL`;

export const GONE_REASON = 'The endpoint answered 410 Gone.';
export const FAILING_REASON = 'No successful delivery for 5 days.';

export interface WebhookWorkerOptions {
  /** The database (the same one the application uses). */
  url: string;
  config: WebhookConfig;
  production: boolean;
  logger: Logger;
  /** How long a shutdown gives deliveries in flight before it interrupts them (they are tried again later). */
  abortAfterMs: number;
}

function workerLogger(logger: Logger): WorkerLogger {
  return new WorkerLogger(() => (level, message, meta) => {
    // A database that cannot serve is an outage, which the application logs once when it starts and once when it
    // ends (src/db/outage.ts): graphile-worker's own retries (its listener, its polls) add no line per try.
    if (classifyDatabaseFailure((meta as { error?: unknown } | undefined)?.error)) return;
    if (level === 'error') logger.error(`webhook queue: ${message}`);
    else if (level === 'warning') logger.warn(`webhook queue: ${message}`);
  });
}

/** How long the worker waits before trying to start again when the database cannot be reached. */
const RESTART_AFTER_MS = 2_000;

export class WebhookWorker {
  private readonly pool: pg.Pool;
  private runner: Runner | null = null;
  private stopped = false;
  private readonly sweep: NodeJS.Timeout;
  private launching: Promise<void>;

  /**
   * Starts in the background: an instance serves (and answers /ready with 503) even while the
   * database is unreachable; the worker starts when it can, and starts again if its runner stops.
   */
  constructor(private readonly options: WebhookWorkerOptions) {
    const { url, config, logger } = options;
    this.pool = new pg.Pool({ connectionString: url, max: config.concurrency + 3, idleTimeoutMillis: 30_000 });
    // A connection that breaks (idle or checked out) is replaced; an outage is the outage tracker's to log.
    this.pool.on('error', () => {});
    this.pool.on('connect', (client) => client.on('error', () => {}));
    // A database outage is the outage tracker's to log (once), not this timer's every few seconds.
    const failed = (error: unknown) => {
      if (!classifyDatabaseFailure(error)) logger.warn({ err: error }, 'releasing webhook jobs of stopped instances failed');
    };
    this.sweep = setInterval(
      () => void this.pool.query(RELEASE_STALE, [config.lockTimeoutMs]).catch(failed),
      Math.min(15_000, Math.max(250, Math.floor(config.lockTimeoutMs / 4))),
    );
    this.sweep.unref();
    this.launching = this.launch();
  }

  /** Resolves once the runner takes jobs (tests wait for it; the server does not). */
  get started(): Promise<void> {
    return this.launching;
  }

  private async launch(): Promise<void> {
    const { config, production, logger, abortAfterMs } = this.options;
    const policy: AddressPolicy = { allowPrivateNetworks: config.allowPrivateNetworks, production };
    const pool = this.pool;
    const load = new DataLoader<string, DeliveryRow | null>(
      async (ids) => {
        const { rows } = await pool.query<DeliveryRow>({ name: 'webhook_load', text: LOAD, values: [ids] });
        const byId = new Map(rows.map((row) => [row.id, row]));
        return ids.map((id) => byId.get(id) ?? null);
      },
      { cache: false, maxBatchSize: 100 },
    );
    const deliver = async (payload: unknown, helpers: { abortSignal?: AbortSignal }) => {
      const { d, n } = payload as { d: string; n: number };
      await deliverOnce(pool, (id) => load.load(id), d, n, { config, policy, signal: helpers.abortSignal });
    };
    let logged = false;
    while (!this.stopped) {
      try {
        const runner = await run({
          pgPool: pool,
          concurrency: config.concurrency,
          noHandleSignals: true,
          pollInterval: 1_000,
          taskList: { [DELIVER_TASK]: deliver },
          logger: workerLogger(logger),
          gracefulShutdownAbortTimeout: abortAfterMs,
          preset: {
            worker: {
              // Jobs fetched a batch at a time and completed a batch at a time: a few statements for many
              // deliveries under load. A batch waits locally for less than half the time a job may stay
              // locked beyond its try (WEBHOOK_LOCK_TIMEOUT_MS), so no live instance's job is taken back.
              localQueue: { size: config.concurrency * 2, ttl: Math.max(500, Math.floor((config.lockTimeoutMs - config.timeoutMs) / 2)) },
              completeJobBatchDelay: 5,
              failJobBatchDelay: 5,
            },
          },
        });
        if (this.stopped) {
          await runner.stop().catch(() => {});
          return;
        }
        this.runner = runner;
        if (logged) logger.info('the webhook queue runs again');
        // It ends only when stopped, or when the queue cannot go on: then it starts again.
        runner.promise.then(
          () => {},
          (error) => {
            if (this.stopped || this.runner !== runner) return;
            this.runner = null;
            if (!classifyDatabaseFailure(error)) logger.error({ err: error }, 'the webhook queue stopped: starting it again');
            this.launching = sleep(RESTART_AFTER_MS, undefined, { ref: false }).then(() => this.launch());
          },
        );
        return;
      } catch (error) {
        if (!logged && !classifyDatabaseFailure(error)) logger.error({ err: error }, 'the webhook queue cannot start: trying again');
        logged = true;
        await sleep(RESTART_AFTER_MS, undefined, { ref: false });
      }
    }
  }

  /** Takes no new job; the deliveries in flight finish (or are interrupted, and tried again later); then the pool closes. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.sweep);
    await this.runner?.stop().catch(() => {});
    await this.pool.end().catch(() => {});
  }
}

interface TryOptions {
  config: WebhookConfig;
  policy: AddressPolicy;
  signal?: AbortSignal;
}

/** What a delivery's event says: the message's own fields for message.sent, the stored data otherwise. */
function eventData(row: DeliveryRow): unknown {
  if (row.data !== null || row.messageId === null) return row.data;
  return {
    id: row.messageId,
    title: row.title,
    body: row.body,
    data: row.messageData,
    channels: row.channelSlugs ?? [],
    recipientCount: row.recipientCount,
  };
}

/** Try `n` of one delivery (a try already recorded, or a delivery no longer pending, is not made again). */
export async function deliverOnce(
  pool: pg.Pool,
  load: (deliveryId: string) => Promise<DeliveryRow | null>,
  deliveryId: string,
  n: number,
  { config, policy, signal }: TryOptions,
): Promise<void> {
  const row = await load(deliveryId);
  // Deleted with its endpoint, already decided, or this try was made and recorded (a job run twice).
  if (row?.status !== 'PENDING' || row.attempts >= n) return;
  if (!row.enabled) {
    await record(
      pool,
      row,
      n,
      { status: null, durationMs: 0, error: 'Not sent: the endpoint is disabled.', responseBody: null },
      null,
      null,
    );
    return;
  }
  const body = eventBody(row.eventType, row.occurredAt, eventData(row));
  const secrets = row.previousSecret ? [row.secret, row.previousSecret] : [row.secret];
  const headers = signedHeaders(secrets, row.eventId, new Date(), body);
  const result = await post(row.url, headers, body, { timeoutMs: config.timeoutMs, policy, signal });
  const ok = result.status !== null && result.status >= 200 && result.status < 300;
  let disable: string | null = null;
  if (result.status === 410) disable = GONE_REASON;
  else if (!ok && row.failingSince && Date.now() - row.failingSince.getTime() >= DISABLE_AFTER_FAILING_MS) disable = FAILING_REASON;
  const delay = ok || disable ? null : retryDelay(n, config.retryDelaysMs);
  await record(pool, row, n, result, delay === null ? null : new Date(Date.now() + delay), disable, ok);
}

async function record(
  pool: pg.Pool,
  row: DeliveryRow,
  n: number,
  result: PostResult,
  nextAt: Date | null,
  disable: string | null,
  ok = false,
): Promise<void> {
  const status = ok ? 'SUCCEEDED' : nextAt ? 'PENDING' : 'FAILED';
  await pool.query({
    name: 'webhook_record',
    text: RECORD,
    values: [row.id, n, status, nextAt, result.status, result.durationMs, result.error, result.responseBody, ok, disable],
  });
}
