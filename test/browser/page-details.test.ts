// What makes the page livable for a team, at 1280 px: the shown-once secret
// asks before it is lost, members appear by name, the usage chart reads by
// pointer and by keyboard, the audit trail reads as sentences, channels are
// one link away, and the server's limits are checked before anything is sent.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CreateApiKey, CreateChannel, RevokeApiKey, RollApiKey, UpdateApiKey } from '../support/documents.ts';
import {
  axeScan,
  type Dashboard,
  focusedName,
  gql,
  graphqlRequests,
  keyCount,
  keyRow,
  memberToken,
  openTab,
  pageHolds,
  pw,
  send,
  shownSecret,
  signIn,
  startDashboard,
  tabTo,
} from './harness.ts';

let dashboard: Dashboard;
let base: string;
let page: Page;
let member: string;
const account = 'details';

const row = (name: string) => keyRow(page, name);
const dialog = () => page.getByRole('dialog');

async function createKey(name: string, input: Record<string, unknown> = {}, token = member) {
  const { body } = await gql(base, token, CreateApiKey, { input: { name, scope: { kind: 'ALL' }, ...input } });
  return body.data.createApiKey as { secret: string; apiKey: { id: string } };
}

/** The page, loaded again (as a person would to see others' changes), on the API Keys list. */
async function reload() {
  if (new URL(page.url()).hash !== '#/keys') await page.goto('/#/keys');
  await page.reload();
  await pw(page.getByRole('heading', { name: 'API Keys', level: 1 })).toBeVisible();
}

