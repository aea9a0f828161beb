// The Recipients view at 1280 px and at 390 px: the account's recipients a
// page at a time, searched by prefix and filtered by channel (as the API
// answers), a recipient's channels edited and a recipient erased behind a
// confirmation, and Import CSV: rows the server would refuse named by line
// before anything is sent, a batch the server refuses named by line and left
// out whole, and a large file sent in batches with its progress to 100%; by
// keyboard; axe; the screenshots go to docs/recipients-view*.png.
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ChannelsWithCounts, CreateChannel, RecipientByExternalId, Recipients, UpsertRecipients } from '../support/documents.ts';
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
  pw,
  signIn,
  startDashboard,
  tabTo,
} from './harness.ts';

const DOCS = resolve(import.meta.dirname, '../../docs');

let dashboard: Dashboard;
let base: string;
let page: Page;
let member: string;

const pad = (i: number) => String(i).padStart(3, '0');
/** user-001 … user-060: even ones in marketing, every third in billing, every seventh in ops; vip-1 and vip-2. */
const SEED = [
  ...Array.from({ length: 60 }, (_, n) => {
    const i = n + 1;
    const channels = [i % 2 === 0 && 'marketing', i % 3 === 0 && 'billing', i % 7 === 0 && 'ops'].filter(Boolean) as string[];
    return { externalId: `user-${pad(i)}`, channels };
  }),
  { externalId: 'vip-1', channels: ['marketing'] },
  { externalId: 'vip-2', channels: [] },
];

const dialog = () => page.getByRole('dialog');
const main = () => page.getByRole('main');
/** The row (or, on a narrow screen, the card) of the recipient with this externalId. */
const row = (externalId: string, tab = page) =>
  tab.getByRole('row').filter({ has: tab.getByRole('rowheader').filter({ has: tab.getByText(externalId, { exact: true }) }) });
const shownIds = () => page.locator('table.recipients tbody th').allInnerTexts();
const summary = () => page.locator('p.summary');
const pager = () => page.getByRole('navigation', { name: 'Pages of recipients' });

async function apiRecipients(variables: { first?: number; after?: string; channel?: string; search?: string }) {
  const { body } = await gql(base, member, Recipients, { first: 100, ...variables });
  return body.data.recipients as { totalCount: number; edges: { node: { externalId: string; channels: { slug: string }[] } }[] };
}
const apiRecipient = async (externalId: string) =>
  (await gql(base, member, RecipientByExternalId, { externalId })).body.data.recipient as { channels: { slug: string }[] } | null;

const csv = (name: string, text: string) => ({ name, mimeType: 'text/csv', buffer: Buffer.from(text) });

async function openRecipients(tab = page) {
  await tab.getByRole('navigation', { name: 'Dashboard' }).getByRole('link', { name: 'Recipients' }).click();
  await pw(tab.getByRole('heading', { name: 'Recipients', level: 1 })).toBeFocused();
}

/** The Import CSV dialog with this file chosen. */
async function chooseFile(name: string, text: string) {
  await page.getByRole('button', { name: 'Import CSV' }).click();
  await pw(dialog().getByRole('heading', { name: 'Import recipients from CSV' })).toBeVisible();
  await dialog().getByLabel('CSV file').setInputFiles(csv(name, text));
}

/** Within the screen's width: nothing cut off at either edge. */
async function expectWithinScreen(locator: Locator, what: string) {
  const box = await locator.boundingBox();
  expect(box, what).not.toBeNull();
  expect(box!.x, `${what}: left edge`).toBeGreaterThanOrEqual(0);
  expect(box!.x + box!.width, `${what}: right edge`).toBeLessThanOrEqual(NARROW.width);
}

