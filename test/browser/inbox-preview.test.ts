// The Inbox preview at 1280 px: a member opens one recipient's inbox with a
// token the page mints (never shown, stored or logged), sees messages sent
// through the API arrive live, marks items and sees the UPDATED events come back
// (in a second preview too), and sees the Messages view follow. The stream
// resumes with the last cursor, ends with its token, closes with the view; by
// keyboard; axe; the screenshot goes to docs/inbox-preview.png.
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CreateApiKey, CreateChannel, CreateRecipient, CreateRecipientToken, Inbox, MarkInbox, MessageById } from '../support/documents.ts';
import {
  axeScan,
  type Dashboard,
  escapeRegExp,
  expectNoSideways,
  focusedName,
  gql,
  graphqlRequests,
  memberToken,
  openStreams,
  openTab,
  POLL,
  pageHolds,
  pw,
  sendMessage,
  signIn,
  startDashboard,
  tabTo,
} from './harness.ts';

const SCREENSHOT = resolve(import.meta.dirname, '../../docs/inbox-preview.png');

let dashboard: Dashboard;
let base: string;
let page: Page;
let member: string;
let key: string;
/** Every recipient token the page minted, read off the wire, and everything the page logged. */
const minted: string[] = [];
const logged: string[] = [];

async function watchTab(tab: Page) {
  tab.on('console', (message) => logged.push(message.text()));
  tab.on('response', async (response) => {
    if (!response.request().postData()?.includes('DashboardCreateRecipientToken')) return;
    const token = (await response.json().catch(() => null))?.data?.createRecipientToken?.token;
    if (token) minted.push(token);
  });
}

async function newTab() {
  const tab = await openTab(dashboard);
  await watchTab(tab);
  await signIn(tab, member);
  return tab;
}

async function sent(title: string, body = 'Sent from the browser tests.', channels?: string[]) {
  const { status, body: response } = await sendMessage(base, key, { title, body }, channels);
  expect(status).toBe(200);
  return response.data.send.message.id as string;
}

const preview = (tab = page) => tab.getByRole('region', { name: /^Inbox of / });
const item = (title: string, tab = page) =>
  preview(tab)
    .getByRole('listitem')
    .filter({ has: tab.getByRole('heading', { name: title, exact: true }) });
const streamState = (tab = page) => preview(tab).locator('.stream-state');
const filterButton = (name: string, tab = page) =>
  preview(tab)
    .getByRole('group', { name: 'Show' })
    .getByRole('button', { name: new RegExp(`^${name}`) });
const events = (tab = page) => preview(tab).locator('.event-log li');
const announced = (tab = page) => preview(tab).locator('[aria-live="polite"]');

async function openPreview(externalId: string, tab = page, { live = true } = {}) {
  if (new URL(tab.url()).hash !== '#/inbox') await tab.getByRole('link', { name: 'Inbox preview' }).click();
  await tab.getByLabel('Recipient externalId').fill(externalId);
  await tab.getByRole('button', { name: 'Open inbox' }).click();
  await pw(tab.getByRole('heading', { name: `Inbox of ${externalId}`, level: 2 })).toBeFocused();
  if (live) await pw(streamState(tab)).toHaveText('Live');
}

const titles = (tab = page) =>
  preview(tab)
    .getByRole('list', { name: /items, newest first$/ })
    .getByRole('heading')
    .allInnerTexts();

async function recipientToken(externalId: string) {
  return (await gql(base, member, CreateRecipientToken, { input: { externalId } })).body.data.createRecipientToken.token as string;
}