describe('the API Keys page, in detail', () => {
  beforeAll(async () => {
    dashboard = await startDashboard();
    base = dashboard.base;
    member = await memberToken({ subject: 'idp|dana', accountSlug: account, name: 'Dana Scully', email: 'dana@acme.test' });
    for (const slug of ['marketing', 'ops'])
      expect((await gql(base, member, CreateChannel, { input: { slug, name: slug } })).status).toBe(200);
    page = await openTab(dashboard);
    await signIn(page, member);
  }, 120_000);

  afterAll(async () => {
    await dashboard?.close();
  });

  describe('the shown-once secret', () => {
    test('Done before copying asks "Close without copying?"; Go back keeps the secret; after Copy, Done closes at once', async () => {
      await page.getByRole('button', { name: 'Create API Key' }).click();
      await dialog().getByLabel('Name').fill('Asked before closing');
      await dialog().getByRole('button', { name: 'Create API Key' }).click();
      const secret = await shownSecret(page);

      await dialog().getByRole('button', { name: 'Done' }).click();
      const question = dialog().getByRole('group', { name: 'Close without copying?' });
      await pw(question).toContainText('The secret cannot be shown again.');
      await pw(question.getByRole('button', { name: 'Go back' })).toBeFocused();
      await question.getByRole('button', { name: 'Go back' }).click();
      await pw(question).toHaveCount(0);
      await pw(dialog().getByRole('button', { name: 'Copy' })).toBeFocused();
      expect((await shownSecret(page)) === secret, 'the same secret is still shown').toBe(true);

      await dialog().getByRole('button', { name: 'Copy' }).click();
      await pw(dialog().getByRole('status')).toHaveText('Copied to the clipboard.');
      await dialog().getByRole('button', { name: 'Done' }).click();
      await pw(dialog()).toHaveCount(0);
      await pw(page.getByRole('button', { name: 'Create API Key' })).toBeFocused();
      expect((await send(base, secret)).status).toBe(200);
    });

    test('by keyboard: Escape asks, Escape again goes back, however often; only "Close without copying" closes, and focus returns', async () => {
      await page.getByRole('button', { name: 'Create API Key' }).focus();
      await page.keyboard.press('Enter');
      await pw(dialog().getByLabel('Name')).toBeFocused();
      await page.keyboard.type('Escape-proof');
      await page.keyboard.press('Enter');
      const secret = await shownSecret(page);
      const question = dialog().getByRole('group', { name: 'Close without copying?' });

      for (let round = 0; round < 3; round += 1) {
        await page.keyboard.press('Escape');
        await pw(question).toBeVisible();
        await pw(question.getByRole('button', { name: 'Go back' })).toBeFocused();
        await page.keyboard.press('Escape');
        await pw(question).toHaveCount(0);
        await pw(dialog().getByRole('button', { name: 'Copy' })).toBeFocused();
        expect((await shownSecret(page)) === secret, 'the same secret is still shown').toBe(true);
      }

      await page.keyboard.press('Escape');
      await pw(question.getByRole('button', { name: 'Go back' })).toBeFocused();
      await tabTo(page, 'Close without copying');
      await page.keyboard.press('Enter');
      await pw(dialog()).toHaveCount(0);
      await pw(page.getByRole('button', { name: 'Create API Key' })).toBeFocused();
      await pw(row('Escape-proof')).toContainText('Active');
      expect(await pageHolds(page, secret), 'the page still holds the secret').toBe(false);
    });

    test('after Roll too: Escape asks until the secret is copied (Ctrl+C counts), then closes at once', async () => {
      await row('Escape-proof').getByRole('button', { name: 'Roll' }).click();
      await dialog().getByRole('button', { name: 'Roll' }).click();
      await shownSecret(page);
      await page.keyboard.press('Escape');
      await pw(dialog().getByRole('group', { name: 'Close without copying?' })).toBeVisible();
      await page.keyboard.press('Escape');
      await pw(dialog().getByRole('button', { name: 'Copy' })).toBeFocused();

      await dialog().getByLabel('Secret').focus();
      await page.keyboard.press('Control+C');
      await page.keyboard.press('Escape');
      await pw(dialog()).toHaveCount(0);
      await pw(row('Escape-proof').getByRole('button', { name: 'Roll' })).toBeFocused();
    });

    test('the dialog and its question pass axe', async () => {
      await page.getByRole('button', { name: 'Create API Key' }).click();
      await dialog().getByLabel('Name').fill('Scanned');
      await dialog().getByRole('button', { name: 'Create API Key' }).click();
      await shownSecret(page);
      await page.keyboard.press('Escape');
      await pw(dialog().getByRole('group', { name: 'Close without copying?' })).toBeVisible();
      await axeScan(page, 'the shown-once secret, asking before it closes');
      await dialog().getByRole('button', { name: 'Close without copying' }).click();
      await pw(dialog()).toHaveCount(0);
    });
  });

  test('members appear by name, else by email, else by subject: as key creators and in the audit trail', async () => {
    const byEmail = await memberToken({ subject: 'idp|ops', accountSlug: account, email: 'ops@acme.test' });
    const bySubject = await memberToken({ subject: 'idp|robot-7', accountSlug: account });
    await createKey('Named creator');
    const emailKey = await createKey('Email creator', {}, byEmail);
    await createKey('Subject creator', {}, bySubject);
    await reload();
    await pw(row('Named creator').getByRole('cell').filter({ hasText: 'by ' })).toHaveText(/by Dana Scully$/);
    await pw(row('Named creator').getByText('Dana Scully')).toHaveAttribute('title', 'dana@acme.test');
    await pw(row('Email creator').getByRole('cell').filter({ hasText: 'by ' })).toHaveText(/by ops@acme\.test$/);
    await pw(row('Subject creator').getByRole('cell').filter({ hasText: 'by ' })).toHaveText(/by idp\|robot-7$/);
    expect(await page.getByText(/idp\|dana|idp\|ops/).count()).toBe(0);

    // A changed claim shows at the member's next request.
    const renamed = await memberToken({ subject: 'idp|ops', accountSlug: account, email: 'ops@acme.test', name: 'Olive Ops' });
    expect((await gql(base, renamed, UpdateApiKey, { input: { id: emailKey.apiKey.id, name: 'Email creator' } })).status).toBe(200);
    await reload();
    await pw(row('Email creator').getByRole('cell').filter({ hasText: 'by ' })).toHaveText(/by Olive Ops$/);
    await row('Email creator').getByRole('button', { name: 'Audit trail' }).click();
    await pw(dialog().getByRole('listitem').filter({ hasText: 'Edited' }).first()).toContainText('by Olive Ops (ops@acme.test)');
    await page.keyboard.press('Escape');
  });

  describe('the usage chart', () => {
    test('real usage: the API numbers of today, in the chart text alternative, its legend and its maxima', async () => {
      const { secret } = await createKey('Chart real');
      for (let i = 0; i < 2; i += 1) expect((await send(base, secret)).status).toBe(200);
      expect((await send(base, secret, ['nope'])).status).toBe(400);
      const today = async () =>
        (await gql(base, member, '{ apiKeys { name usage(days: 1) { requests messages recipients refused } } }')).body.data.apiKeys.find(
          (k: { name: string }) => k.name === 'Chart real',
        ).usage[0];
      await expect.poll(async () => (await today())?.requests, { timeout: 15_000, interval: 250 }).toBe(3);
      const usage = await today();
      expect(usage).toEqual({ requests: 3, messages: 2, recipients: 0, refused: 1 });
      await reload();
      const chart = row('Chart real').getByRole('figure');
      await pw(chart).toHaveAccessibleName(/^Usage in the last 30 days: 3 requests \(1 refused\), 2 messages, 0 recipients$/);
      // The legend, and each row's maximum (its y axis).
      expect(await chart.locator('.usage-labels span').allInnerTexts()).toEqual(['Requests', 'Messages', 'Recipients']);
      expect(await chart.locator('.usage-max span').allInnerTexts()).toEqual(['3', '2', '0']);
      await pw(chart.locator('.usage-readout')).toHaveText('30 days 3 requests (1 refused), 2 messages, 0 recipients');
    });

    /** 30 days of known usage for the key "Chart fixture", as the API would answer (the page cannot tell). */
    const FIXTURE = (() => {
      const day = (ago: number) => {
        const now = new Date();
        return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()) - ago * 86_400_000).toISOString().slice(0, 10);
      };
      return {
        day,
        usage: [
          { day: day(0), requests: 40, messages: 3, recipients: 120, refused: 2 },
          { day: day(5), requests: 10, messages: 1, recipients: 7, refused: 0 },
          { day: day(29), requests: 1, messages: 0, recipients: 0, refused: 1 },
        ],
      };
    })();
    const label = (utcDay: string, options: Intl.DateTimeFormatOptions) =>
      new Intl.DateTimeFormat('en-US', { ...options, timeZone: 'UTC' }).format(new Date(`${utcDay}T00:00:00Z`));

    async function showFixture() {
      await createKey('Chart fixture');
      await page.route('**/graphql', async (route) => {
        if (route.request().postDataJSON()?.operationName !== 'DashboardApiKeys') return route.fallback();
        const response = await route.fetch();
        const json = await response.json();
        for (const key of json.data.apiKeys) if (key.name === 'Chart fixture') key.usage = FIXTURE.usage;
        await route.fulfill({ response, json });
      });
      await reload();
      return row('Chart fixture').getByRole('figure');
    }

    test('known usage: a y maximum per row, the first and last days on the axis, bars to scale, the totals in words', async () => {
      const chart = await showFixture();
      await pw(chart).toHaveAccessibleName(/^Usage in the last 30 days: 51 requests \(3 refused\), 4 messages, 127 recipients$/);
      expect(await chart.locator('.usage-max span').allInnerTexts()).toEqual(['40', '3', '120']);
      expect(await chart.locator('.usage-axis span').allInnerTexts()).toEqual([
        label(FIXTURE.day(29), { month: 'short', day: 'numeric' }),
        label(FIXTURE.day(0), { month: 'short', day: 'numeric' }),
      ]);
      const days = chart.getByRole('img');
      await pw(days).toHaveCount(30);
      const barHeight = async (i: number, series: string) =>
        (await days.nth(i).locator(`.usage-cell.${series} .usage-bar`).boundingBox())?.height ?? 0;
      const full = (await days.nth(29).locator('.usage-cell.requests').boundingBox())!.height;
      expect(await barHeight(29, 'requests')).toBeCloseTo(full, 0);
      expect(await barHeight(24, 'requests')).toBeCloseTo(full / 4, 0);
      expect(await barHeight(28, 'requests')).toBe(0);
      expect(await barHeight(24, 'recipients')).toBeCloseTo((full * 7) / 120, 0);
    });

    test('hovering a day shows its numbers; leaving the chart shows the totals again', async () => {
      const chart = row('Chart fixture').getByRole('figure');
      const readout = chart.locator('.usage-readout');
      await chart.getByRole('img').nth(24).hover();
      await pw(readout).toHaveText(
        `${label(FIXTURE.day(5), { weekday: 'short', month: 'short', day: 'numeric' })} 10 requests, 1 message, 7 recipients`,
      );
      await chart.getByRole('img').nth(29).hover();
      await pw(readout).toHaveText(
        `${label(FIXTURE.day(0), { weekday: 'short', month: 'short', day: 'numeric' })} 40 requests (2 refused), 3 messages, 120 recipients`,
      );
      await page.getByRole('heading', { name: 'API Keys', level: 1 }).hover();
      await pw(readout).toHaveText('30 days 51 requests (3 refused), 4 messages, 127 recipients');
    });

    test('by keyboard: one tab stop on today; the arrow keys, Home and End move between days, each read out', async () => {
      const chart = row('Chart fixture').getByRole('figure');
      const readout = chart.locator('.usage-readout');
      const today = `${label(FIXTURE.day(0), { weekday: 'short', month: 'short', day: 'numeric' })}: 40 requests (2 refused), 3 messages, 120 recipients`;
      await row('Chart fixture').getByRole('rowheader').click();
      await tabTo(page, today);
      await pw(readout).toHaveText(today.replace(':', ''));
      for (let i = 0; i < 5; i += 1) await page.keyboard.press('ArrowLeft');
      const fiveAgo = `${label(FIXTURE.day(5), { weekday: 'short', month: 'short', day: 'numeric' })}: 10 requests, 1 message, 7 recipients`;
      expect(await focusedName(page)).toBe(fiveAgo);
      await pw(readout).toHaveText(fiveAgo.replace(':', ''));
      await page.keyboard.press('Home');
      expect(await focusedName(page)).toBe(
        `${label(FIXTURE.day(29), { weekday: 'short', month: 'short', day: 'numeric' })}: 1 request (1 refused), 0 messages, 0 recipients`,
      );
      await page.keyboard.press('ArrowLeft');
      expect(await focusedName(page)).toMatch(/: 1 request \(1 refused\)/);
      await page.keyboard.press('End');
      expect(await focusedName(page)).toBe(today);
      // The next Tab leaves the chart (one stop, not thirty), and Shift+Tab comes back to the day last read.
      await page.keyboard.press('ArrowLeft');
      await page.keyboard.press('Tab');
      expect(await focusedName(page)).toBe('Edit API Key');
      await page.keyboard.press('Shift+Tab');
      expect(await focusedName(page)).toMatch(/: 0 requests, 0 messages, 0 recipients$/);
      await pw(readout).toHaveText(/0 requests, 0 messages, 0 recipients$/);
      await axeScan(page, 'the API Keys page, a day of the chart focused');
      await page.unroute('**/graphql');
    });
  });

  test('the audit trail reads as sentences: "field: before → after", scopes as channel chips, times relative with the exact one on hover', async () => {
    const { apiKey } = await createKey('Audited', { rateLimitPerMinute: 600, allowedIps: ['10.0.0.1'] });
    const expiresAt = new Date(Date.now() + 7 * 86_400_000).toISOString();
    expect(
      (
        await gql(base, member, UpdateApiKey, {
          input: {
            id: apiKey.id,
            name: 'Audited twice',
            scope: { kind: 'CHANNELS', channels: ['marketing', 'ops'] },
            rateLimitPerMinute: null,
            allowedIps: [],
            expiresAt,
          },
        })
      ).status,
    ).toBe(200);
    expect((await gql(base, member, RollApiKey, { input: { id: apiKey.id, gracePeriodSeconds: 0 } })).status).toBe(200);
    expect((await gql(base, member, RevokeApiKey, { id: apiKey.id })).status).toBe(200);
    await reload();
    await row('Audited twice').getByRole('button', { name: 'Audit trail' }).click();
    const trail = dialog().getByRole('list').first();
    const event = (action: string) => trail.getByRole('listitem').filter({ has: page.getByText(action, { exact: true }) });
    const change = (action: string, field: string) =>
      event(action)
        .getByRole('listitem')
        .filter({ hasText: `${field}:` });

    await pw(change('Edited', 'Name')).toHaveText('Name: “Audited” → “Audited twice”');
    await pw(change('Edited', 'Scope')).toHaveText('Scope: All Recipients → marketing ops');
    expect(await change('Edited', 'Scope').getByRole('list', { name: 'Channels' }).getByRole('listitem').allTextContents()).toEqual([
      'marketing',
      'ops',
    ]);
    await pw(change('Edited', 'Rate limit')).toHaveText("Rate limit: 600 requests a minute → the server's default");
    await pw(change('Edited', 'Allowed IPs')).toHaveText('Allowed IPs: 10.0.0.1/32 → anywhere');
    const exact = await page.evaluate(
      (iso) => new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso)),
      expiresAt,
    );
    await pw(change('Edited', 'Expires')).toHaveText(`Expires: never → ${exact}`);
    await pw(change('Edited', 'Expires').locator('time')).toHaveAttribute('datetime', expiresAt);
    await pw(change('Created', 'Prefix')).toHaveText(/^Prefix: hrld_[0-9A-Za-z]{6}…$/);
    await pw(change('Rolled', 'Prefix')).toHaveText(/^Prefix: hrld_[0-9A-Za-z]{6}… → hrld_[0-9A-Za-z]{6}…$/);
    await pw(change('Revoked', 'Revoked')).toHaveText(/^Revoked: no → .*\d/);

    // When: relative, the exact time on hover, the instant for machines.
    const when = event('Created').locator('.audit-head time');
    await pw(when).toHaveText(/^(now|\d+ seconds? ago)$/);
    await pw(when).toHaveAttribute('title', /\d{4}.*\d{1,2}:\d{2}/);
    await pw(when).toHaveAttribute('datetime', /^\d{4}-\d{2}-\d{2}T/);
    // Nothing raw: no JSON, no ISO timestamps in what people read.
    const text = (await dialog().textContent()) ?? '';
    expect(text).not.toMatch(/[{}"]|\d{4}-\d{2}-\d{2}T|before|after/);
    await axeScan(page, 'the audit trail');
    await page.keyboard.press('Escape');
    await pw(dialog()).toHaveCount(0);
  });

  describe('channels are one link away', () => {
    test('the Create API Key dialog links to the Channels page, which takes the focus', async () => {
      await page.getByRole('button', { name: 'Create API Key' }).click();
      await dialog()
        .getByRole('radio', { name: /Channel Scoped/ })
        .check();
      await pw(dialog().getByRole('group', { name: 'Channels' })).toContainText('Channels are created on the Channels page.');
      await dialog().getByRole('link', { name: 'Channels page' }).click();
      await pw(dialog()).toHaveCount(0);
      await pw(page.getByRole('heading', { name: 'Channels', level: 1 })).toBeFocused();
      expect(new URL(page.url()).hash).toBe('#/channels');
    });

    test('an account without channels is told so, with the link', async () => {
      const tab = await openTab(dashboard);
      await signIn(tab, await memberToken({ subject: 'idp|new', accountSlug: 'no-channels-yet' }));
      await tab.getByRole('button', { name: 'Create API Key' }).click();
      await tab
        .getByRole('dialog')
        .getByRole('radio', { name: /Channel Scoped/ })
        .check();
      const group = tab.getByRole('dialog').getByRole('group', { name: 'Channels' });
      await pw(group).toContainText('The account has no channels yet: create them on the Channels page.');
      await pw(group.getByRole('link', { name: 'Channels page' })).toHaveAttribute('href', '#/channels');
      await tab.context().close();
    });
  });

  describe("the server's limits, checked before sending", () => {
    /** Opens Create API Key with the optional settings shown. */
    async function openCreate(name = 'Within limits') {
      await reload();
      await page.getByRole('button', { name: 'Create API Key' }).click();
      await dialog().getByLabel('Name').fill(name);
      await dialog().getByText('Expiry, rate limit and IP allowlist (optional)').click();
    }
    const submit = () => dialog().getByRole('button', { name: 'Create API Key' }).click();
    const future = () => {
      const d = new Date(Date.now() + 2 * 86_400_000);
      const pad = (n: number) => String(n).padStart(2, '0');
      return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
    };
    const ips = (n: number) => Array.from({ length: n }, (_, i) => `10.0.${Math.floor(i / 250)}.${(i % 250) + 1}`).join('\n');

    // Each refusal beside its allowed twin: the refused value shows its message beside
    // the field as it is typed, and sends nothing; the server refuses it too; the twin is created.
    const cases = [
      { field: 'Name', refused: '   ', message: 'Enter a name.', allowed: 'n'.repeat(100), server: { name: '   ' } },
      {
        field: 'Rate limit (requests per minute)',
        refused: '0',
        message: 'A whole number from 1 to 100,000, or empty.',
        allowed: '1',
        server: { rateLimitPerMinute: 0 },
      },
      {
        field: 'Rate limit (requests per minute)',
        refused: '100001',
        message: 'A whole number from 1 to 100,000, or empty.',
        allowed: '100000',
        server: { rateLimitPerMinute: 100_001 },
      },
      {
        field: 'Allowed IPs',
        refused: ips(101),
        message: 'At most 100 entries (this list has 101).',
        allowed: ips(100),
        server: { allowedIps: ips(101).split('\n') },
      },
      {
        field: 'Expires',
        refused: '2001-01-01T00:00',
        message: 'Choose a time in the future.',
        allowed: future(),
        server: { expiresAt: new Date('2001-01-01T00:00').toISOString() },
      },
    ];
    test.for(
      cases.map(
        (c) => [`${c.field}: ${c.refused.length > 20 ? `${c.refused.split('\n').length} entries` : JSON.stringify(c.refused)}`, c] as const,
      ),
    )(
      '%s is refused beside the field before any request; its twin is created',
      async ([, { field, refused, message, allowed, server }]) => {
        const before = await keyCount(base, member);
        expect((await gql(base, member, CreateApiKey, { input: { name: 'Server twin', scope: { kind: 'ALL' }, ...server } })).status).toBe(
          400,
        );
        await openCreate();
        const control = dialog().getByLabel(field, { exact: true });
        const requests = await graphqlRequests(page, async () => {
          await control.fill(refused);
          // Shown as it is typed, before anything is submitted.
          await pw(control).toHaveAccessibleDescription(new RegExp(message.replace(/[.()]/g, '\\$&')));
          await pw(control).toHaveAttribute('aria-invalid', 'true');
          await submit();
          await pw(control).toBeFocused();
        });
        expect(requests).toBe(0);
        expect(await keyCount(base, member)).toBe(before);

        await control.fill(allowed);
        expect(await control.getAttribute('aria-invalid')).toBeNull();
        await submit();
        await pw(dialog().getByLabel('Secret')).toBeVisible();
        await dialog().getByRole('button', { name: 'Copy' }).click();
        await dialog().getByRole('button', { name: 'Done' }).click();
        expect(await keyCount(base, member)).toBe(before + 1);
      },
    );

    test('the name field stops at 100 characters, as the server does (101 refused there)', async () => {
      expect((await gql(base, member, CreateApiKey, { input: { name: 'n'.repeat(101), scope: { kind: 'ALL' } } })).status).toBe(400);
      await openCreate('');
      const name = dialog().getByLabel('Name');
      await pw(name).toHaveAttribute('maxlength', '100');
      await name.pressSequentially('m'.repeat(101));
      expect((await name.inputValue()).length).toBe(100);
      await page.keyboard.press('Escape');
    });

    test('Channel Scoped without a channel is refused beside the channels before any request; with one it is created', async () => {
      expect((await gql(base, member, CreateApiKey, { input: { name: 'x', scope: { kind: 'CHANNELS', channels: [] } } })).status).toBe(400);
      await openCreate('Scoped twin');
      await dialog()
        .getByRole('radio', { name: /Channel Scoped/ })
        .check();
      const group = dialog().getByRole('group', { name: 'Channels' });
      const requests = await graphqlRequests(page, async () => {
        await submit();
        await pw(group).toContainText('Choose at least one channel, or All Recipients.');
      });
      expect(requests).toBe(0);
      await pw(group.getByRole('checkbox').first()).toBeFocused();
      await group.getByRole('checkbox', { name: 'ops' }).check();
      await pw(group.locator('.field-error')).toHaveCount(0);
      await submit();
      await pw(dialog().getByLabel('Secret')).toBeVisible();
      await dialog().getByRole('button', { name: 'Copy' }).click();
      await dialog().getByRole('button', { name: 'Done' }).click();
      await pw(row('Scoped twin')).toContainText('ops');
    });

    test('the Channels page: slug and name checked as typed; the twins are created', async () => {
      await page.goto('/#/channels');
      const slug = page.getByLabel('Slug');
      const name = page.getByLabel('Name');
      await pw(slug).toHaveAttribute('maxlength', '64');
      await pw(slug).toHaveAttribute('pattern', '[a-z0-9\\-]{1,64}');
      await pw(name).toHaveAttribute('maxlength', '100');
      const requests = await graphqlRequests(page, async () => {
        await slug.fill('Café');
        await pw(slug).toHaveAccessibleDescription(/Only lowercase letters, digits and "-", 1 to 64 of them\./);
        await name.fill(' ');
        await pw(name).toHaveAccessibleDescription(/Enter a name\./);
        await page.getByRole('button', { name: 'Create Channel' }).click();
        await pw(slug).toBeFocused();
      });
      expect(requests).toBe(0);
      await slug.fill('cafe');
      await name.fill('Café');
      expect(await slug.getAttribute('aria-invalid')).toBeNull();
      expect(await name.getAttribute('aria-invalid')).toBeNull();
      await page.getByRole('button', { name: 'Create Channel' }).click();
      await pw(page.getByRole('status')).toHaveText('Channel cafe created.');
      // The emptied form shows no error until it is filled in again.
      expect(await page.locator('.field-error').count()).toBe(0);
    });
  });
});
