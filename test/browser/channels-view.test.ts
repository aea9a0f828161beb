// The Channels page at 1280 px and at 390 px: each channel's recipients (its
// recipientCount, a link to them in the Recipients view), Rename with the
// server's limits checked first, and Delete behind a confirmation: refused in
// the server's words while a key is scoped to the channel, done once none is;
// by keyboard; axe; the screenshots go to docs/channels-view*.png.
import { resolve } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  ChannelsWithCounts,
  CreateApiKey,
  CreateChannel,
  DeleteChannel,
  RecipientByExternalId,
  RevokeApiKey,
  UpdateChannel,
  UpsertRecipients,
} from '../support/documents.ts';
import {
  axeScan,
  type Dashboard,
  expectNoSideways,
  focusedName,
  gql,
  graphqlRequests,
  memberToken,
  NARROW,
  openTab,
  POLL,
  pw,
  signIn,
  startDashboard,
  tabTo,
} from './harness.ts';

const DOCS = resolve(import.meta.dirname, '../../docs');
const LONG_SLUG = `eu-west-1-${'x'.repeat(54)}`; // 64 characters

let dashboard: Dashboard;
let base: string;
let page: Page;
let member: string;
let billingKey: string;

const dialog = () => page.getByRole('dialog');
const heading = () => page.getByRole('heading', { name: 'Channels', level: 1 });
/** The row (or, on a narrow screen, the card) of the channel with this slug. */
const row = (slug: string) =>
  page.getByRole('row').filter({ has: page.getByRole('rowheader').filter({ has: page.getByText(slug, { exact: true }) }) });
const status = () => page.locator('main p.summary');

type ChannelCount = { id: string; slug: string; name: string; recipientCount: number };
const apiChannels = async () => (await gql(base, member, ChannelsWithCounts)).body.data.channels as ChannelCount[];
const apiChannel = async (slug: string) => (await apiChannels()).find((c) => c.slug === slug);

async function openChannels() {
  await page.getByRole('navigation', { name: 'Dashboard' }).getByRole('link', { name: 'Channels' }).click();
  await pw(heading()).toBeFocused();
}

/** Within the screen's width: nothing cut off at either edge. */
async function expectWithinScreen(locator: Locator, what: string) {
  const box = await locator.boundingBox();
  expect(box, what).not.toBeNull();
  expect(box!.x, `${what}: left edge`).toBeGreaterThanOrEqual(0);
  expect(box!.x + box!.width, `${what}: right edge`).toBeLessThanOrEqual(NARROW.width);
}

