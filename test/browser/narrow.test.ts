// The page on a 390 px wide phone: no page scrolls sideways, the keys and
// messages tables become one card per row, every dialog fits, the live Inbox
// preview fits, the keyboard still reaches everything, axe finds nothing
// serious; the screenshot goes to docs/api-keys-page-390.png.
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CreateApiKey, CreateChannel, CreateRecipient, RevokeApiKey } from '../support/documents.ts';
import {
  axeScan,
  type Dashboard,
  expectNoSideways,
  focusedName,
  gql,
  keyRow,
  memberToken,
  NARROW,
  openTab,
  pw,
  send,
  sendMessage,
  shownSecret,
  signIn,
  startDashboard,
  tabTo,
} from './harness.ts';

const SCREENSHOT = resolve(import.meta.dirname, '../../docs/api-keys-page-390.png');
const LONG_NAME = 'reconciliation'.repeat(7); // 98 characters, no space to break at
const LONG_SLUG = `eu-west-1-${'x'.repeat(54)}`; // 64 characters

let dashboard: Dashboard;
let page: Page;
let member: string;
let production: string;

const row = (name: string) => keyRow(page, name);
const dialog = () => page.getByRole('dialog');

/** Within the screen's width: nothing cut off at either edge. */
async function expectWithinScreen(locator: Locator, what: string) {
  const box = await locator.boundingBox();
  expect(box, what).not.toBeNull();
  expect(box!.x, `${what}: left edge`).toBeGreaterThanOrEqual(0);
  expect(box!.x + box!.width, `${what}: right edge`).toBeLessThanOrEqual(NARROW.width);
}

/** The open dialog fits: no sideways scroll of the page or inside the dialog, its buttons on screen, axe clean. */
async function expectDialogFits(what: string) {
  await pw(dialog()).toBeVisible();
  await expectNoSideways(page, what);
  await expectWithinScreen(dialog(), what);
  const inside = await dialog().evaluate((el) => ({ scroll: el.scrollWidth, client: el.clientWidth }));
  expect(inside.scroll, `${what}: the dialog's own width`).toBeLessThanOrEqual(inside.client);
  for (const button of await dialog().getByRole('button').all()) await expectWithinScreen(button, `${what}: ${await button.textContent()}`);
  await axeScan(page, `${what} at 390 px`);
}

