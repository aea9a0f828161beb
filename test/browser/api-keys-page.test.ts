// The API Keys page in headless Chromium (Debian's /usr/bin/chromium driven by
// playwright-core) against a real Herald process, at 1280 px: the walkthrough
// of the product's documentation, by mouse and by keyboard, checked through the
// API, scanned by axe-core.
// Run with `npm run test:browser` (in .ci/run; the plain `npm test` leaves it out, as it does the fleet).
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CreateApiKey, CreateChannel, CreateRecipient } from '../support/documents.ts';
import { startServer, stop } from '../support/server-process.ts';
import {
  axeScan,
  type Dashboard,
  escapeRegExp,
  expectNoSideways,
  gql,
  graphqlRequests,
  keyCount,
  keyRow,
  memberToken,
  openTab,
  pageHolds,
  pw,
  SECRET,
  send as sendWith,
  shownSecret,
  startDashboard,
  tabTo,
} from './harness.ts';

const SCREENSHOT = resolve(import.meta.dirname, '../../docs/api-keys-page.png');
const WEIGHT_BUDGET = 400 * 1024;

let dashboard: Dashboard;
let base: string;
let page: Page;
let member: string;

const send = (secret: string, channels?: string[]) => sendWith(base, secret, channels);
const row = (name: string) => keyRow(page, name);

/** Loads / in a new context: the document, script and stylesheet transferred (headers and bodies), and when the page was interactive. */
async function firstVisit() {
  const visit = await dashboard.browser.newContext({ baseURL: base });
  const tab = await visit.newPage();
  const loaded: { url: string; type: string; bytes: number }[] = [];
  const sized: Promise<void>[] = [];
  tab.on('requestfinished', (request) => {
    const type = request.resourceType();
    if (!['document', 'script', 'stylesheet'].includes(type)) return;
    sized.push(
      request.sizes().then((sizes) => {
        loaded.push({ url: request.url(), type, bytes: sizes.responseHeadersSize + sizes.responseBodySize });
      }),
    );
  });
  await tab.goto('/', { waitUntil: 'load' });
  await tab.getByRole('button', { name: 'Sign in' }).waitFor();
  // The page marks itself once rendered with its handlers attached (web/src/main.tsx); ms from navigation start.
  const interactiveMs = await tab.evaluate(() => performance.getEntriesByName('herald-interactive')[0]?.startTime ?? Number.NaN);
  await tab.waitForLoadState('networkidle');
  await Promise.all(sized);
  await visit.close();
  return { weight: loaded.reduce((sum, r) => sum + r.bytes, 0), interactiveMs, loaded };
}