describe('the Inbox preview', () => {
  beforeAll(async () => {
    dashboard = await startDashboard();
    base = dashboard.base;
    member = await memberToken({ subject: 'idp|dana', accountSlug: 'acme', name: 'Dana Scully', email: 'dana@acme.test' });
    for (const slug of ['marketing', 'billing'])
      expect((await gql(base, member, CreateChannel, { input: { slug, name: slug } })).status).toBe(200);
    for (const [externalId, channels] of [
      ['user-ada', ['marketing']],
      ['user-bob', ['marketing', 'billing']],
    ] as const) {
      expect((await gql(base, member, CreateRecipient, { input: { externalId, channels } })).status).toBe(200);
    }
    key = (await gql(base, member, CreateApiKey, { input: { name: 'Production backend', scope: { kind: 'ALL' } } })).body.data.createApiKey
      .secret;
    await sent('Welcome to Acme', 'Thanks for signing up.');
    await sent('Spring sale starts Monday', '20% off everything in the store, for a week.', ['marketing']);
    page = await newTab();
  }, 120_000);

  afterAll(async () => {
    await dashboard?.close();
  });

  test('the field: empty is caught before any request, an unknown recipient is refused beside it in the server words, 256 characters at most', async () => {
    await page.getByRole('link', { name: 'Inbox preview' }).click();
    await pw(page.getByRole('heading', { name: 'Inbox preview', level: 1 })).toBeFocused();
    expect(await page.title()).toBe('Inbox preview · Herald');
    const field = page.getByLabel('Recipient externalId');
    await pw(field).toHaveAttribute('maxlength', '256');
    const requests = await graphqlRequests(page, async () => {
      await page.getByRole('button', { name: 'Open inbox' }).click();
      await pw(field).toHaveAccessibleDescription(/Enter the recipient's externalId\./);
      await pw(field).toBeFocused();
    });
    expect(requests).toBe(0);

    const refusal = (await gql(base, member, CreateRecipientToken, { input: { externalId: 'user-nobody' } })).body.errors[0];
    expect(refusal.extensions.code).toBe('NOT_FOUND');
    await field.fill('user-nobody');
    await page.getByRole('button', { name: 'Open inbox' }).click();
    await pw(field).toHaveAccessibleDescription(new RegExp(escapeRegExp(refusal.message)));
    await pw(field).toHaveAttribute('aria-invalid', 'true');
    expect(await preview().count()).toBe(0);
  });

  test("opening user-ada's inbox: a 15-minute token, its expiry shown, the inbox as the API lists it, the stream live; the token is never in the page, its storage or its console", async () => {
    const before = Date.now();
    await openPreview('user-ada');
    expect(minted).toHaveLength(1);
    const token = minted[0];
    // The token the page minted lasts 15 minutes, and opens ada's inbox.
    const { body } = await gql(base, token, Inbox, { first: 10 });
    expect(body.data.inbox.edges.map((e: { node: { title: string } }) => e.node.title)).toEqual([
      'Spring sale starts Monday',
      'Welcome to Acme',
    ]);
    const expiry = preview().locator('.meta time');
    await pw(expiry).toHaveText('in 15 minutes');
    const expiresAt = new Date((await expiry.getAttribute('datetime')) ?? '').getTime();
    expect(expiresAt - before).toBeGreaterThan(14 * 60_000);
    expect(expiresAt - Date.now()).toBeLessThanOrEqual(15 * 60_000 + 1000);
    await pw(expiry).toHaveAttribute('title', /\d{4}.*\d{1,2}:\d{2}/);
    await pw(preview().getByRole('list', { name: "The recipient's channels" })).toHaveText('marketing');

    expect(await titles()).toEqual(['Spring sale starts Monday', 'Welcome to Acme']);
    await pw(item('Welcome to Acme')).toContainText('Not seen yet');
    await pw(item('Welcome to Acme')).toContainText('All recipients');
    await pw(item('Spring sale starts Monday').getByRole('list', { name: 'Sent to' })).toHaveText('marketing');
    await pw(filterButton('Unread')).toHaveText('Unread 2');
    await pw(filterButton('Unseen')).toHaveText('Unseen 2');
    expect(await openStreams(base)).toBe(1);
    await pw(page.getByRole('button', { name: 'Open the inbox of user-ada' })).toBeVisible();

    expect(await pageHolds(page, token), 'the page holds the recipient token').toBe(false);
    expect(
      logged.some((line) => line.includes(token)),
      'the console shows the recipient token',
    ).toBe(false);
  });

  test('a message sent through the API with a key appears within 2 s, without a reload, announced politely; the counts go up', async () => {
    await page.evaluate(() => {
      (window as unknown as { notReloaded: boolean }).notReloaded = true;
    });
    const started = Date.now();
    await sent('Your order has shipped', 'It will be there on Thursday.', ['marketing']);
    await item('Your order has shipped').waitFor({ timeout: 2000 });
    console.log(`[inbox preview] a sent message shown after ${Date.now() - started} ms`);
    expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
    expect((await titles())[0]).toBe('Your order has shipped');
    await pw(announced()).toHaveText('New message for user-ada: Your order has shipped');
    await pw(filterButton('Unread')).toHaveText('Unread 3');
    await pw(filterButton('Unseen')).toHaveText('Unseen 3');
    await pw(events().first()).toHaveText(/^NEW Your order has shipped \d/);
  });

  test("Mark read: the UPDATED event comes back and the counts go down; the Messages view's read goes up after Refresh", async () => {
    const saleId = (await gql(base, minted[0], Inbox, { first: 10 })).body.data.inbox.edges.find(
      (e: { node: { title: string } }) => e.node.title === 'Spring sale starts Monday',
    ).node.id;
    const before = (await gql(base, member, MessageById, { id: saleId })).body.data.message.deliveryStats;
    expect(before).toMatchObject({ recipients: 2, seen: 0, read: 0 });

    await page.getByRole('link', { name: 'Messages' }).click();
    const saleRow = page.getByRole('row').filter({ has: page.getByRole('rowheader', { name: 'Spring sale starts Monday' }) });
    await pw(saleRow.locator('.delivery')).toHaveText('2 recipients 0 seen 0 read');
    await page.getByRole('link', { name: 'Inbox preview' }).click();
    await page.getByRole('button', { name: 'Open the inbox of user-ada' }).click();
    await pw(streamState()).toHaveText('Live');

    await item('Spring sale starts Monday').getByRole('button', { name: 'Mark read' }).click();
    await pw(events().first()).toHaveText(/^UPDATED Spring sale starts Monday read · \d/);
    await pw(item('Spring sale starts Monday')).toHaveText(/Read (just now|\d+ seconds? ago)/);
    await pw(item('Spring sale starts Monday').getByRole('button', { name: 'Mark unread' })).toBeVisible();
    await pw(filterButton('Unread')).toHaveText('Unread 2');
    await pw(filterButton('Unseen')).toHaveText('Unseen 2');
    await pw(announced()).toHaveText('“Spring sale starts Monday” marked read.');

    await page.getByRole('link', { name: 'Messages' }).click();
    await page.getByRole('button', { name: 'Refresh' }).click();
    await pw(saleRow.locator('.delivery')).toHaveText('2 recipients 1 seen 1 read');
    expect((await gql(base, member, MessageById, { id: saleId })).body.data.message.deliveryStats).toMatchObject({ seen: 1, read: 1 });
  });

  test('leaving the view, or Close preview, closes the stream', async () => {
    // On the Messages view now: the preview is gone, and so is its stream.
    await expect.poll(() => openStreams(base), POLL).toBe(0);
    await page.getByRole('link', { name: 'Inbox preview' }).click();
    await page.getByRole('button', { name: 'Open the inbox of user-ada' }).click();
    await pw(streamState()).toHaveText('Live');
    expect(await openStreams(base)).toBe(1);
    await preview().getByRole('button', { name: 'Close preview' }).click();
    await pw(preview()).toHaveCount(0);
    await pw(page.getByLabel('Recipient externalId')).toBeFocused();
    await expect.poll(() => openStreams(base), POLL).toBe(0);
  });

  test('Archive takes an item out of All and into Archived; the filters list what the API lists', async () => {
    await openPreview('user-ada');
    await item('Welcome to Acme').getByRole('button', { name: 'Archive' }).click();
    await pw(item('Welcome to Acme')).toHaveCount(0);
    await pw(events().first()).toHaveText(/^UPDATED Welcome to Acme archived · \d/);
    await filterButton('Archived').click();
    await pw(filterButton('Archived')).toHaveAttribute('aria-pressed', 'true');
    await pw(item('Welcome to Acme')).toBeVisible();
    await filterButton('Unread').click();
    const listed = async (filter: string) =>
      (await gql(base, minted.at(-1)!, Inbox, { first: 10, filter })).body.data.inbox.edges.map(
        (e: { node: { title: string } }) => e.node.title,
      );
    await expect
      .poll(() => preview().getByRole('list', { name: 'Unread items, newest first' }).getByRole('heading').allInnerTexts(), POLL)
      .toEqual(await listed('UNREAD'));
    await filterButton('Unseen').click();
    await expect
      .poll(() => preview().getByRole('list', { name: 'Unseen items, newest first' }).getByRole('heading').allInnerTexts(), POLL)
      .toEqual(await listed('UNSEEN'));
    await filterButton('All').click();
    await pw(item('Your order has shipped')).toBeVisible();
  });

  test('marks made in one preview reach a second preview of the same recipient as UPDATED events, both ways', async () => {
    const second = await newTab();
    await openPreview('user-ada', second);
    await pw(item('Your order has shipped', second)).toContainText('Not seen yet');

    await item('Your order has shipped').getByRole('button', { name: 'Mark read' }).click();
    await pw(events(second).first()).toHaveText(/^UPDATED Your order has shipped read · \d/);
    await pw(item('Your order has shipped', second)).toHaveText(/Read (just now|\d+ seconds? ago)/);
    await pw(filterButton('Unread', second)).toHaveText('Unread 0');

    await item('Your order has shipped', second).getByRole('button', { name: 'Mark unread' }).click();
    await pw(events().first()).toHaveText(/^UPDATED Your order has shipped seen · \d/);
    await pw(item('Your order has shipped')).toHaveText(/Seen (just now|\d+ seconds? ago)/);
    await pw(filterButton('Unread')).toHaveText('Unread 1');

    // A mark of every item at once comes as one UPDATED without an item: the preview reads the inbox again.
    await second.getByRole('button', { name: 'Mark all read' }).click();
    await pw(events().first()).toHaveText(/^UPDATED Every item changed · \d/);
    await pw(filterButton('Unread')).toHaveText('Unread 0');
    await pw(item('Your order has shipped')).toHaveText(/Read (just now|\d+ seconds? ago)/);
    await second.context().close();
  });

  test('a dropped stream opens again with after = the last cursor it got: what arrived meanwhile comes first', async () => {
    const token = await recipientToken('user-bob');
    const edges = (await gql(base, token, Inbox, { first: 10 })).body.data.inbox.edges as {
      cursor: string;
      node: { title: string };
    }[];
    // bob's inbox, newest first: the shipping notice (marketing), the sale, the welcome.
    expect(edges.map((e) => e.node.title)).toEqual(['Your order has shipped', 'Spring sale starts Monday', 'Welcome to Acme']);
    const [newest, older] = edges;
    const opened: { after: string | null }[] = [];
    page.on('request', (request) => {
      if (request.headers().accept === 'text/event-stream') opened.push(request.postDataJSON().variables);
    });
    // The first stream tells of the older item only, then ends (as a restarting server would).
    let first = true;
    await page.route('**/graphql', async (route) => {
      if (route.request().headers().accept !== 'text/event-stream' || !first) return route.fallback();
      first = false;
      const event = { data: { inbox: { kind: 'NEW', cursor: older.cursor, unreadCount: 2, unseenCount: 2, item: older.node } } };
      await route.fulfill({
        status: 200,
        headers: { 'content-type': 'text/event-stream' },
        body: `:\n\nevent: next\ndata: ${JSON.stringify(event)}\n\nevent: complete\ndata:\n\n`,
      });
    });
    await openPreview('user-bob', page, { live: false });
    await pw(events()).toHaveCount(2);
    await page.unroute('**/graphql');
    // The canned event first, then the item newer than its cursor, replayed by Herald.
    await pw(events().nth(1)).toHaveText(/^NEW Spring sale starts Monday \d/);
    await pw(events().first()).toHaveText(/^NEW Your order has shipped \d/);
    expect(opened.slice(-2)).toEqual([{ after: null }, { after: older.cursor }]);
    expect(newest.cursor).not.toBe(older.cursor);
    // Every item once, and the stream live again.
    expect(await titles()).toEqual(edges.map((e) => e.node.title));
    await pw(streamState()).toHaveText('Live');
  });

  test('a token Herald refuses when the stream opens again (the recipient deleted) ends it; Mint a new token opens it again', async () => {
    // The server on main cannot delete a recipient yet: the stream ends, and its next opening gets the 401 Herald answers then.
    let attempt = 0;
    await page.route('**/graphql', async (route) => {
      if (route.request().headers().accept !== 'text/event-stream') return route.fallback();
      attempt += 1;
      if (attempt === 1)
        await route.fulfill({ status: 200, headers: { 'content-type': 'text/event-stream' }, body: ':\n\nevent: complete\ndata:\n\n' });
      else
        await route.fulfill({
          status: 401,
          json: { errors: [{ message: 'The token is invalid or expired.', extensions: { code: 'UNAUTHENTICATED' } }] },
        });
    });
    await openPreview('user-ada', page, { live: false });
    await pw(streamState()).toHaveText('Ended');
    await pw(preview().locator('.banner')).toHaveText(
      'The stream ended. Herald no longer accepts this token: the recipient may have been deleted. Mint a new token to watch this inbox again. Mint a new token',
    );
    await page.unroute('**/graphql');
    const before = minted.length;
    await preview().getByRole('button', { name: 'Mint a new token' }).click();
    await pw(streamState()).toHaveText('Live');
    expect(minted.length).toBe(before + 1);
    await pw(page.getByRole('heading', { name: 'Inbox of user-ada', level: 2 })).toBeFocused();
  });

  test("the token's expiry ends the stream and says so; Mint a new token opens it again", async () => {
    // A token lasts at least 60 s: this one's expiry, as the page is told it, comes in 3 s (the server's own end of
    // a stream at its token's expiry is tested in test/inbox-stream tests).
    await page.route('**/graphql', async (route) => {
      if (!route.request().postData()?.includes('DashboardCreateRecipientToken')) return route.fallback();
      const response = await route.fetch();
      const json = await response.json();
      json.data.createRecipientToken.expiresAt = new Date(Date.now() + 3000).toISOString();
      await route.fulfill({ response, json });
    });
    await openPreview('user-ada');
    await page.unroute('**/graphql');
    await pw(streamState()).toHaveText('Ended');
    await pw(preview().locator('.banner')).toContainText('The stream ended. The token expired.');
    await pw(preview().locator('.meta')).toHaveText(/Token expired (now|\d+ seconds? ago)/);
    await expect.poll(() => openStreams(base), POLL).toBe(0);
    await preview().getByRole('button', { name: 'Mint a new token' }).click();
    await pw(streamState()).toHaveText('Live');
    await pw(preview().locator('.meta time')).toHaveText('in 15 minutes');
  });

  test('by keyboard alone: the nav, the field, a recent recipient, Mark read, Archive (focus moves on), Close preview', async () => {
    await page.goto('/#/keys');
    await pw(page.getByRole('heading', { name: 'API Keys', level: 1 })).toBeVisible();
    await tabTo(page, 'Inbox preview');
    await page.keyboard.press('Enter');
    await pw(page.getByRole('heading', { name: 'Inbox preview', level: 1 })).toBeFocused();
    await tabTo(page, 'Recipient externalId');
    await page.keyboard.type('user-bob');
    await page.keyboard.press('Enter');
    await pw(page.getByRole('heading', { name: 'Inbox of user-bob', level: 2 })).toBeFocused();
    await pw(streamState()).toHaveText('Live');

    await expect.poll(async () => (await titles()).length, POLL).toBeGreaterThan(1);
    const [first, second] = await titles();
    await tabTo(page, 'Mark read');
    await page.keyboard.press('Enter');
    await pw(events().first()).toHaveText(new RegExp(`^UPDATED ${escapeRegExp(first)} read · \\d`));
    expect(await focusedName(page)).toBe('Mark unread');
    await tabTo(page, 'Archive');
    await page.keyboard.press('Enter');
    await pw(item(first)).toHaveCount(0);
    // Its item gone, focus is on the item that took its place.
    await pw(page.getByRole('heading', { name: second, level: 3 })).toBeFocused();

    await tabTo(page, 'Close preview');
    await page.keyboard.press('Enter');
    await pw(page.getByLabel('Recipient externalId')).toBeFocused();
    await tabTo(page, 'Open the inbox of user-ada');
    await page.keyboard.press('Enter');
    await pw(page.getByRole('heading', { name: 'Inbox of user-ada', level: 2 })).toBeFocused();
    await tabTo(page, 'Close preview');
    await page.keyboard.press('Enter');
  });

  test('the preview passes axe with no sideways scrolling; its screenshot goes to docs/inbox-preview.png', async () => {
    // cy, in billing: a message she has read, one she has seen, and new ones arriving live, with the events they made.
    expect((await gql(base, member, CreateRecipient, { input: { externalId: 'user-cy', channels: ['billing'] } })).status).toBe(200);
    const cy = await recipientToken('user-cy');
    const invoice = await sent('Your invoice for November', 'Invoice #1042 is ready: €48.00, due on December 15.', ['billing']);
    const card = await sent(
      'Your card expires soon',
      'The card ending in 4242 expires at the end of the month. Update it to keep your plan.',
      ['billing'],
    );
    expect((await gql(base, cy, MarkInbox, { input: { ids: [invoice], action: 'SEEN' } })).status).toBe(200);
    expect((await gql(base, cy, MarkInbox, { input: { ids: [card], action: 'SEEN' } })).status).toBe(200);
    await page.reload();
    await openPreview('user-cy');
    await sent('Your order has shipped', 'Order #5521 left our warehouse and will be there on Thursday.', ['billing']);
    await pw(item('Your order has shipped')).toBeVisible();
    await item('Your card expires soon').getByRole('button', { name: 'Mark read' }).click();
    await pw(item('Your card expires soon')).toContainText('Read');
    await sent('Password changed', 'Your password was changed. Not you? Reply to this message and we will lock the account.', ['billing']);
    await pw(item('Password changed')).toBeVisible();
    await pw(events()).toHaveCount(3);

    await axeScan(page, 'the Inbox preview, live');
    await expectNoSideways(page, 'the Inbox preview');
    await mkdir(resolve(SCREENSHOT, '..'), { recursive: true });
    await page.mouse.move(0, 0);
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(minted.every((token) => !logged.some((line) => line.includes(token)))).toBe(true);
  });
});