describe('the page at 390 px', () => {
  beforeAll(async () => {
    dashboard = await startDashboard();
    const { base } = dashboard;
    member = await memberToken({
      subject: 'idp|dana',
      accountSlug: 'narrow',
      name: 'Dana Scully',
      email: 'dana.scully.of.the.x.files.division@fbi-headquarters.example.org',
    });
    for (const slug of ['marketing', 'ops', 'billing', LONG_SLUG]) {
      expect((await gql(base, member, CreateChannel, { input: { slug, name: slug } })).status).toBe(200);
      expect((await gql(base, member, CreateRecipient, { input: { externalId: `${slug}-1`, channels: [slug] } })).status).toBe(200);
    }
    const revoked = await gql(base, member, CreateApiKey, { input: { name: 'Old sender', scope: { kind: 'ALL' } } });
    expect((await gql(base, member, RevokeApiKey, { id: revoked.body.data.createApiKey.apiKey.id })).status).toBe(200);
    const scoped = await gql(base, member, CreateApiKey, {
      input: {
        name: 'Marketing sender',
        scope: { kind: 'CHANNELS', channels: ['marketing', 'billing'] },
        expiresAt: new Date(Date.now() + 90 * 86_400_000).toISOString(),
      },
    });
    expect((await send(base, scoped.body.data.createApiKey.secret, ['marketing'])).status).toBe(200);
    production = (await gql(base, member, CreateApiKey, { input: { name: 'Production backend', scope: { kind: 'ALL' } } })).body.data
      .createApiKey.secret;
    for (let i = 0; i < 3; i += 1) expect((await send(base, production)).status).toBe(200);
    page = await openTab(dashboard, NARROW);
  }, 120_000);

  afterAll(async () => {
    await dashboard?.close();
  });

  test('the sign-in page fits and passes axe', async () => {
    await page.goto('/');
    await pw(page.getByRole('button', { name: 'Sign in' })).toBeVisible();
    await expectNoSideways(page, 'the sign-in page');
    await expectWithinScreen(page.getByRole('button', { name: 'Developer sign-in' }), 'Developer sign-in');
    await axeScan(page, 'the sign-in page at 390 px');
  });

  test('the API Keys page: one card per key, labelled, every action on screen; it passes axe; screenshot', async () => {
    await signIn(page, member);
    await pw(row('Production backend')).toBeVisible();
    await expectNoSideways(page, 'the API Keys page');
    // The column headers are left to screen readers; each card labels its own values.
    const headers = page.getByRole('rowgroup').filter({ has: page.getByRole('columnheader', { name: 'Scope' }) });
    expect((await headers.boundingBox())?.width).toBeLessThanOrEqual(1);
    for (const name of ['Marketing sender', 'Production backend', 'Old sender']) {
      const card = row(name);
      await expectWithinScreen(card, `the card of ${name}`);
      for (const label of ['Scope', 'Created', 'Last used', 'Usage, 30 days']) {
        await pw(card.getByText(label, { exact: true })).toBeVisible();
      }
      for (const button of await card.getByRole('button').all()) await expectWithinScreen(button, `${name}: ${await button.textContent()}`);
    }
    await pw(row('Production backend').getByRole('figure')).toHaveAccessibleName(
      /^Usage in the last 30 days: 3 requests, 3 messages, 12 recipients$/,
    );
    await expectWithinScreen(row('Production backend').getByRole('figure'), 'the usage chart');
    await axeScan(page, 'the API Keys page at 390 px');
    await mkdir(resolve(SCREENSHOT, '..'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
  });

  test('a long name, a long slug and many channels wrap inside their card', async () => {
    const long = await gql(dashboard.base, member, CreateApiKey, {
      input: {
        name: LONG_NAME,
        scope: { kind: 'CHANNELS', channels: ['marketing', 'ops', 'billing', LONG_SLUG] },
        allowedIps: ['127.0.0.1', '203.0.113.0/24', '2001:db8::/32'],
        expiresAt: new Date(Date.now() + 30 * 86_400_000).toISOString(),
      },
    });
    expect((await send(dashboard.base, long.body.data.createApiKey.secret, ['ops'])).status).toBe(200);
    await page.reload();
    await pw(row(LONG_NAME)).toBeVisible();
    await expectNoSideways(page, 'the API Keys page with a long key');
    await expectWithinScreen(row(LONG_NAME), 'the card of a 98-character name');
    await expectWithinScreen(row(LONG_NAME).getByText(LONG_NAME), 'a 98-character name');
    await expectWithinScreen(row(LONG_NAME).getByRole('listitem').filter({ hasText: LONG_SLUG }), 'a 64-character slug');
    for (const button of await row(LONG_NAME).getByRole('button').all()) await expectWithinScreen(button, `${await button.textContent()}`);
  });

  test('every dialog fits: Create API Key (with its errors), the secret and its question, Edit, Roll, Revoke, Audit trail', async () => {
    await page.getByRole('button', { name: 'Create API Key' }).click();
    await dialog()
      .getByRole('radio', { name: /Channel Scoped/ })
      .check();
    await dialog().getByText('Expiry, rate limit and IP allowlist (optional)').click();
    await dialog().getByRole('button', { name: 'Create API Key' }).click();
    await pw(dialog().getByLabel('Name')).toHaveAttribute('aria-invalid', 'true');
    await expectDialogFits('Create API Key with errors');
    await dialog().getByLabel('Name').fill('Phone key');
    await dialog().getByRole('checkbox', { name: LONG_SLUG }).check();
    await dialog().getByRole('button', { name: 'Create API Key' }).click();
    await shownSecret(page);
    await expectDialogFits('the shown-once secret');
    await dialog().getByRole('button', { name: 'Done' }).click();
    await pw(dialog().getByRole('group', { name: 'Close without copying?' })).toBeVisible();
    await expectDialogFits('the question before closing');
    await dialog().getByRole('button', { name: 'Close without copying' }).click();
    await pw(dialog()).toHaveCount(0);

    for (const [button, title] of [
      ['Edit API Key', 'Edit API Key'],
      ['Roll', `Roll ${LONG_NAME}`],
      ['Revoke', `Revoke ${LONG_NAME}?`],
      ['Audit trail', `Audit trail of ${LONG_NAME}`],
    ]) {
      await row(LONG_NAME).getByRole('button', { name: button }).click();
      await pw(page.getByRole('dialog', { name: title })).toBeVisible();
      await expectDialogFits(button);
      await page.keyboard.press('Escape');
      await pw(dialog()).toHaveCount(0);
    }
  });

  test('the Channels page fits and passes axe', async () => {
    await page.getByRole('link', { name: 'Channels' }).click();
    await pw(page.getByRole('heading', { name: 'Channels', level: 1 })).toBeVisible();
    await page.getByLabel('Slug').fill('Not a slug');
    await pw(page.getByLabel('Slug')).toHaveAttribute('aria-invalid', 'true');
    await expectNoSideways(page, 'the Channels page');
    await expectWithinScreen(page.getByRole('cell', { name: LONG_SLUG, exact: true }), 'a 64-character slug');
    await axeScan(page, 'the Channels page at 390 px');
    await page.getByRole('link', { name: 'API Keys' }).click();
  });

  test('by keyboard alone at 390 px: a chart day read out on focus, Escape on the secret asks first', async () => {
    await pw(page.getByRole('heading', { name: 'API Keys', level: 1 })).toBeFocused();
    await tabTo(page, /: 3 requests, 3 messages, 12 recipients$/);
    await pw(row('Production backend').locator('.usage-readout')).toHaveText(/ 3 requests, 3 messages, 12 recipients$/);
    await page.keyboard.press('ArrowLeft');
    expect(await focusedName(page)).toMatch(/: 0 requests, 0 messages, 0 recipients$/);

    await page.getByRole('button', { name: 'Create API Key' }).focus();
    await page.keyboard.press('Enter');
    await page.keyboard.type('Keyboard phone key');
    await page.keyboard.press('Enter');
    await shownSecret(page);
    await page.keyboard.press('Escape');
    const question = dialog().getByRole('group', { name: 'Close without copying?' });
    await pw(question.getByRole('button', { name: 'Go back' })).toBeFocused();
    await expectWithinScreen(question.getByRole('button', { name: 'Close without copying' }), 'Close without copying');
    await page.keyboard.press('Tab');
    expect(await focusedName(page)).toBe('Close without copying');
    await page.keyboard.press('Enter');
    await pw(dialog()).toHaveCount(0);
    await pw(page.getByRole('button', { name: 'Create API Key' })).toBeFocused();
    await expectNoSideways(page, 'the API Keys page, after the keyboard pass');
  });

  test('the Messages view: one card per message, each value labelled, the nav on screen; it passes axe', async () => {
    const notice = { title: 'Maintenance in every region tonight', body: 'From 02:00 to 03:00 UTC.' };
    expect((await sendMessage(dashboard.base, production, notice, ['marketing', 'ops', 'billing', LONG_SLUG])).status).toBe(200);
    await page.getByRole('link', { name: 'Messages' }).click();
    await pw(page.getByRole('heading', { name: 'Messages', level: 1 })).toBeFocused();
    const cards = page.locator('table.messages tbody tr');
    await pw(cards).toHaveCount(6);
    await expectNoSideways(page, 'the Messages view');
    for (const link of await page.getByRole('navigation', { name: 'Dashboard' }).getByRole('link').all())
      await expectWithinScreen(link, `the nav link ${await link.textContent()}`);
    for (const card of await cards.all()) {
      await expectWithinScreen(card, 'a message card');
      for (const label of ['Sent to', 'Sent', 'Delivery']) await pw(card.getByText(label, { exact: true })).toBeVisible();
      await expectWithinScreen(card.locator('.delivery-bar'), 'a delivery bar');
    }
    const slug = cards.filter({ hasText: notice.title }).getByRole('listitem').filter({ hasText: LONG_SLUG });
    await pw(slug).toBeVisible();
    await expectWithinScreen(slug, 'a 64-character slug');
    await axeScan(page, 'the Messages view at 390 px');
  });

  test('the Inbox preview: a long externalId, the live inbox and its events fit, every control on screen; it passes axe', async () => {
    const externalId = `${LONG_SLUG}-1`;
    await page.getByRole('link', { name: 'Inbox preview' }).click();
    await page.getByLabel('Recipient externalId').fill(externalId);
    await page.getByRole('button', { name: 'Open inbox' }).click();
    const preview = page.getByRole('region', { name: `Inbox of ${externalId}` });
    await pw(preview.locator('.stream-state')).toHaveText('Live');
    await pw(preview.getByRole('listitem').filter({ hasText: 'browser' })).toHaveCount(3);
    expect(
      (await sendMessage(dashboard.base, production, { title: 'Your order has shipped', body: 'It will be there on Thursday.' })).status,
    ).toBe(200);
    await pw(preview.locator('.event-log li')).toHaveText(/^NEW Your order has shipped/);
    await preview.getByRole('listitem').filter({ hasText: 'Your order has shipped' }).getByRole('button', { name: 'Mark read' }).click();
    await pw(preview.locator('.event-log li').first()).toHaveText(/^UPDATED Your order has shipped read · /);
    await expectNoSideways(page, 'the Inbox preview');
    await expectWithinScreen(preview, 'the preview');
    await expectWithinScreen(preview.getByRole('heading', { level: 2 }), 'a 66-character externalId');
    for (const button of await page.getByRole('main').getByRole('button').all())
      await expectWithinScreen(button, `${(await button.textContent())?.slice(0, 40)}`);
    await axeScan(page, 'the Inbox preview at 390 px');
    await preview.getByRole('button', { name: 'Close preview' }).click();
  });
});
