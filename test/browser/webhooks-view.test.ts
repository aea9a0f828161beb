// The Webhooks view against a Herald that may deliver to a local receiver
// (WEBHOOK_ALLOW_PRIVATE_NETWORKS=true): add an endpoint (its secret shown
// once, the question before it is lost), edit it, disable and enable it, send a
// test event and see its try in the log (a 200 and a 500), roll the secret with
// grace (deliveries then carry both signatures), delete with a confirmation,
// the attempt log paged with Load more; a client-side check and the server's
// own refusal (a production Herald without the variable); by keyboard; axe; at
// 390 px; the screenshots go to docs/webhooks-view.png and webhooks-view-390.png.
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CreateChannel, CreateWebhookEndpoint, SendWebhookTestEvent, WebhookAttempts, WebhookEndpoints } from '../support/documents.ts';
import { signedWith, WebhookReceiver } from '../support/webhook-receiver.ts';
import {
  axeScan,
  type Dashboard,
  expectNoSideways,
  gql,
  graphqlRequests,
  memberToken,
  NARROW,
  openTab,
  POLL,
  pw,
  shownSecret,
  signIn,
  startDashboard,
  tabTo,
} from './harness.ts';

const SCREENSHOT = resolve(import.meta.dirname, '../../docs/webhooks-view.png');
const SCREENSHOT_NARROW = resolve(import.meta.dirname, '../../docs/webhooks-view-390.png');

let dashboard: Dashboard;
let receiver: WebhookReceiver;
let base: string;
let page: Page;
let member: string;
/** The endpoint the walkthrough adds, and the secrets it was shown. */
let ordersUrl: string;
let firstSecret: string;
let rolledSecret: string;

const dialog = (tab = page) => tab.getByRole('dialog');
/** The card of the endpoint with this URL. */
const card = (url: string, tab = page) => tab.getByRole('article', { name: url, exact: true });
const log = (url: string, tab = page) => card(url, tab).getByRole('table', { name: /Delivery attempts to/ });

async function endpoints(token = member) {
  return (await gql(base, token, WebhookEndpoints)).body.data.webhookEndpoints as {
    id: string;
    url: string;
    description: string | null;
    enabled: boolean;
    disabledReason: string | null;
    events: string[];
    channels: { slug: string }[];
  }[];
}

async function openWebhooks(tab: Page, token: string) {
  await signIn(tab, token);
  await tab.getByRole('link', { name: 'Webhooks' }).click();
  await pw(tab.getByRole('heading', { name: 'Webhooks', level: 1 })).toBeFocused();
}

/** Opens the card's attempt log (if closed). */
async function openLog(url: string, tab = page) {
  const toggle = card(url, tab).getByRole('button', { name: 'Delivery attempts' });
  if ((await toggle.getAttribute('aria-expanded')) !== 'true') await toggle.click();
  await pw(toggle).toHaveAttribute('aria-expanded', 'true');
}