describe('the Recipients view', () => {
  beforeAll(async () => {
    // A 10,000-row batch takes seconds on a busy machine: the request's deadline is a minute, as in the import tests.
    dashboard = await startDashboard({ REQUEST_TIMEOUT_MS: '60000' });
    base = dashboard.base;
    member = await memberToken({ subject: 'idp|rita', accountSlug: 'people', name: 'Rita Recipients' });
    for (const slug of ['marketing', 'billing', 'ops'])
      expect((await gql(base, member, CreateChannel, { input: { slug, name: slug } })).status).toBe(200);
    expect((await gql(base, member, UpsertRecipients, { input: { recipients: SEED } })).status).toBe(200);
    page = await openTab(dashboard);
    await signIn(page, member);
  }, 120_000);

  afterAll(async () => {
    await dashboard?.close();
  });

  test('an account with no recipients is told how to add them', async () => {
    const tab = await openTab(dashboard);
    await signIn(tab, await memberToken({ subject: 'idp|new', accountSlug: 'nobody-yet' }));
    await openRecipients(tab);
    expect(await tab.title()).toBe('Recipients · Herald');
    await pw(tab.locator('.empty')).toHaveText(
      'No recipients yet. Import a CSV file of them, or create them through the API (createRecipient, upsertRecipients).',
    );
    await axeScan(tab, 'the Recipients view, empty');
    await tab.context().close();
  });

  test('listed by externalId, 25 a page: Next and Previous follow the cursor, the total is the API’s', async () => {
    await openRecipients();
    await pw(summary()).toHaveText('62 recipients.');
    const api = await apiRecipients({});
    expect(api.totalCount).toBe(62);
    await pw(pager()).toContainText('1–25 of 62');
    expect(await shownIds()).toEqual(api.edges.slice(0, 25).map((e) => e.node.externalId));
    // Each recipient's channels, as chips.
    expect(await row('user-006').getByRole('list', { name: 'Channels' }).getByRole('listitem').allInnerTexts()).toEqual([
      'billing',
      'marketing',
    ]);
    await pw(row('user-001').getByRole('cell').first()).toHaveText('No channels');
    await pw(pager().getByRole('button', { name: 'Previous page' })).toHaveAttribute('disabled', '');

    await pager().getByRole('button', { name: 'Next page' }).click();
    await pw(pager()).toContainText('26–50 of 62');
    await pw(row('user-026').getByRole('rowheader')).toBeFocused();
    expect(await shownIds()).toEqual(api.edges.slice(25, 50).map((e) => e.node.externalId));
    await pager().getByRole('button', { name: 'Next page' }).click();
    await pw(pager()).toContainText('51–62 of 62');
    expect(await shownIds()).toEqual(api.edges.slice(50).map((e) => e.node.externalId));
    await pw(pager().getByRole('button', { name: 'Next page' })).toHaveAttribute('disabled', '');
    await pager().getByRole('button', { name: 'Previous page' }).click();
    await pw(pager()).toContainText('26–50 of 62');
    await pw(row('user-026').getByRole('rowheader')).toBeFocused();
    await axeScan(page, 'the Recipients view, second page');
  });

  test('search by prefix: typing narrows the list, literally; the address keeps it; no match says so and clears', async () => {
    const search = page.getByLabel('Search by externalId');
    await search.fill('vip-');
    await pw(summary()).toHaveText('2 recipients whose externalId starts with vip-.');
    expect(await shownIds()).toEqual(['vip-1', 'vip-2']);
    expect(new URL(page.url()).hash).toBe('#/recipients?search=vip-');
    await search.fill('user-05');
    await pw(summary()).toHaveText('10 recipients whose externalId starts with user-05.');
    expect(await shownIds()).toEqual((await apiRecipients({ search: 'user-05' })).edges.map((e) => e.node.externalId));
    await pw(pager()).toContainText('1–10 of 10');

    // "_" is no wildcard: nothing starts with "user_".
    await search.fill('user_');
    await pw(main().locator('.empty')).toContainText('No recipient matches these filters.');
    await pw(summary()).toHaveText('0 recipients whose externalId starts with user_.');
    await axeScan(page, 'the Recipients view, no match');
    await main().getByRole('button', { name: 'Clear filters' }).click();
    await pw(summary()).toHaveText('62 recipients.');
    await pw(search).toHaveValue('');
    expect(new URL(page.url()).hash).toBe('#/recipients');
  });

  test('a search the server would refuse (over 256 characters) is refused beside the field, with no request', async () => {
    const search = page.getByLabel('Search by externalId');
    await pw(search).toHaveAttribute('maxlength', '256');
    const requests = await graphqlRequests(page, async () => {
      // A tab pasted in: a control character, which the server refuses.
      await search.fill('user\t1');
      await pw(search).toHaveAttribute('aria-invalid', 'true');
      await pw(search).toHaveAccessibleDescription(/Remove the control characters/);
      await page.waitForTimeout(400);
    });
    expect(requests).toBe(0);
    await search.fill('');
    await pw(summary()).toHaveText('62 recipients.');
  });

  test('filtered by channel: the channel’s recipients, as many as its recipientCount; with a search too', async () => {
    const channel = page.getByLabel('Channel', { exact: true });
    await channel.selectOption('billing');
    const counts = (await gql(base, member, ChannelsWithCounts)).body.data.channels as { slug: string; recipientCount: number }[];
    const billing = counts.find((c) => c.slug === 'billing')!.recipientCount;
    expect(billing).toBe(20);
    await pw(summary()).toHaveText(`${billing} recipients in billing.`);
    expect(await shownIds()).toEqual((await apiRecipients({ channel: 'billing' })).edges.map((e) => e.node.externalId));
    expect(new URL(page.url()).hash).toBe('#/recipients?channel=billing');
    await page.getByLabel('Search by externalId').fill('user-04');
    await pw(summary()).toHaveText('3 recipients in billing whose externalId starts with user-04.');
    expect(await shownIds()).toEqual(['user-042', 'user-045', 'user-048']);
    // The address holds the filters: a reload shows the same list.
    await page.reload();
    await pw(summary()).toHaveText('3 recipients in billing whose externalId starts with user-04.');
    await pw(channel).toHaveValue('billing');
    await channel.selectOption('');
    await page.getByLabel('Search by externalId').fill('');
    await pw(summary()).toHaveText('62 recipients.');
  });

  test("editing a recipient's channels: Cancel changes nothing; Save sets them, as the API then says", async () => {
    await page.getByLabel('Search by externalId').fill('user-004');
    await pw(summary()).toHaveText('1 recipient whose externalId starts with user-004.');
    await row('user-004').getByRole('button', { name: 'Edit channels' }).click();
    const edit = page.getByRole('dialog', { name: 'Channels of user-004' });
    await pw(edit.getByRole('checkbox', { name: 'marketing' })).toBeChecked();
    await edit.getByRole('checkbox', { name: 'ops' }).check();
    await axeScan(page, 'the Edit channels dialog');
    await edit.getByRole('button', { name: 'Cancel' }).click();
    await pw(dialog()).toHaveCount(0);
    await pw(row('user-004').getByRole('button', { name: 'Edit channels' })).toBeFocused();
    expect((await apiRecipient('user-004'))?.channels.map((c) => c.slug)).toEqual(['marketing']);

    await row('user-004').getByRole('button', { name: 'Edit channels' }).click();
    await edit.getByRole('checkbox', { name: 'marketing' }).uncheck();
    await edit.getByRole('checkbox', { name: 'ops' }).check();
    await edit.getByRole('checkbox', { name: 'billing' }).check();
    await edit.getByRole('button', { name: 'Save' }).click();
    await pw(dialog()).toHaveCount(0);
    await pw(summary()).toContainText('Channels of user-004 saved.');
    await pw(row('user-004').getByRole('list', { name: 'Channels' })).toHaveText('billing ops');
    expect((await apiRecipient('user-004'))?.channels.map((c) => c.slug)).toEqual(['billing', 'ops']);
    await pw(row('user-004').getByRole('button', { name: 'Edit channels' })).toBeFocused();
  });

  test('deleting a recipient asks first, naming it; Cancel (and Escape) keep it; Delete recipient erases it', async () => {
    await row('user-004').getByRole('button', { name: 'Delete' }).click();
    const confirm = page.getByRole('dialog', { name: 'Delete user-004?' });
    await pw(confirm).toContainText('its channel memberships, its inbox and its recipient tokens go at once');
    await pw(confirm.getByRole('button', { name: 'Cancel' })).toBeFocused();
    await axeScan(page, 'the Delete recipient dialog');
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    await pw(dialog()).toHaveCount(0);
    await row('user-004').getByRole('button', { name: 'Delete' }).click();
    await pw(confirm.getByRole('button', { name: 'Cancel' })).toBeFocused();
    await page.keyboard.press('Escape');
    await pw(dialog()).toHaveCount(0);
    await pw(row('user-004').getByRole('button', { name: 'Delete' })).toBeFocused();
    expect(await apiRecipient('user-004')).not.toBeNull();

    await row('user-004').getByRole('button', { name: 'Delete' }).click();
    await confirm.getByRole('button', { name: 'Delete recipient' }).click();
    await pw(dialog()).toHaveCount(0);
    await pw(summary()).toHaveText('0 recipients whose externalId starts with user-004. user-004 deleted.');
    await pw(page.getByRole('heading', { name: 'Recipients', level: 1 })).toBeFocused();
    expect(await apiRecipient('user-004')).toBeNull();
    await page.getByLabel('Search by externalId').fill('');
    await pw(summary()).toHaveText('61 recipients.');
  });

  describe('Import CSV', () => {
    test('the format is explained in the dialog: externalId,channels with channels separated by ";", a header line skipped', async () => {
      await page.getByRole('button', { name: 'Import CSV' }).click();
      const format = dialog().locator('.import-format');
      await pw(format).toContainText("its channels' slugs separated by ;");
      await pw(format).toContainText('A first line externalId,channels is skipped');
      await pw(dialog().getByLabel('CSV file')).toHaveAccessibleDescription(/separated by ;/);
      await axeScan(page, 'the Import CSV dialog');
      await page.keyboard.press('Escape');
      await pw(dialog()).toHaveCount(0);
      await pw(page.getByRole('button', { name: 'Import CSV' })).toBeFocused();
    });

    test('lines the server would refuse are named by line before anything is sent; nothing is imported', async () => {
      const text = ['externalId,channels', 'new-1,marketing', ',ops', 'new-2,Marketing', `${'x'.repeat(257)},ops`, 'new-1,billing'].join(
        '\n',
      );
      const requests = await graphqlRequests(page, async () => {
        await chooseFile('bad-lines.csv', text);
        const problems = dialog().getByRole('alert');
        await pw(problems).toContainText('4 lines of bad-lines.csv cannot be imported, so nothing was sent.');
        expect(await problems.getByRole('listitem').allInnerTexts()).toEqual([
          'Line 3: The externalId is empty.',
          'Line 4: "Marketing" is not a channel slug (lowercase letters, digits and "-", 1 to 64 of them).',
          'Line 5: The externalId has 257 characters; at most 256.',
          'Line 6: "new-1" is also on line 2: a recipient may appear once in a file.',
        ]);
        await pw(dialog().getByRole('button', { name: /^Import / })).toHaveCount(0);
        await axeScan(page, 'the Import CSV dialog, lines refused');
      });
      expect(requests).toBe(0);
      await dialog().getByRole('button', { name: 'Cancel' }).click();
      expect(await apiRecipient('new-1')).toBeNull();
    });

    test('a batch the server refuses (an unknown channel) is named by its line, and nothing of it is imported', async () => {
      const text = ['externalId,channels', 'new-1,marketing', 'new-2,billing;ops', 'new-3,vip', 'new-4,', 'user-001,ops'].join('\r\n');
      await chooseFile('unknown-channel.csv', text);
      await pw(dialog().getByRole('status')).toHaveText('unknown-channel.csv: 5 recipients (the header line skipped).');
      await dialog().getByRole('button', { name: 'Import 5 recipients' }).click();
      const report = dialog().locator('.report');
      await pw(report).toHaveText(
        'Nothing was imported. Batch 1 was not imported: fix the lines named below and import the file again (the recipients already imported are only updated).',
      );
      await pw(report).toBeFocused();
      const batch = dialog().getByRole('list', { name: 'Batches' }).getByRole('listitem');
      await pw(batch).toHaveText(
        'Not imported Batch 1 of 1 (lines 2–6): nothing of it was imported. Line 4 (channels): unknown channel slug "vip"',
      );
      await pw(dialog().locator('.import-progress')).toContainText('100%');
      await axeScan(page, 'the Import CSV report, a batch refused');
      await dialog().getByRole('button', { name: 'Close' }).click();
      await pw(dialog()).toHaveCount(0);
      for (const externalId of ['new-1', 'new-2', 'new-3', 'new-4']) expect(await apiRecipient(externalId)).toBeNull();
      expect((await apiRecipient('user-001'))?.channels).toEqual([]);
    });

    test('a good import of 12,000 lines: two batches, the progress bar after each, 100% at the end, the list read again', async () => {
      const lines = ['externalId,channels'];
      for (let i = 1; i <= 11_990; i += 1) lines.push(`bulk-${String(i).padStart(5, '0')},${i % 2 ? 'marketing' : 'billing;ops'}`);
      // Ten that exist: updated, their channels set to the file's.
      for (let i = 11; i <= 20; i += 1) lines.push(`user-${pad(i)},ops`);
      let upserts = 0;
      let release!: () => void;
      const held = new Promise<void>((resolve) => {
        release = resolve;
      });
      // The second batch waits until the progress after the first has been read.
      await page.route('**/graphql', async (route) => {
        if (route.request().postDataJSON()?.operationName === 'DashboardUpsertRecipients') {
          upserts += 1;
          if (upserts === 2) await held;
        }
        await route.fallback();
      });
      await chooseFile('recipients.csv', `${lines.join('\n')}\n`);
      await pw(dialog().getByRole('status')).toHaveText('recipients.csv: 12,000 recipients in 2 batches (the header line skipped).');
      await dialog().getByRole('button', { name: 'Import 12,000 recipients' }).click();

      const progress = dialog().getByRole('progressbar', { name: 'Import progress' });
      await pw(progress).toHaveAttribute('max', '12000');
      const batches = dialog().getByRole('list', { name: 'Batches' }).getByRole('listitem');
      await expect.poll(() => batches.count(), { timeout: 60_000, interval: 200 }).toBe(1);
      await pw(progress).toHaveAttribute('value', '10000');
      await pw(dialog().locator('.progress-head')).toHaveText('Import progress 83%');
      await pw(batches.first()).toHaveText('Imported Batch 1 of 2 (lines 2–10,001): 10,000 created, 0 updated.');
      await pw(dialog().getByRole('button', { name: 'Stop after this batch' })).toBeVisible();
      release();

      await expect.poll(() => batches.count(), { timeout: 60_000, interval: 200 }).toBe(2);
      await pw(progress).toHaveAttribute('value', '12000');
      await pw(dialog().locator('.progress-head')).toHaveText('Import progress 100%');
      await pw(batches.nth(1)).toHaveText('Imported Batch 2 of 2 (lines 10,002–12,001): 1,990 created, 10 updated.');
      await pw(dialog().locator('.report')).toHaveText('Imported 12,000 recipients: 11,990 created, 10 updated.');
      await axeScan(page, 'the Import CSV report, all imported');
      await page.screenshot({ path: resolve(DOCS, 'recipients-import.png') });
      await dialog().getByRole('button', { name: 'Close' }).click();
      await page.unroute('**/graphql');

      await pw(summary()).toHaveText('12,051 recipients.');
      expect((await apiRecipients({ search: 'bulk-' })).totalCount).toBe(11_990);
      expect((await apiRecipient('bulk-00002'))?.channels.map((c) => c.slug)).toEqual(['billing', 'ops']);
      expect((await apiRecipient('user-012'))?.channels.map((c) => c.slug)).toEqual(['ops']);
    });
  });

  test('by keyboard alone: search, the channel filter, Edit channels, Delete and Import CSV (the file chosen with Space)', async () => {
    await page.getByRole('heading', { name: 'Recipients', level: 1 }).focus();
    await tabTo(page, 'Search by externalId');
    await page.keyboard.type('vip');
    await pw(summary()).toHaveText('2 recipients whose externalId starts with vip.');
    await page.keyboard.press('Tab');
    const channel = page.getByLabel('Channel', { exact: true });
    await pw(channel).toBeFocused();
    // The channels by slug: billing, then marketing.
    await page.keyboard.press('ArrowDown');
    await pw(channel).toHaveValue('billing');
    await page.keyboard.press('ArrowDown');
    await pw(channel).toHaveValue('marketing');
    await pw(summary()).toHaveText('1 recipient in marketing whose externalId starts with vip.');

    await tabTo(page, 'Edit channels');
    await page.keyboard.press('Enter');
    const edit = page.getByRole('dialog', { name: 'Channels of vip-1' });
    await pw(edit.getByRole('checkbox', { name: 'billing' })).toBeFocused();
    await page.keyboard.press('Space');
    await tabTo(page, 'Save');
    await page.keyboard.press('Enter');
    await pw(dialog()).toHaveCount(0);
    await pw(row('vip-1').getByRole('button', { name: 'Edit channels' })).toBeFocused();
    expect((await apiRecipient('vip-1'))?.channels.map((c) => c.slug)).toEqual(['billing', 'marketing']);

    await page.keyboard.press('Tab');
    expect(await focusedName(page)).toBe('Delete');
    await page.keyboard.press('Enter');
    await pw(page.getByRole('dialog', { name: 'Delete vip-1?' }).getByRole('button', { name: 'Cancel' })).toBeFocused();
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await pw(dialog()).toHaveCount(0);
    expect(await apiRecipient('vip-1')).toBeNull();

    await page.getByRole('heading', { name: 'Recipients', level: 1 }).focus();
    await tabTo(page, 'Import CSV');
    await page.keyboard.press('Enter');
    await pw(dialog().getByLabel('CSV file')).toBeFocused();
    // Space on the focused file input (pressed through its locator, so that a late re-render cannot move the key elsewhere).
    const [chooser] = await Promise.all([page.waitForEvent('filechooser'), dialog().getByLabel('CSV file').press('Space')]);
    await chooser.setFiles(csv('vip.csv', 'vip-2,marketing\nvip-3,ops\n'));
    await tabTo(page, 'Import 2 recipients');
    await page.keyboard.press('Enter');
    await pw(dialog().locator('.report')).toBeFocused();
    await pw(dialog().locator('.report')).toHaveText('Imported 2 recipients: 1 created, 1 updated.');
    await page.keyboard.press('Tab');
    expect(await focusedName(page)).toBe('Close');
    await page.keyboard.press('Enter');
    await pw(dialog()).toHaveCount(0);
    await pw(page.getByRole('button', { name: 'Import CSV' })).toBeFocused();
    expect((await apiRecipient('vip-3'))?.channels.map((c) => c.slug)).toEqual(['ops']);
  });

  test('the view passes axe with no sideways scrolling; its screenshot goes to docs/recipients-view.png', async () => {
    await page.goto('/#/recipients');
    await pw(pager()).toContainText('1–25 of 12,051');
    await expectNoSideways(page, 'the Recipients view');
    await axeScan(page, 'the Recipients view');
    await mkdir(DOCS, { recursive: true });
    await page.screenshot({ path: resolve(DOCS, 'recipients-view.png'), fullPage: true });
  });

  test('at 390 px: the filters, one card per recipient (labelled), the pager and every dialog fit; axe; screenshot', async () => {
    const narrow = await openTab(dashboard, NARROW);
    const previous = page;
    page = narrow;
    try {
      await signIn(page, member);
      await page.goto('/#/recipients?search=user-0');
      await pw(pager()).toContainText('1–25 of 59');
      await expectNoSideways(page, 'the Recipients view at 390 px');
      for (const control of [page.getByLabel('Search by externalId'), page.getByLabel('Channel', { exact: true })])
        await expectWithinScreen(control, 'a filter');
      const headers = page.getByRole('rowgroup').filter({ has: page.getByRole('columnheader', { name: 'Channels' }) });
      expect((await headers.boundingBox())?.width).toBeLessThanOrEqual(1);
      for (const card of (await page.locator('table.recipients tbody tr').all()).slice(0, 5)) {
        await expectWithinScreen(card, 'a recipient card');
        for (const label of ['Channels', 'Created']) await pw(card.getByText(label, { exact: true })).toBeVisible();
        for (const button of await card.getByRole('button').all()) await expectWithinScreen(button, `${await button.textContent()}`);
      }
      for (const button of await pager().getByRole('button').all()) await expectWithinScreen(button, `${await button.textContent()}`);
      await axeScan(page, 'the Recipients view at 390 px');
      // The first cards: the page's head, its filters and how a card reads (25 of them make a 5,000 px picture).
      await page.screenshot({ path: resolve(DOCS, 'recipients-view-390.png'), clip: { x: 0, y: 0, width: NARROW.width, height: 1200 } });

      const fits = async (what: string) => {
        await pw(dialog()).toBeVisible();
        await expectNoSideways(page, what);
        await expectWithinScreen(dialog(), what);
        const inside = await dialog().evaluate((el) => ({ scroll: el.scrollWidth, client: el.clientWidth }));
        expect(inside.scroll, `${what}: the dialog's own width`).toBeLessThanOrEqual(inside.client);
        for (const button of await dialog().getByRole('button').all())
          await expectWithinScreen(button, `${what}: ${await button.textContent()}`);
        await axeScan(page, `${what} at 390 px`);
      };
      await row('user-006').getByRole('button', { name: 'Edit channels' }).click();
      await fits('Edit channels');
      await page.keyboard.press('Escape');
      await pw(dialog()).toHaveCount(0);
      await row('user-006').getByRole('button', { name: 'Delete' }).click();
      await fits('Delete recipient');
      await page.keyboard.press('Escape');
      await pw(dialog()).toHaveCount(0);
      await chooseFile('narrow.csv', 'externalId,channels\nuser-006,ops;nope\n,ops\n');
      await fits('Import CSV, a line refused');
      await page.keyboard.press('Escape');
      await pw(dialog()).toHaveCount(0);
      await chooseFile('narrow.csv', 'externalId,channels\nuser-006,ops;nope\n');
      await dialog().getByRole('button', { name: 'Import 1 recipient' }).click();
      await pw(dialog().locator('.report')).toContainText('Nothing was imported.');
      await fits('Import CSV, a batch refused');
    } finally {
      await narrow.context().close();
      page = previous;
    }
  });
});
