// Webhook fixtures: a receiver per test file, an endpoint per test on a path of its own.
import { randomUUID } from 'node:crypto';
import type { CreateWebhookEndpointInput } from '../generated/graphql.ts';
import { CreateWebhookEndpoint, WebhookAttempts } from './documents.ts';
import type { TestAccount } from './fixtures.ts';
import { dataOf } from './herald.ts';
import type { WebhookReceiver } from './webhook-receiver.ts';

export interface TestEndpoint {
  id: string;
  secret: string;
  /** The receiver's path the endpoint posts to. */
  path: string;
}

/** An endpoint of this account posting to the receiver (at a path of its own). */
export async function createEndpoint(
  account: TestAccount,
  receiver: WebhookReceiver,
  input: Partial<CreateWebhookEndpointInput> = {},
): Promise<TestEndpoint> {
  const path = `/hooks/${randomUUID()}`;
  const { createWebhookEndpoint } = dataOf(
    await account.run(CreateWebhookEndpoint, { input: { url: `${receiver.url}${path}`, ...input } }),
  );
  return { id: createWebhookEndpoint.endpoint.id, secret: createWebhookEndpoint.secret, path };
}

/** The attempt log of one of the account's endpoints, newest first. */
export async function attemptsOf(account: TestAccount, endpointId: string, first = 100) {
  const { webhookEndpoint: endpoint } = dataOf(await account.run(WebhookAttempts, { id: endpointId, first }));
  if (!endpoint) throw new Error(`no endpoint ${endpointId}`);
  return endpoint.attempts.edges.map((e) => e.node);
}

/** Waits until the endpoint's log has `count` attempts (within `timeoutMs`). */
export async function waitForAttempts(account: TestAccount, endpointId: string, count: number, timeoutMs = 5_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const attempts = await attemptsOf(account, endpointId);
    if (attempts.length >= count) return attempts;
    if (Date.now() > deadline) throw new Error(`${attempts.length} of ${count} attempts logged within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