describe('the Webhooks view', () => {
  beforeAll(async () => {
    receiver = await WebhookReceiver.start();
    dashboard = await startDashboard({ WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true' });
    base = dashboard.base;
    member = await memberToken({ subject: 'idp|fox', accountSlug: 'hooked', name: 'Fox Mulder' });
    for (const slug of ['marketing', 'billing'])
      expect((await gql(base, member, CreateChannel, { input: { slug, name: slug } })).status).toBe(200);
    ordersUrl = `${receiver.url}/hooks/orders`;
    page = await openTab(dashboard);
  }, 120_000);

  afterAll(async () => {
    await dashboard?.close();
    await receiver?.close();
  });

  test('an account with no endpoint is told what they are for; the view is in the navigation', async () => {
    await openWebhooks(page, member);
    expect(await page.title()).toBe('Webhooks · Herald');
    await pw(page.getByRole('link', { name: 'Webhooks' })).toHaveAttribute('aria-current', 'page');
    await pw(page.locator('.empty')).toContainText('No endpoints yet.');
    await axeScan(page, 'the Webhooks view, empty');
  });

  test('Add Endpoint: URL, description, channels from the account, events; the secret shown once, and asked about before it is lost', async () => {
    await page.getByRole('button', { name: 'Add Endpoint' }).click();
    await pw(dialog()).toBeVisible();
    await pw(dialog().getByRole('heading', { name: 'Add Endpoint' })).toBeVisible();
    await dialog().getByLabel('Endpoint URL').fill(ordersUrl);
    await dialog().getByLabel('Description (optional)').fill('Order service: emails and SMS');
    await dialog()
      .getByRole('checkbox', { name: /inbox\.item\.read/ })
      .check();
    await dialog()
      .getByRole('radio', { name: /Only these channels/ })
      .check();
    // The account's channels, one checkbox each.
    await expect.poll(() => dialog().locator('.check').allInnerTexts(), POLL).toEqual(['billing', 'marketing']);
    await dialog().getByRole('checkbox', { name: 'marketing' }).check();
    await dialog().getByRole('button', { name: 'Add Endpoint' }).click();

    await pw(dialog().getByRole('heading', { name: 'Endpoint added' })).toBeVisible();
    firstSecret = await shownSecret(page);
    expect(firstSecret).toMatch(/^whsec_[A-Za-z0-9+/=]+$/);
    await pw(dialog()).toContainText('it cannot be shown again');
    // Done before copying asks; Escape goes back to the secret; Copy, then Done closes.
    await dialog().getByRole('button', { name: 'Done' }).click();
    await pw(dialog().getByRole('group', { name: 'Close without copying?' })).toBeVisible();
    await pw(dialog().getByRole('button', { name: 'Go back' })).toBeFocused();
    await page.keyboard.press('Escape');
    await pw(dialog().getByRole('group', { name: 'Close without copying?' })).toBeHidden();
    await pw(dialog()).toBeVisible();
    await page.keyboard.press('Escape');
    await pw(dialog().getByRole('group', { name: 'Close without copying?' })).toBeVisible();
    await dialog().getByRole('button', { name: 'Go back' }).click();
    await dialog().getByRole('button', { name: 'Copy' }).click();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(firstSecret);
    await dialog().getByRole('button', { name: 'Done' }).click();
    await pw(dialog()).toBeHidden();
    await pw(page.getByRole('button', { name: 'Add Endpoint' })).toBeFocused();

    const [saved] = await endpoints();
    expect(saved).toMatchObject({
      url: ordersUrl,
      description: 'Order service: emails and SMS',
      enabled: true,
      channels: [{ slug: 'marketing' }],
    });
    expect([...saved.events].sort()).toEqual(['INBOX_ITEM_READ', 'MESSAGE_SENT']);
  });

  test('the endpoint is listed: URL, description, events, channels as chips, Enabled, created with the exact time on hover', async () => {
    const c = card(ordersUrl);
    await pw(c).toBeVisible();
    await pw(c.locator('.endpoint-description')).toHaveText('Order service: emails and SMS');
    expect(await c.getByRole('list', { name: 'Events' }).getByRole('listitem').allInnerTexts()).toEqual([
      'message.sent',
      'inbox.item.read',
    ]);
    expect(await c.getByRole('list', { name: 'Channels' }).getByRole('listitem').allInnerTexts()).toEqual(['marketing']);
    await pw(c.locator('.badge')).toHaveText('Enabled');
    const created = c.locator('dt:text-is("Created") + dd time');
    await pw(created).toHaveText(/^(now|\d+ seconds? ago)$/);
    await pw(created).toHaveAttribute('title', /\d{4}.*\d{1,2}:\d{2}/);
    await pw(c.locator('dt:text-is("Last success") + dd')).toHaveText('Never');
    expect(await pageHoldsSecret(firstSecret)).toBe(false);
  });

  test('Edit Endpoint: the same fields, filled in; Every message and a new description are saved', async () => {
    await card(ordersUrl).getByRole('button', { name: 'Edit' }).click();
    await pw(dialog().getByRole('heading', { name: 'Edit Endpoint' })).toBeVisible();
    await pw(dialog().getByLabel('Endpoint URL')).toHaveValue(ordersUrl);
    await pw(dialog().getByRole('checkbox', { name: 'marketing' })).toBeChecked();
    await dialog().getByLabel('Description (optional)').fill('Order service');
    await dialog()
      .getByRole('radio', { name: /Every message/ })
      .check();
    await dialog().getByRole('button', { name: 'Save' }).click();
    await pw(dialog()).toBeHidden();
    await pw(card(ordersUrl).locator('dt:text-is("Channels") + dd')).toHaveText('Every message');
    await pw(card(ordersUrl).locator('.endpoint-description')).toHaveText('Order service');
    await pw(card(ordersUrl).getByRole('button', { name: 'Edit' })).toBeFocused();
    const [saved] = await endpoints();
    expect(saved).toMatchObject({ description: 'Order service', channels: [] });
  });

  test('Send test event: its try shows in the log (status, HTTP status, duration, attempt), signed with the secret shown once', async () => {
    const before = receiver.at('/hooks/orders').length;
    await card(ordersUrl).getByRole('button', { name: 'Send test event' }).click();
    const status = card(ordersUrl).locator('.attempts-status');
    await pw(status).toHaveText(/^Test event delivered: HTTP 200 in \d+ ms\.$/);
    const row = log(ordersUrl).getByRole('row').nth(1);
    await pw(row.locator('.badge')).toHaveText('Succeeded');
    await pw(row.getByRole('cell').nth(2)).toHaveText('200');
    await pw(row.getByRole('cell').nth(3)).toHaveText(/^\d+ ms$/);
    await pw(row.getByRole('cell').nth(4)).toHaveText('1');
    await pw(row.getByRole('rowheader').locator('time')).toHaveAttribute('title', /\d{4}.*\d{1,2}:\d{2}/);
    const [delivered] = (await receiver.waitFor('/hooks/orders', before + 1)).slice(before);
    expect(delivered.event.type).toBe('message.sent');
    expect(signedWith(firstSecret, delivered)).toBe(true);
    await pw(row.getByRole('cell').nth(1)).toContainText(delivered.headers['webhook-id']);
    // The endpoint is read again once its try is logged: its last success shows (to the minute, as the API keeps it).
    await pw(card(ordersUrl).locator('dt:text-is("Last success") + dd')).toHaveText(/^(now|\d+ (seconds?|minutes?) ago)$/);
  });

  test('a failing endpoint: the try shows as Will retry with the HTTP status, the error and the next attempt', async () => {
    receiver.respond(500, 'boom');
    try {
      await card(ordersUrl).getByRole('button', { name: 'Send test event' }).click();
      await pw(card(ordersUrl).locator('.attempts-status')).toHaveText(/^Test event failed: HTTP 500 in \d+ ms.*Herald will try again\.$/);
      const row = log(ordersUrl).getByRole('row').nth(1);
      await pw(row.locator('.badge')).toHaveText('Will retry');
      await pw(row.getByRole('cell').nth(2)).toHaveText('500');
      await pw(row.getByRole('cell').nth(5).locator('time')).toHaveText(/^in \d+ seconds?$/);
      const { id } = (await endpoints())[0];
      const [latest] = (await gql(base, member, WebhookAttempts, { id, first: 1 })).body.data.webhookEndpoint.attempts.edges;
      if (latest.node.error) await pw(row.getByRole('cell').nth(6)).toHaveText(latest.node.error);
    } finally {
      receiver.respond(200, 'ok');
    }
  });

  test('Disable and Enable at once: the reason in words, no test event while disabled', async () => {
    const c = card(ordersUrl);
    await c.getByRole('button', { name: 'Disable' }).click();
    await pw(c.locator('.badge')).toHaveText('Disabled');
    await pw(c.locator('.endpoint-disabled')).toHaveText('Not receiving events. Disabled by a member.');
    await pw(c.getByRole('button', { name: 'Enable' })).toBeFocused();
    expect(await c.getByRole('button', { name: 'Send test event' }).count()).toBe(0);
    expect((await endpoints())[0]).toMatchObject({ enabled: false, disabledReason: 'Disabled by a member.' });

    await c.getByRole('button', { name: 'Enable' }).click();
    await pw(c.locator('.badge')).toHaveText('Enabled');
    await pw(c.locator('.endpoint-disabled')).toHaveCount(0);
    await pw(c.getByRole('button', { name: 'Send test event' })).toBeVisible();
    expect((await endpoints())[0]).toMatchObject({ enabled: true, disabledReason: null });
  });

  test('Roll secret with 24 hours of grace: a new secret shown once; the next delivery carries both signatures', async () => {
    await card(ordersUrl).getByRole('button', { name: 'Roll secret' }).click();
    await pw(dialog().getByRole('heading', { name: 'Roll the signing secret' })).toBeVisible();
    expect(
      await dialog()
        .getByRole('radio')
        .evaluateAll((radios) => radios.map((r) => (r.parentElement?.textContent ?? '').trim())),
    ).toEqual(['At once', 'In 1 hour', 'In 24 hours']);
    await dialog().getByRole('radio', { name: 'In 24 hours' }).check();
    await dialog().getByRole('button', { name: 'Roll secret' }).click();
    await pw(dialog().getByRole('heading', { name: 'New signing secret' })).toBeVisible();
    rolledSecret = await shownSecret(page);
    expect(rolledSecret).toMatch(/^whsec_/);
    expect(rolledSecret).not.toBe(firstSecret);
    await dialog().getByRole('button', { name: 'Copy' }).click();
    await dialog().getByRole('button', { name: 'Done' }).click();
    await pw(dialog()).toBeHidden();
    await pw(card(ordersUrl).getByRole('button', { name: 'Roll secret' })).toBeFocused();
    await pw(card(ordersUrl).locator('dt:text-is("Previous secret") + dd')).toHaveText(/^expires in (24|23) hours$/);

    const before = receiver.at('/hooks/orders').length;
    await card(ordersUrl).getByRole('button', { name: 'Send test event' }).click();
    await pw(card(ordersUrl).locator('.attempts-status')).toHaveText(/^Test event delivered/);
    const delivered = (await receiver.waitFor('/hooks/orders', before + 1)).at(-1)!;
    expect(signedWith(rolledSecret, delivered)).toBe(true);
    expect(signedWith(firstSecret, delivered)).toBe(true);
  });

  test('the attempt log pages with Load more, by its cursor; focus goes to the first attempt it added', async () => {
    const path = '/hooks/busy';
    const { body } = await gql(base, member, CreateWebhookEndpoint, { input: { url: `${receiver.url}${path}`, description: 'Analytics' } });
    const id = body.data.createWebhookEndpoint.endpoint.id as string;
    for (let i = 0; i < 23; i += 1)
      expect((await gql(base, member, SendWebhookTestEvent, { input: { id, eventType: 'MESSAGE_SENT' } })).status).toBe(200);
    await receiver.waitFor(path, 23, 15_000);
    await expect
      .poll(async () => (await gql(base, member, WebhookAttempts, { id, first: 100 })).body.data.webhookEndpoint.attempts.edges.length, {
        timeout: 15_000,
      })
      .toBe(23);

    await page.reload();
    const url = `${receiver.url}${path}`;
    await openLog(url);
    await pw(log(url).getByRole('row')).toHaveCount(21);
    await pw(card(url).locator('.more')).toHaveText('20 attempts shown Load more');
    await card(url).getByRole('button', { name: 'Load more' }).click();
    await pw(log(url).getByRole('row')).toHaveCount(24);
    await pw(log(url).getByRole('rowheader').nth(20)).toBeFocused();
    await pw(card(url).locator('.more')).toHaveText('23 attempts');
    const shown = await log(url).locator('.event-id').allInnerTexts();
    const api = (await gql(base, member, WebhookAttempts, { id, first: 100 })).body.data.webhookEndpoint.attempts.edges.map(
      (e: { node: { eventId: string } }) => e.node.eventId,
    );
    expect(shown).toEqual(api);
  });

  test('Delete asks first: Cancel keeps the endpoint, Delete endpoint removes it', async () => {
    const url = `${receiver.url}/hooks/busy`;
    await card(url).getByRole('button', { name: 'Delete' }).click();
    await pw(dialog().getByRole('heading', { name: 'Delete this endpoint?' })).toBeVisible();
    await pw(dialog()).toContainText(url);
    await dialog().getByRole('button', { name: 'Cancel' }).click();
    await pw(dialog()).toBeHidden();
    await pw(card(url).getByRole('button', { name: 'Delete' })).toBeFocused();
    expect((await endpoints()).map((e) => e.url)).toContain(url);

    await card(url).getByRole('button', { name: 'Delete' }).click();
    await dialog().getByRole('button', { name: 'Delete endpoint' }).click();
    await pw(dialog()).toBeHidden();
    await pw(card(url)).toHaveCount(0);
    await pw(page.getByRole('heading', { name: 'Webhooks', level: 1 })).toBeFocused();
    expect((await endpoints()).map((e) => e.url)).toEqual([ordersUrl]);
  });

  test('checked before sending: a malformed URL or no event is refused beside its field, and nothing is sent', async () => {
    await page.getByRole('button', { name: 'Add Endpoint' }).click();
    const url = dialog().getByLabel('Endpoint URL');
    await url.fill('example.com/hooks');
    await dialog()
      .getByRole('checkbox', { name: /message\.sent/ })
      .uncheck();
    const sent = await graphqlRequests(page, async () => {
      await dialog().getByRole('button', { name: 'Add Endpoint' }).click();
      await pw(url).toHaveAttribute('aria-invalid', 'true');
    });
    expect(sent).toBe(0);
    await pw(url).toBeFocused();
    await pw(url).toHaveAccessibleDescription(/Enter a full URL, starting with https:\/\//);
    await pw(dialog().locator('.field-error').nth(1)).toHaveText('Choose at least one event.');
    await url.fill('ftp://example.com/hooks');
    await pw(dialog().locator('.field-error').first()).toHaveText('The URL must start with https://.');
    await url.fill('https://user:pass@example.com/hooks');
    await pw(dialog().locator('.field-error').first()).toHaveText(/^Remove the user name and password/);
    await page.keyboard.press('Escape');
    await pw(dialog()).toBeHidden();
  });

  test('by keyboard: the nav link, Add Endpoint, the secret copied, the log opened', async () => {
    await page.goto('/#/keys');
    await pw(page.getByRole('heading', { name: 'API Keys', level: 1 })).toBeVisible();
    await tabTo(page, 'Webhooks');
    await page.keyboard.press('Enter');
    await pw(page.getByRole('heading', { name: 'Webhooks', level: 1 })).toBeFocused();
    await tabTo(page, 'Add Endpoint');
    await page.keyboard.press('Enter');
    await pw(dialog().getByLabel('Endpoint URL')).toBeFocused();
    await page.keyboard.type(`${receiver.url}/hooks/keyboard`);
    await page.keyboard.press('Enter');
    await pw(dialog().getByRole('heading', { name: 'Endpoint added' })).toBeVisible();
    await tabTo(page, 'Copy');
    await page.keyboard.press('Enter');
    await pw(dialog().getByRole('status')).toHaveText('Copied to the clipboard.');
    await tabTo(page, 'Done');
    await page.keyboard.press('Enter');
    await pw(dialog()).toBeHidden();
    await pw(page.getByRole('button', { name: 'Add Endpoint' })).toBeFocused();
    const url = `${receiver.url}/hooks/keyboard`;
    await pw(card(url)).toBeVisible();
    await tabTo(page, 'Delivery attempts');
    await page.keyboard.press('Enter');
    await pw(card(url).getByRole('button', { name: 'Delivery attempts' })).toHaveAttribute('aria-expanded', 'true');
    await pw(card(url).locator('.attempts-empty')).toContainText('No attempts yet.');
    await tabTo(page, 'Send test event');
    await page.keyboard.press('Enter');
    await pw(card(url).locator('.attempts-status')).toHaveText(/^Test event delivered/);
    await pw(log(url).getByRole('row')).toHaveCount(2);
  });

  test('at 1280 px the view passes axe with the log open, with no sideways scrolling; the screenshot goes to docs/webhooks-view.png', async () => {
    await openLog(ordersUrl);
    await pw(log(ordersUrl)).toBeVisible();
    await axeScan(page, 'the Webhooks view');
    await expectNoSideways(page, 'the Webhooks view');
    await card(ordersUrl).getByRole('button', { name: 'Edit' }).click();
    await axeScan(page, 'Edit Endpoint');
    await page.keyboard.press('Escape');
    await pw(dialog()).toBeHidden();
    await mkdir(resolve(SCREENSHOT, '..'), { recursive: true });
    await page.mouse.move(0, 0);
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
  });

  test('at 390 px: one card per endpoint, the log as rows, the dialogs fit, nothing scrolls sideways; docs/webhooks-view-390.png', async () => {
    const tab = await openTab(dashboard, NARROW);
    await openWebhooks(tab, member);
    await openLog(ordersUrl, tab);
    await pw(log(ordersUrl, tab)).toBeVisible();
    await expectNoSideways(tab, 'the Webhooks view at 390 px');
    await axeScan(tab, 'the Webhooks view at 390 px');
    for (const name of ['Add Endpoint', 'Roll secret', 'Delete']) {
      const button = name === 'Add Endpoint' ? tab.getByRole('button', { name }) : card(ordersUrl, tab).getByRole('button', { name });
      await button.click();
      await pw(dialog(tab)).toBeVisible();
      await expectNoSideways(tab, `${name} at 390 px`);
      const inside = await dialog(tab).evaluate((el) => ({ scroll: el.scrollWidth, client: el.clientWidth }));
      expect(inside.scroll, `${name}: the dialog's own width`).toBeLessThanOrEqual(inside.client);
      await dialog(tab).getByRole('button', { name: 'Cancel' }).click();
      await pw(dialog(tab)).toBeHidden();
    }
    await tab.mouse.move(0, 0);
    await tab.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await tab.screenshot({ path: SCREENSHOT_NARROW, fullPage: true });
    await tab.context().close();
  });
});

/** Whether the main tab's HTML or storage holds this secret once its dialog is closed. */
async function pageHoldsSecret(secret: string): Promise<boolean> {
  const storage = await page.evaluate(() => JSON.stringify({ ...sessionStorage, ...localStorage }));
  return (await page.content()).includes(secret) || storage.includes(secret);
}

describe('the Webhooks view on a production Herald (no WEBHOOK_ALLOW_PRIVATE_NETWORKS)', () => {
  let strict: Dashboard;
  let tab: Page;
  let token: string;

  beforeAll(async () => {
    strict = await startDashboard({ NODE_ENV: 'production' });
    token = await memberToken({ subject: 'idp|dana', accountSlug: 'strict' });
    tab = await openTab(strict);
  }, 120_000);

  afterAll(async () => {
    await strict?.close();
  });

  test('http:// is refused in the page; a loopback address is refused by the server, in its words, beside the URL', async () => {
    await openWebhooks(tab, token);
    await tab.getByRole('button', { name: 'Add Endpoint' }).click();
    const url = dialog(tab).getByLabel('Endpoint URL');
    await url.fill('http://hooks.example.com/herald');
    await dialog(tab).getByRole('button', { name: 'Add Endpoint' }).click();
    await pw(url).toHaveAccessibleDescription(/The URL must start with https:\/\/: this server sends webhooks over https only\./);

    const loopback = 'https://127.0.0.1:8443/herald';
    const refusal = (await gql(strict.base, token, CreateWebhookEndpoint, { input: { url: loopback } })).body.errors[0];
    expect(refusal.extensions.field).toBe('url');
    expect(refusal.message).toMatch(/loopback/);
    await url.fill(loopback);
    await dialog(tab).getByRole('button', { name: 'Add Endpoint' }).click();
    await pw(dialog(tab).locator('.field-error')).toHaveText(refusal.message);
    await pw(url).toHaveAttribute('aria-invalid', 'true');
    await pw(url).toBeFocused();
    expect((await gql(strict.base, token, WebhookEndpoints)).body.data.webhookEndpoints).toEqual([]);
    await axeScan(tab, 'a refused URL');
  });
});