describe('the Channels page', () => {
  beforeAll(async () => {
    dashboard = await startDashboard();
    base = dashboard.base;
    member = await memberToken({ subject: 'idp|carl', accountSlug: 'channel-keepers', name: 'Carl Channels' });
    for (const [slug, name] of [
      ['marketing', 'Marketing'],
      ['billing', 'Billing'],
      ['ops', 'Operations'],
      [LONG_SLUG, 'Europe West'],
    ])
      expect((await gql(base, member, CreateChannel, { input: { slug, name } })).status).toBe(200);
    const recipients = [
      { externalId: 'ada', channels: ['marketing'] },
      { externalId: 'bob', channels: ['marketing', 'billing'] },
      { externalId: 'cy', channels: ['marketing', LONG_SLUG] },
      { externalId: 'dee', channels: [] },
    ];
    expect((await gql(base, member, UpsertRecipients, { input: { recipients } })).status).toBe(200);
    const key = await gql(base, member, CreateApiKey, {
      input: { name: 'Billing sender', scope: { kind: 'CHANNELS', channels: ['billing', 'marketing'] } },
    });
    billingKey = key.body.data.createApiKey.apiKey.id;
    page = await openTab(dashboard);
    await signIn(page, member);
  }, 120_000);

  afterAll(async () => {
    await dashboard?.close();
  });

  test("each channel's recipients, as the API counts them, link to the Recipients view filtered by it", async () => {
    await openChannels();
    const api = await apiChannels();
    expect(api.map((c) => [c.slug, c.recipientCount])).toEqual([
      ['billing', 1],
      [LONG_SLUG, 1],
      ['marketing', 3],
      ['ops', 0],
    ]);
    for (const { slug, recipientCount } of api) {
      const link = row(slug).getByRole('link', { name: new RegExp(`^${recipientCount} recipients? in ${slug}$`) });
      await pw(link).toHaveAttribute('href', `#/recipients?channel=${slug}`);
    }
    await pw(row('marketing').getByRole('cell').nth(1)).toHaveText('3 recipients in marketing');
    await pw(row('billing').getByRole('cell').nth(1)).toHaveText('1 recipient in billing');
    await pw(row('ops').getByRole('cell').nth(1)).toHaveText('0 recipients in ops');

    await row('marketing').getByRole('link', { name: '3 recipients in marketing' }).click();
    await pw(page.getByRole('heading', { name: 'Recipients', level: 1 })).toBeFocused();
    await pw(page.getByLabel('Channel', { exact: true })).toHaveValue('marketing');
    await pw(page.locator('p.summary')).toHaveText('3 recipients in marketing.');
    expect(await page.locator('table.recipients tbody th').allInnerTexts()).toEqual(['ada', 'bob', 'cy']);
    await page.goBack();
    await pw(heading()).toBeFocused();
  });

  test('Rename: the name checked as typed (nothing sent), Cancel changes nothing, Save renames; the slug stays', async () => {
    await row('marketing').getByRole('button', { name: 'Rename' }).click();
    const rename = page.getByRole('dialog', { name: 'Rename marketing' });
    const name = rename.getByLabel('Name');
    await pw(name).toHaveValue('Marketing');
    await pw(name).toHaveAttribute('maxlength', '100');
    await pw(name).toHaveAccessibleDescription(/The slug stays marketing/);
    expect((await gql(base, member, UpdateChannel, { input: { id: (await apiChannel('marketing'))!.id, name: '  ' } })).status).toBe(400);
    const requests = await graphqlRequests(page, async () => {
      await name.fill('  ');
      await pw(name).toHaveAttribute('aria-invalid', 'true');
      await pw(name).toHaveAccessibleDescription(/Enter a name\./);
      await rename.getByRole('button', { name: 'Save' }).click();
      await pw(name).toBeFocused();
    });
    expect(requests).toBe(0);
    await name.pressSequentially('n'.repeat(101));
    expect((await name.inputValue()).length).toBe(100);
    await axeScan(page, 'the Rename dialog, with an error');
    await rename.getByRole('button', { name: 'Cancel' }).click();
    await pw(dialog()).toHaveCount(0);
    await pw(row('marketing').getByRole('button', { name: 'Rename' })).toBeFocused();
    expect((await apiChannel('marketing'))?.name).toBe('Marketing');

    await row('marketing').getByRole('button', { name: 'Rename' }).click();
    await name.fill('Marketing news');
    await rename.getByRole('button', { name: 'Save' }).click();
    await pw(dialog()).toHaveCount(0);
    await pw(status()).toHaveText('Channel marketing renamed to “Marketing news”.');
    await pw(row('marketing').getByRole('cell').first()).toHaveText('Marketing news');
    await pw(row('marketing').getByRole('button', { name: 'Rename' })).toBeFocused();
    expect(await apiChannel('marketing')).toMatchObject({ slug: 'marketing', name: 'Marketing news', recipientCount: 3 });
  });

  test("Delete asks first; Cancel keeps the channel; while a key is scoped to it the server's refusal shows in its words", async () => {
    await row('billing').getByRole('button', { name: 'Delete' }).click();
    const confirm = page.getByRole('dialog', { name: 'Delete channel billing?' });
    await pw(confirm).toContainText('Its one recipient leaves the channel; it stays in the account');
    await pw(confirm.getByRole('button', { name: 'Cancel' })).toBeFocused();
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    await pw(dialog()).toHaveCount(0);
    await pw(row('billing').getByRole('button', { name: 'Delete' })).toBeFocused();
    expect(await apiChannel('billing')).toBeDefined();

    // What the server says to the same request.
    const refused = await gql(base, member, DeleteChannel, { id: (await apiChannel('billing'))!.id });
    expect(refused.status).toBe(400);
    const words = refused.body.errors[0].message as string;
    expect(words).toBe('Channel "billing" is in the scope of API key "Billing sender": edit or revoke it first.');

    await row('billing').getByRole('button', { name: 'Delete' }).click();
    await confirm.getByRole('button', { name: 'Delete channel' }).click();
    const alert = confirm.getByRole('alert');
    await pw(alert.locator('p').first()).toHaveText(words);
    await pw(alert.getByRole('link', { name: 'API Keys page' })).toHaveAttribute('href', '#/keys');
    await axeScan(page, 'the Delete channel dialog, refused');
    await page.keyboard.press('Escape');
    await pw(dialog()).toHaveCount(0);
    await pw(row('billing')).toHaveCount(1);
    expect(await apiChannel('billing')).toBeDefined();
  });

  test('once no key that is not revoked is scoped to it, Delete removes the channel; its recipients stay', async () => {
    expect((await gql(base, member, RevokeApiKey, { id: billingKey })).status).toBe(200);
    await row('billing').getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('dialog', { name: 'Delete channel billing?' }).getByRole('button', { name: 'Delete channel' }).click();
    await pw(dialog()).toHaveCount(0);
    await pw(status()).toHaveText('Channel billing deleted.');
    await pw(row('billing')).toHaveCount(0);
    await pw(heading()).toBeFocused();
    expect(await apiChannel('billing')).toBeUndefined();
    const bob = (await gql(base, member, RecipientByExternalId, { externalId: 'bob' })).body.data.recipient;
    expect(bob.channels.map((c: { slug: string }) => c.slug)).toEqual(['marketing']);
    // The other pages' channels are read again: the Recipients filter no longer offers it.
    await page.getByRole('navigation', { name: 'Dashboard' }).getByRole('link', { name: 'Recipients' }).click();
    // The filter's options come with the view's first read: wait for them.
    await expect
      .poll(() => page.getByLabel('Channel', { exact: true }).locator('option').allInnerTexts(), POLL)
      .toEqual(['All channels', LONG_SLUG, 'marketing', 'ops']);
    await openChannels();
  });

  test('by keyboard alone: Rename and Delete, each dialog giving focus back', async () => {
    await tabTo(page, 'Rename', 30);
    // The first Rename is the first channel's (by slug).
    await page.keyboard.press('Enter');
    const rename = page.getByRole('dialog', { name: `Rename ${LONG_SLUG}` });
    await pw(rename.getByLabel('Name')).toBeFocused();
    await page.keyboard.press('Control+A');
    await page.keyboard.type('Europe West 1');
    await page.keyboard.press('Enter');
    await pw(dialog()).toHaveCount(0);
    expect(await focusedName(page)).toBe('Rename');
    expect((await apiChannel(LONG_SLUG))?.name).toBe('Europe West 1');

    await page.keyboard.press('Tab');
    expect(await focusedName(page)).toBe('Delete');
    await page.keyboard.press('Enter');
    await pw(page.getByRole('dialog', { name: `Delete channel ${LONG_SLUG}?` }).getByRole('button', { name: 'Cancel' })).toBeFocused();
    await page.keyboard.press('Escape');
    await pw(dialog()).toHaveCount(0);
    await pw(row(LONG_SLUG).getByRole('button', { name: 'Delete' })).toBeFocused();
    expect(await apiChannel(LONG_SLUG)).toBeDefined();
  });

  test('the page passes axe with no sideways scrolling; its screenshot goes to docs/channels-view.png', async () => {
    await page.reload();
    await pw(row('ops')).toBeVisible();
    await expectNoSideways(page, 'the Channels page');
    await axeScan(page, 'the Channels page');
    await page.screenshot({ path: resolve(DOCS, 'channels-view.png'), fullPage: true });
  });

  test('at 390 px: one card per channel, labelled, every action on screen; the dialogs fit; axe; screenshot', async () => {
    const narrow = await openTab(dashboard, NARROW);
    const previous = page;
    page = narrow;
    try {
      await signIn(page, member);
      await openChannels();
      await pw(row('ops')).toBeVisible();
      await expectNoSideways(page, 'the Channels page at 390 px');
      const headers = page.getByRole('rowgroup').filter({ has: page.getByRole('columnheader', { name: 'Recipients' }) });
      expect((await headers.boundingBox())?.width).toBeLessThanOrEqual(1);
      for (const slug of ['marketing', 'ops', LONG_SLUG]) {
        const card = row(slug);
        await expectWithinScreen(card, `the card of ${slug}`);
        for (const label of ['Name', 'Recipients', 'Created']) await pw(card.getByText(label, { exact: true })).toBeVisible();
        for (const control of [...(await card.getByRole('button').all()), card.getByRole('link')])
          await expectWithinScreen(control, `${slug}: ${await control.textContent()}`);
      }
      await axeScan(page, 'the Channels page at 390 px');
      await page.screenshot({ path: resolve(DOCS, 'channels-view-390.png'), fullPage: true });

      for (const [button, title] of [
        ['Rename', `Rename ${LONG_SLUG}`],
        ['Delete', `Delete channel ${LONG_SLUG}?`],
      ]) {
        await row(LONG_SLUG).getByRole('button', { name: button }).click();
        const open = page.getByRole('dialog', { name: title });
        await pw(open).toBeVisible();
        await expectNoSideways(page, title);
        await expectWithinScreen(open, title);
        const inside = await open.evaluate((el) => ({ scroll: el.scrollWidth, client: el.clientWidth }));
        expect(inside.scroll, `${title}: the dialog's own width`).toBeLessThanOrEqual(inside.client);
        for (const control of await open.getByRole('button').all())
          await expectWithinScreen(control, `${title}: ${await control.textContent()}`);
        await axeScan(page, `${title} at 390 px`);
        await page.keyboard.press('Escape');
        await pw(dialog()).toHaveCount(0);
      }
    } finally {
      await narrow.context().close();
      page = previous;
    }
  });
});