describe('the API Keys page in Chromium', () => {
  beforeAll(async () => {
    dashboard = await startDashboard();
    base = dashboard.base;
    member = await memberToken({ subject: 'idp|dana', accountSlug: 'acme', name: 'Dana Scully', email: 'dana@acme.test' });
    for (const slug of ['marketing', 'ops']) {
      expect((await gql(base, member, CreateChannel, { input: { slug, name: slug === 'ops' ? 'Operations' : 'Marketing' } })).status).toBe(
        200,
      );
      expect((await gql(base, member, CreateRecipient, { input: { externalId: `${slug}-1`, channels: [slug] } })).status).toBe(200);
    }
    page = await openTab(dashboard);
  }, 120_000);

  afterAll(async () => {
    await dashboard?.close();
  });

  test('GET / serves the page: transferred weight under 400 KB, interactive within 1 s; hashed assets cached for a year', async () => {
    // Each load in a fresh context (an empty HTTP cache), as a first visit; the median of three.
    const loads: { weight: number; interactiveMs: number; loaded: { url: string; type: string; bytes: number }[] }[] = [];
    for (let i = 0; i < 3; i += 1) loads.push(await firstVisit());
    loads.sort((a, b) => a.interactiveMs - b.interactiveMs);
    const { weight, interactiveMs, loaded } = loads[1];
    console.log(
      `[dashboard] transferred ${(weight / 1024).toFixed(1)} KB in ${loaded.length} responses (${loaded.map((r) => `${r.type} ${(r.bytes / 1024).toFixed(1)} KB`).join(', ')}); interactive at ${interactiveMs.toFixed(0)} ms (median of ${loads.map((l) => l.interactiveMs.toFixed(0)).join(', ')} ms)`,
    );
    expect(loaded.map((r) => r.type).sort()).toEqual(['document', 'script', 'stylesheet']);
    expect(weight).toBeLessThan(WEIGHT_BUDGET);
    expect(interactiveMs).toBeLessThan(1000);

    await page.goto('/');
    await pw(page.getByRole('button', { name: 'Sign in' })).toBeEnabled();
    const index = await fetch(`${base}/`);
    expect(index.headers.get('cache-control')).toBe('no-cache');
    const script = loaded.find((r) => r.type === 'script')!.url;
    expect(new URL(script).pathname).toMatch(/^\/assets\/main-[A-Z0-9]+\.js$/);
    const asset = await fetch(script);
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect((await fetch(`${base}/assets/main-NOTHERE.js`)).status).toBe(404);
    expect(
      (
        await fetch(`${base}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{"query":"{__typename}"}',
        })
      ).status,
    ).toBe(200);
  });

  test('the sign-in page passes axe, with no sideways scrolling', async () => {
    await axeScan(page, 'the sign-in page');
    await expectNoSideways(page, 'the sign-in page');
  });

  test('a wrong token is refused in the server words; a pasted member token signs in for this tab', async () => {
    await page.getByLabel('Member token').fill('not-a-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await pw(page.getByLabel('Member token')).toHaveAccessibleDescription(/invalid or expired|Authentication/);
    await page.getByLabel('Member token').fill(member);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await pw(page.getByRole('heading', { name: 'API Keys', level: 1 })).toBeVisible();
    expect(await page.evaluate((token) => Object.values(sessionStorage).includes(token), member)).toBe(true);
    expect(await page.evaluate(() => localStorage.length)).toBe(0);
  });

  test('the Channels page creates a channel; a bad slug is caught beside its field before any request, a taken one is refused in the server words', async () => {
    await page.getByRole('link', { name: 'Channels' }).click();
    await pw(page.getByRole('heading', { name: 'Channels', level: 1 })).toBeVisible();
    const slug = page.getByLabel('Slug');
    await pw(slug).toHaveAccessibleDescription(/Lowercase letters, digits and "-", 1 to 64 characters/);
    const requests = await graphqlRequests(page, async () => {
      await slug.fill('Not A Slug');
      await pw(slug).toHaveAccessibleDescription(/Only lowercase letters, digits and "-", 1 to 64 of them\./);
      await page.getByLabel('Name').fill('Bad');
      await page.getByRole('button', { name: 'Create Channel' }).click();
      await pw(slug).toHaveAttribute('aria-invalid', 'true');
    });
    expect(requests).toBe(0);
    // The server's own rule says the same of that slug.
    expect((await gql(base, member, CreateChannel, { input: { slug: 'Not A Slug', name: 'Bad' } })).body.errors[0].extensions.field).toBe(
      'slug',
    );

    await slug.fill('marketing');
    await page.getByRole('button', { name: 'Create Channel' }).click();
    const taken = await gql(base, member, CreateChannel, { input: { slug: 'marketing', name: 'Bad' } });
    await pw(slug).toHaveAccessibleDescription(new RegExp(escapeRegExp(taken.body.errors[0].message)));

    await slug.fill('test-devices');
    await page.getByLabel('Name').fill('Test devices');
    await page.getByRole('button', { name: 'Create Channel' }).click();
    await pw(page.getByRole('cell', { name: 'Test devices' })).toBeVisible();
    await pw(page.getByRole('status')).toHaveText('Channel test-devices created.');
    expect(await slug.getAttribute('aria-invalid')).toBeNull();
    await axeScan(page, 'the Channels page');
    await expectNoSideways(page, 'the Channels page');
  });

  let scoped: { secret: string; rolled?: string };

  test('creates a Channel Scoped key: the secret is shown once, Copy puts it on the clipboard, after Done and a reload it is gone', async () => {
    await page.getByRole('link', { name: 'API Keys' }).click();
    await page.getByRole('button', { name: 'Create API Key' }).click();
    const dialog = page.getByRole('dialog', { name: 'Create API Key' });
    await pw(dialog).toBeVisible();
    // The channels appear only for Channel Scoped.
    await pw(dialog.getByRole('checkbox')).toHaveCount(0);
    await dialog.getByLabel('Name').fill('Marketing backend');
    await dialog.getByRole('radio', { name: /Channel Scoped/ }).check();
    await pw(dialog.getByRole('checkbox')).toHaveCount(3);
    await dialog.getByRole('checkbox', { name: 'marketing' }).check();
    await dialog.getByRole('button', { name: 'Create API Key' }).click();

    const shown = page.getByRole('dialog', { name: /created/ });
    await pw(shown).toContainText('cannot be shown again');
    const secret = await shownSecret(page);
    expect(secret).toMatch(/^hrld_[0-9A-Za-z]{38}$/);
    await shown.getByRole('button', { name: 'Copy' }).click();
    await pw(shown.getByRole('status')).toHaveText('Copied to the clipboard.');
    expect((await page.evaluate(() => navigator.clipboard.readText())) === secret, 'the clipboard holds the secret').toBe(true);
    // Copied: Done closes at once.
    await shown.getByRole('button', { name: 'Done' }).click();
    await pw(page.getByRole('dialog')).toHaveCount(0);
    // Focus is back on the button that opened the dialog.
    await pw(page.getByRole('button', { name: 'Create API Key' })).toBeFocused();

    await pw(row('Marketing backend')).toContainText('marketing');
    await pw(row('Marketing backend')).toContainText('Active');
    await pw(row('Marketing backend')).toContainText('by Dana Scully');
    expect(await pageHolds(page, secret), 'the page still holds the secret').toBe(false);
    await page.reload();
    await pw(row('Marketing backend')).toBeVisible();
    expect(await pageHolds(page, secret), 'the page holds the secret after a reload').toBe(false);
    scoped = { secret };
  });

  test('a send with the new key succeeds within its channels and gets 403 outside them', async () => {
    expect((await send(scoped.secret, ['marketing'])).status).toBe(200);
    expect((await send(scoped.secret)).status).toBe(200);
    const outside = await send(scoped.secret, ['ops']);
    expect(outside.status).toBe(403);
  });

  test('Edit API Key changes its channels; the next send follows the change', async () => {
    await row('Marketing backend').getByRole('button', { name: 'Edit API Key' }).click();
    const dialog = page.getByRole('dialog', { name: 'Edit API Key' });
    await pw(dialog.getByLabel('Name')).toHaveValue('Marketing backend');
    await pw(dialog.getByRole('radio', { name: /Channel Scoped/ })).toBeChecked();
    await pw(dialog.getByRole('checkbox', { name: 'marketing' })).toBeChecked();
    await dialog.getByRole('checkbox', { name: 'marketing' }).uncheck();
    await dialog.getByRole('checkbox', { name: 'ops' }).check();
    await dialog.getByRole('button', { name: 'Save' }).click();
    await pw(page.getByRole('dialog')).toHaveCount(0);
    await pw(row('Marketing backend').getByRole('list', { name: 'Channels' })).toHaveText('ops');
    expect((await send(scoped.secret, ['ops'])).status).toBe(200);
    expect((await send(scoped.secret, ['marketing'])).status).toBe(403);
  });

  test('Roll with a grace period: the new secret is shown once and both secrets work', async () => {
    await row('Marketing backend').getByRole('button', { name: 'Roll' }).click();
    const dialog = page.getByRole('dialog', { name: 'Roll Marketing backend' });
    await dialog.getByRole('radio', { name: '1 hour' }).check();
    await dialog.getByRole('button', { name: 'Roll' }).click();
    const rolled = await shownSecret(page);
    expect(rolled !== scoped.secret, 'a new secret').toBe(true);
    const shown = page.getByRole('dialog', { name: 'New secret for Marketing backend' });
    await pw(shown).toContainText('cannot be shown again');
    await shown.getByRole('button', { name: 'Copy' }).click();
    await shown.getByRole('button', { name: 'Done' }).click();
    await pw(page.getByRole('dialog')).toHaveCount(0);
    expect(await pageHolds(page, rolled), 'the page still holds the new secret').toBe(false);
    expect((await send(rolled, ['ops'])).status).toBe(200);
    expect((await send(scoped.secret, ['ops'])).status).toBe(200);
    await pw(row('Marketing backend')).toContainText('previous secret until');
    scoped.rolled = rolled;
  });

  test('the audit trail of a key is one click away, and names the member', async () => {
    await row('Marketing backend').getByRole('button', { name: 'Audit trail' }).click();
    const dialog = page.getByRole('dialog', { name: 'Audit trail of Marketing backend' });
    await pw(dialog.getByRole('listitem').filter({ hasText: 'Rolled' }).first()).toBeVisible();
    await pw(dialog).toContainText('Edited');
    await pw(dialog).toContainText('Created');
    await pw(dialog).toContainText('by Dana Scully (dana@acme.test)');
    await page.keyboard.press('Escape');
    await pw(page.getByRole('dialog')).toHaveCount(0);
    await pw(row('Marketing backend').getByRole('button', { name: 'Audit trail' })).toBeFocused();
  });

  test('Revoke asks for confirmation naming the key, then both secrets stop working', async () => {
    await row('Marketing backend').getByRole('button', { name: 'Revoke' }).click();
    const dialog = page.getByRole('dialog', { name: 'Revoke Marketing backend?' });
    await pw(dialog).toContainText('Marketing backend');
    await dialog.getByRole('button', { name: 'Revoke' }).click();
    await pw(row('Marketing backend')).toContainText('Revoked');
    await pw(row('Marketing backend').getByRole('button', { name: 'Revoke' })).toHaveCount(0);
    expect((await send(scoped.rolled!, ['ops'])).status).toBe(401);
    expect((await send(scoped.secret, ['ops'])).status).toBe(401);
  });

  test('what only the server can tell (an allowlist entry that is no address) shows beside its field, in the server words, and creates nothing', async () => {
    const before = await keyCount(base, member);
    const direct = await gql(base, member, CreateApiKey, {
      input: { name: 'Options', scope: { kind: 'ALL' }, allowedIps: ['not-an-address'] },
    });
    const refusal = direct.body.errors[0];
    expect(refusal.extensions.field).toBe('allowedIps');

    await page.getByRole('button', { name: 'Create API Key' }).click();
    const dialog = page.getByRole('dialog', { name: 'Create API Key' });
    await dialog.getByLabel('Name').fill('Options');
    await dialog.getByText('Expiry, rate limit and IP allowlist (optional)').click();
    await dialog.getByLabel('Allowed IPs').fill('not-an-address');
    await dialog.getByRole('button', { name: 'Create API Key' }).click();
    await pw(dialog.getByLabel('Allowed IPs')).toHaveAccessibleDescription(new RegExp(escapeRegExp(refusal.message)));
    await pw(dialog.getByLabel('Allowed IPs')).toHaveAttribute('aria-invalid', 'true');
    expect(await dialog.getByLabel('Name').getAttribute('aria-invalid')).toBeNull();
    await axeScan(page, 'the Create API Key dialog with an error');
    // Editing the field takes the server's error away.
    await dialog.getByLabel('Allowed IPs').fill('203.0.113.0/24');
    expect(await dialog.getByLabel('Allowed IPs').getAttribute('aria-invalid')).toBeNull();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await pw(page.getByRole('dialog')).toHaveCount(0);
    expect(await keyCount(base, member)).toBe(before);
  });

  test('the whole walkthrough by keyboard alone: sign in, create a key, copy, done, Escape closes dialogs and focus returns', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await pw(page.getByLabel('Member token')).toBeVisible();
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    await page.reload();

    await tabTo(page, 'Member token');
    await page.keyboard.insertText(member);
    await page.keyboard.press('Enter');
    await pw(page.getByRole('heading', { name: 'API Keys', level: 1 })).toBeVisible();

    await tabTo(page, 'Create API Key');
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'Create API Key' });
    await pw(dialog).toBeVisible();
    await pw(dialog.getByLabel('Name')).toBeFocused();
    // Escape closes it and gives focus back.
    await page.keyboard.press('Escape');
    await pw(dialog).toHaveCount(0);
    await pw(page.getByRole('button', { name: 'Create API Key' })).toBeFocused();

    await page.keyboard.press('Enter');
    await pw(dialog.getByLabel('Name')).toBeFocused();
    await page.keyboard.type('Keyboard key');
    await page.keyboard.press('Tab');
    // Radios: arrow keys move within the group.
    await pw(dialog.getByRole('radio', { name: /All Recipients/ })).toBeFocused();
    await page.keyboard.press('ArrowDown');
    await pw(dialog.getByRole('radio', { name: /Channel Scoped/ })).toBeChecked();
    await page.keyboard.press('Tab');
    await pw(dialog.getByRole('checkbox', { name: 'marketing' })).toBeFocused();
    await page.keyboard.press('Space');
    await pw(dialog.getByRole('checkbox', { name: 'marketing' })).toBeChecked();
    // Focus never reaches the page behind the modal dialog however far we tab
    // (past the last control it may visit the browser's own UI, then comes back).
    for (let i = 0; i < 15; i += 1) {
      await page.keyboard.press('Tab');
      const where = await page.evaluate(() => {
        const el = document.activeElement;
        return !el || el === document.body ? 'browser' : el.closest('dialog') ? 'dialog' : `page: ${el.outerHTML.slice(0, 80)}`;
      });
      expect(['dialog', 'browser']).toContain(where);
    }
    await tabTo(page, 'Create API Key');
    await page.keyboard.press('Enter');

    const shown = page.getByRole('dialog', { name: /created/ });
    await pw(shown).toBeVisible();
    const secret = await shownSecret(page);
    await tabTo(page, 'Copy');
    await page.keyboard.press('Enter');
    await pw(shown.getByRole('status')).toHaveText('Copied to the clipboard.');
    expect((await page.evaluate(() => navigator.clipboard.readText())) === secret, 'the clipboard holds the secret').toBe(true);
    await tabTo(page, 'Done');
    await page.keyboard.press('Enter');
    await pw(shown).toHaveCount(0);
    await pw(page.getByRole('button', { name: 'Create API Key' })).toBeFocused();
    await pw(row('Keyboard key')).toContainText('marketing');
    expect((await send(secret, ['marketing'])).status).toBe(200);
  });

  test('the API Keys page passes axe, shows usage for people, and its screenshot goes to docs/api-keys-page.png', async () => {
    const created = await gql(base, member, CreateApiKey, {
      input: { name: 'Production backend', scope: { kind: 'ALL' }, rateLimitPerMinute: 600 },
    });
    const all = created.body.data.createApiKey.secret as string;
    for (let i = 0; i < 3; i += 1) expect((await send(all)).status).toBe(200);
    // Key usage is written every 5 s: wait until the API shows it, then load the page.
    const usage = async () => {
      const { body } = await gql(base, member, '{ apiKeys { name usage(days: 30) { requests messages recipients } } }');
      return (body.data.apiKeys as { name: string; usage: { requests: number; messages: number; recipients: number }[] }[])
        .find((k) => k.name === 'Production backend')
        ?.usage.reduce(
          (sum, d) => ({
            requests: sum.requests + d.requests,
            messages: sum.messages + d.messages,
            recipients: sum.recipients + d.recipients,
          }),
          {
            requests: 0,
            messages: 0,
            recipients: 0,
          },
        );
    };
    await expect.poll(async () => (await usage())?.requests, { timeout: 15_000, interval: 250 }).toBeGreaterThanOrEqual(3);
    const totals = await usage();
    await page.reload();
    await pw(row('Production backend')).toBeVisible();
    // Last used: relative, with the exact time on hover.
    const lastUsed = row('Production backend').getByRole('cell').nth(3).locator('time');
    await pw(lastUsed).toHaveText(/now|second|minute/);
    await pw(lastUsed).toHaveAttribute('title', /\d/);
    // The chart's text alternative: the API's numbers, in words.
    await pw(row('Production backend').getByRole('figure')).toHaveAccessibleName(
      new RegExp(
        `^Usage in the last 30 days: ${totals?.requests} requests, ${totals?.messages} messages, ${totals?.recipients} recipients$`,
      ),
    );
    await axeScan(page, 'the API Keys page');
    await expectNoSideways(page, 'the API Keys page');
    await mkdir(resolve(SCREENSHOT, '..'), { recursive: true });
    await page.mouse.move(0, 0);
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
  });

  test('the developer sign-in works outside production, as a member named Developer', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Developer sign-in' }).click();
    await pw(page.getByRole('heading', { name: 'API Keys', level: 1 })).toBeVisible();
    await page.getByRole('button', { name: 'Create API Key' }).click();
    await page.getByRole('dialog').getByLabel('Name').fill('Developer key');
    await page.getByRole('dialog').getByRole('button', { name: 'Create API Key' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Copy' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Done' }).click();
    await pw(row('Developer key')).toContainText('by Developer');
    await page.getByRole('button', { name: 'Sign out' }).click();
  });

  test('NODE_ENV=production: no developer sign-in (POST /dev/sign-in is 404, the page offers none)', async () => {
    const production = await startServer(['--import', 'tsx', 'src/main.ts'], {
      DATABASE_URL: 'memory:',
      AUTH_JWT_SECRET: SECRET,
      LOG_LEVEL: 'warn',
      NODE_ENV: 'production',
    });
    try {
      const url = production.url('');
      await expect.poll(async () => (await fetch(`${url}/ready`).catch(() => null))?.status, { timeout: 60_000, interval: 250 }).toBe(200);
      expect((await fetch(`${url}/dev/sign-in`, { method: 'POST' })).status).toBe(404);
      const html = await (await fetch(`${url}/`)).text();
      expect(html).toContain('<body>');
      expect(html).not.toContain('data-dev-sign-in');
    } finally {
      await stop(production);
    }
  });
});
