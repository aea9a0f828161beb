// The delivery rules that need no server: the retry schedule and its defaults,
// the timeout's default, the cut of a response body, and the signatures.

import { Webhook } from 'standardwebhooks';
import { describe, expect, test } from 'vitest';
import { ConfigError, loadConfig, SVIX_RETRY_DELAYS_MS } from '../../src/config.ts';
import { eventBody } from '../../src/webhooks/events.ts';
import { cutBody, RESPONSE_BODY_BYTES } from '../../src/webhooks/post.ts';
import { retryDelay } from '../../src/webhooks/schedule.ts';
import { newWebhookSecret, signedHeaders } from '../../src/webhooks/signing.ts';

describe('the retry schedule', () => {
  test("by default Svix's: at once, then 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h; and a 15 s timeout", () => {
    const { webhooks } = loadConfig({});
    expect(webhooks.retryDelaysMs).toEqual([5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000]);
    expect(webhooks.retryDelaysMs).toBe(SVIX_RETRY_DELAYS_MS);
    expect(webhooks.timeoutMs).toBe(15_000);
    expect(webhooks.allowPrivateNetworks).toBe(false);
    expect(webhooks.concurrency).toBeGreaterThan(0);
  });

  test('each wait within 10 % of the schedule; none after the last', () => {
    for (const random of [0, 0.5, 0.999]) {
      SVIX_RETRY_DELAYS_MS.forEach((base, i) => {
        const delay = retryDelay(i + 1, SVIX_RETRY_DELAYS_MS, () => random) as number;
        expect(delay).toBeGreaterThanOrEqual(base * 0.9);
        expect(delay).toBeLessThanOrEqual(base * 1.1);
      });
    }
    // 8 tries in all: the first, then 7 retries.
    expect(retryDelay(8, SVIX_RETRY_DELAYS_MS)).toBeNull();
  });

  test('the settings are validated with a clear message', () => {
    expect(loadConfig({ WEBHOOK_RETRY_SCHEDULE_MS: '100, 200' }).webhooks.retryDelaysMs).toEqual([100, 200]);
    expect(() => loadConfig({ WEBHOOK_RETRY_SCHEDULE_MS: '5s' })).toThrow(ConfigError);
    expect(() => loadConfig({ WEBHOOK_CONCURRENCY: '201' })).toThrow(/WEBHOOK_CONCURRENCY/);
    expect(() => loadConfig({ WEBHOOK_CONCURRENCY: '-1' })).toThrow(/WEBHOOK_CONCURRENCY/);
    expect(loadConfig({ WEBHOOK_CONCURRENCY: '0' }).webhooks.concurrency).toBe(0);
    expect(loadConfig({ WEBHOOK_CONCURRENCY: '32' }).webhooks.concurrency).toBe(32);
    expect(() => loadConfig({ WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'maybe' })).toThrow(/WEBHOOK_ALLOW_PRIVATE_NETWORKS/);
    expect(loadConfig({ WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true' }).webhooks.allowPrivateNetworks).toBe(true);
    expect(() => loadConfig({ WEBHOOK_TIMEOUT_MS: '20000', WEBHOOK_LOCK_TIMEOUT_MS: '15000' })).toThrow(/WEBHOOK_LOCK_TIMEOUT_MS/);
  });
});

describe('the response body kept', () => {
  test('cut to 1 KB at most, on a character boundary, without NUL', () => {
    expect(cutBody(Buffer.from('x'.repeat(5_000)))).toHaveLength(RESPONSE_BODY_BYTES);
    const euros = cutBody(Buffer.from('€'.repeat(1_000)));
    expect(Buffer.byteLength(euros)).toBeLessThanOrEqual(RESPONSE_BODY_BYTES);
    expect(euros).toBe('€'.repeat(341));
    expect(cutBody(Buffer.from('a\u0000b'))).toBe('ab');
    const invalid = cutBody(Buffer.alloc(2_000, 0xff));
    expect(Buffer.byteLength(invalid)).toBeLessThanOrEqual(RESPONSE_BODY_BYTES);
    expect(cutBody(Buffer.from('short'))).toBe('short');
  });
});

describe('signatures', () => {
  test('a secret is whsec_ and 24 random bytes, and standardwebhooks verifies what it signs', () => {
    const secret = newWebhookSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    expect(Buffer.from(secret.slice(6), 'base64')).toHaveLength(24);
    expect(newWebhookSecret()).not.toBe(secret);
    const body = eventBody('MESSAGE_SENT', new Date('2026-01-01T00:00:00Z'), { id: 'm' });
    const headers = signedHeaders([secret], 'evt_1', new Date(), body);
    expect(new Webhook(secret).verify(body, headers)).toEqual({
      type: 'message.sent',
      timestamp: '2026-01-01T00:00:00.000Z',
      data: { id: 'm' },
    });
    // The refused twin: a body changed in transit.
    expect(() => new Webhook(secret).verify(`${body} `, headers)).toThrow();
  });

  test('with two secrets, two signatures, each verifiable on its own', () => {
    const [current, previous] = [newWebhookSecret(), newWebhookSecret()];
    const headers = signedHeaders([current, previous], 'evt_2', new Date(), '{}');
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    for (const secret of [current, previous]) expect(() => new Webhook(secret).verify('{}', headers)).not.toThrow();
    expect(() => new Webhook(newWebhookSecret()).verify('{}', headers)).toThrow();
  });
});
