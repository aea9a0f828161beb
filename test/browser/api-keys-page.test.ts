// The API Keys page in headless Chromium (Debian's /usr/bin/chromium driven by
// playwright-core) against a real Herald process: the seed's walkthrough, by
// mouse and by keyboard, checked through the API, scanned by axe-core.
// Run with `npm run test:browser` (in .ci/run; the plain `npm test` leaves it out, as it does the fleet).
import { mkdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { print } from 'graphql';
import { type Browser, type BrowserContext, chromium, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { signMemberToken } from '../../src/auth/jwt.ts';
import { CreateApiKey, CreateChannel, CreateRecipient, Send } from '../support/documents.ts';
import { type ServerProcess, startServer, stop, waitUntilReady } from '../support/server-process.ts';

const require = createRequire(import.meta.url);
const SECRET = 'browser-test-secret-long-enough-for-hs256';
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SCREENSHOT = resolve(import.meta.dirname, '../../docs/api-keys-page.png');
const WEIGHT_BUDGET = 400 * 1024;

let server: ServerProcess;
let base: string;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let member: string;

async function gql(token: string, document: Parameters<typeof print>[0], variables: unknown) {
  const response = await fetch(`${base}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: print(document), variables }),
  });
  // biome-ignore lint/suspicious/noExplicitAny: a raw client; each test checks the shape it needs.
  return { status: response.status, body: (await response.json()) as any };
}

const send = (secret: string, channels?: string[]) =>
  gql(secret, Send, { input: { message: { title: 'browser', body: 'hello' }, ...(channels ? { target: { channels } } : {}) } });

const keyCount = async () => {
  const response = await fetch(`${base}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${member}` },
    body: JSON.stringify({ query: '{ apiKeys { id } }' }),
  });
  return ((await response.json()) as { data: { apiKeys: unknown[] } }).data.apiKeys.length;
};

const POLL = { timeout: 10_000, interval: 100 };
const matches = (value: string | null | undefined, expected: string | RegExp) =>
  typeof expected === 'string' ? value === expected : expected.test(value ?? '');

/** The few web-first assertions these tests need (playwright-core has no expect): each polls until it holds. */
const pw = (locator: Locator) => ({
  toBeVisible: () => locator.first().waitFor({ state: 'visible', timeout: POLL.timeout }),
  toHaveCount: (n: number) => expect.poll(() => locator.count(), POLL).toBe(n),
  toContainText: (text: string) => expect.poll(async () => (await locator.first().textContent()) ?? '', POLL).toContain(text),
  toHaveText: (text: string | RegExp) =>
    expect.poll(async () => matches((await locator.first().textContent())?.trim(), text), { ...POLL, message: `text ${text}` }).toBe(true),
  toHaveValue: (value: string) => expect.poll(() => locator.inputValue(), POLL).toBe(value),
  toBeChecked: () => expect.poll(() => locator.isChecked(), POLL).toBe(true),
  toBeEnabled: () => expect.poll(() => locator.isEnabled(), POLL).toBe(true),
  toBeFocused: () => expect.poll(() => locator.evaluate((el) => el === document.activeElement), POLL).toBe(true),
  toHaveAttribute: (name: string, value: string | RegExp) =>
    expect.poll(async () => matches(await locator.getAttribute(name), value), { ...POLL, message: `${name}=${value}` }).toBe(true),
  toHaveAccessibleName: (name: RegExp) =>
    expect.poll(async () => matches(await locator.getAttribute('aria-label'), name), { ...POLL, message: `name ${name}` }).toBe(true),
  /** The text of the elements aria-describedby points to (hints and errors). */
  toHaveAccessibleDescription: (text: RegExp) =>
    expect
      .poll(
        async () =>
          matches(
            await locator.evaluate((el) =>
              (el.getAttribute('aria-describedby') ?? '')
                .split(/\s+/)
                .map((id) => (id ? document.getElementById(id)?.textContent : '') ?? '')
                .join(' '),
            ),
            text,
          ),
        { ...POLL, message: `description ${text}` },
      )
      .toBe(true),
});

/** Loads / in a new context: the document, script and stylesheet transferred (headers and bodies), and when the page was interactive. */
async function firstVisit() {
  const visit = await browser.newContext({ baseURL: base });
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

/** The table row of the key with this name. */
const row = (name: string): Locator => page.getByRole('row').filter({ has: page.getByText(name, { exact: true }) });

/** The secret in the open dialog, read as a user would (the read-only "Secret" field). */
async function shownSecret(): Promise<string> {
  const field = page.getByRole('dialog').getByLabel('Secret');
  await pw(field).toBeVisible();
  return field.inputValue();
}

async function axeScan(what: string) {
  // Evaluated (not a <script> tag): the page's Content-Security-Policy allows only its own scripts.
  await page.evaluate(await readFile(require.resolve('axe-core/axe.min.js'), 'utf8'));
  const results = await page.evaluate(async () => {
    // biome-ignore lint/suspicious/noExplicitAny: axe is injected as a global.
    const run = await (window as any).axe.run(document, { resultTypes: ['violations'] });
    return run.violations.map((v: { id: string; impact: string; help: string; nodes: { target: string[] }[] }) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      targets: v.nodes.map((n) => n.target.join(' ')),
    }));
  });
  const serious = results.filter((v: { impact: string }) => v.impact === 'serious' || v.impact === 'critical');
  expect(serious, `axe on ${what}`).toEqual([]);
  return results;
}

/** Presses Tab (at most `max` times) until the focused element has this accessible name: proves it is reachable by keyboard. */
async function tabTo(name: string | RegExp, max = 40): Promise<void> {
  for (let i = 0; i < max; i += 1) {
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => {
      const el = document.activeElement as HTMLElement | null;
      if (!el) return '';
      const labelled = el.getAttribute('aria-label');
      if (labelled) return labelled;
      if (el instanceof HTMLInputElement || el instanceof HTMLTextAreaElement) {
        return el.labels?.[0]?.textContent?.trim() ?? '';
      }
      return el.textContent?.trim() ?? '';
    });
    if (typeof name === 'string' ? focused === name : name.test(focused)) return;
  }
  throw new Error(`Tab never reached ${name}`);
}

describe('the API Keys page in Chromium', () => {
  beforeAll(async () => {
    server = await startServer(['--import', 'tsx', 'src/main.ts'], {
      DATABASE_URL: 'memory:',
      AUTH_JWT_SECRET: SECRET,
      LOG_LEVEL: 'warn',
      NODE_ENV: 'development',
    });
    base = server.url('');
    await waitUntilReady(server, 90_000);
    member = await signMemberToken(new TextEncoder().encode(SECRET), { subject: 'dana@acme.test', accountSlug: 'acme' });
    for (const slug of ['marketing', 'ops']) {
      expect((await gql(member, CreateChannel, { input: { slug, name: slug === 'ops' ? 'Operations' : 'Marketing' } })).status).toBe(200);
      expect((await gql(member, CreateRecipient, { input: { externalId: `${slug}-1`, channels: [slug] } })).status).toBe(200);
    }

    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    context = await browser.newContext({ viewport: { width: 1360, height: 860 }, baseURL: base });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
    page = await context.newPage();
    // Nothing but Herald: any request elsewhere (a CDN, a font service) fails the test.
    await context.route(
      (url) => url.origin !== base,
      (route) => {
        throw new Error(`request outside Herald: ${route.request().url()}`);
      },
    );
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    if (server) await stop(server);
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

  test('the sign-in page passes axe', async () => {
    await axeScan('the sign-in page');
  });

  test('a wrong token is refused in the server words; a pasted member token signs in for this tab', async () => {
    await page.getByLabel('Member token').fill('not-a-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await pw(page.getByLabel('Member token')).toHaveAccessibleDescription(/invalid or expired|Authentication/);
    await page.getByLabel('Member token').fill(member);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await pw(page.getByRole('heading', { name: 'API Keys', level: 1 })).toBeVisible();
    expect(await page.evaluate(() => Object.values(sessionStorage))).toContain(member);
    expect(await page.evaluate(() => localStorage.length)).toBe(0);
  });

  test('the Channels page creates a channel, explains the slug rules, and shows the server error for a bad slug', async () => {
    await page.getByRole('link', { name: 'Channels' }).click();
    await pw(page.getByRole('heading', { name: 'Channels', level: 1 })).toBeVisible();
    await pw(page.getByLabel('Slug')).toHaveAccessibleDescription(/Lowercase letters, digits and "-", 1 to 64 characters/);
    await page.getByLabel('Slug').fill('Not A Slug');
    await page.getByLabel('Name').fill('Bad');
    await page.getByRole('button', { name: 'Create Channel' }).click();
    await pw(page.locator('.field-error')).toBeVisible();
    const error = await page.locator('.field-error').textContent();
    expect(error).toBeTruthy();
    await pw(page.getByLabel('Slug')).toHaveAttribute('aria-invalid', 'true');
    await page.getByLabel('Slug').fill('test-devices');
    await page.getByLabel('Name').fill('Test devices');
    await page.getByRole('button', { name: 'Create Channel' }).click();
    await pw(page.getByRole('cell', { name: 'Test devices' })).toBeVisible();
    await pw(page.getByRole('status')).toHaveText('Channel test-devices created.');
    await axeScan('the Channels page');
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
    const secret = await shownSecret();
    expect(secret.length).toBeGreaterThan(20);
    await shown.getByRole('button', { name: 'Copy' }).click();
    await pw(shown.getByRole('status')).toHaveText('Copied to the clipboard.');
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);
    await shown.getByRole('button', { name: 'Done' }).click();
    await pw(page.getByRole('dialog')).toHaveCount(0);
    // Focus is back on the button that opened the dialog.
    await pw(page.getByRole('button', { name: 'Create API Key' })).toBeFocused();

    await pw(row('Marketing backend')).toContainText('marketing');
    await pw(row('Marketing backend')).toContainText('Active');
    expect(await page.content()).not.toContain(secret);
    await page.reload();
    await pw(row('Marketing backend')).toBeVisible();
    expect(await page.content()).not.toContain(secret);
    expect(await page.evaluate(() => JSON.stringify({ ...sessionStorage, ...localStorage }))).not.toContain(secret);
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
    const rolled = await shownSecret();
    expect(rolled).not.toBe(scoped.secret);
    await pw(page.getByRole('dialog')).toContainText('cannot be shown again');
    await page.getByRole('dialog').getByRole('button', { name: 'Done' }).click();
    await pw(page.getByRole('dialog')).toHaveCount(0);
    expect(await page.content()).not.toContain(rolled);
    expect((await send(rolled, ['ops'])).status).toBe(200);
    expect((await send(scoped.secret, ['ops'])).status).toBe(200);
    await pw(row('Marketing backend')).toContainText('previous secret until');
    scoped.rolled = rolled;
  });

  test('the audit trail of a key is one click away', async () => {
    await row('Marketing backend').getByRole('button', { name: 'Audit trail' }).click();
    const dialog = page.getByRole('dialog', { name: 'Audit trail of Marketing backend' });
    await pw(dialog.getByRole('listitem').filter({ hasText: 'Rolled' }).first()).toBeVisible();
    await pw(dialog).toContainText('Edited');
    await pw(dialog).toContainText('Created');
    await pw(dialog).toContainText('dana@acme.test');
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

  test('a 101-character name and a Channel Scoped key with no channel show the server error by the field and create nothing', async () => {
    const before = await keyCount();
    const longName = 'n'.repeat(101);
    const direct = await gql(member, CreateApiKey, { input: { name: longName, scope: { kind: 'ALL' } } });
    const nameError = direct.body.errors[0];
    expect(nameError.extensions.field).toBe('name');

    await page.getByRole('button', { name: 'Create API Key' }).click();
    const dialog = page.getByRole('dialog', { name: 'Create API Key' });
    await dialog.getByLabel('Name').fill(longName);
    await dialog.getByRole('button', { name: 'Create API Key' }).click();
    await pw(dialog.getByLabel('Name')).toHaveAccessibleDescription(new RegExp(escapeRegExp(nameError.message)));
    await pw(dialog.getByLabel('Name')).toHaveAttribute('aria-invalid', 'true');
    await axeScan('the Create API Key dialog with an error');

    const noChannel = await gql(member, CreateApiKey, { input: { name: 'No channel', scope: { kind: 'CHANNELS', channels: [] } } });
    const channelError = noChannel.body.errors[0];
    expect(channelError.extensions.field).toMatch(/^scope/);
    await dialog.getByLabel('Name').fill('No channel');
    await dialog.getByRole('radio', { name: /Channel Scoped/ }).check();
    await dialog.getByRole('button', { name: 'Create API Key' }).click();
    await pw(dialog.getByRole('group', { name: 'Channels' })).toContainText(channelError.message);
    expect(await dialog.getByLabel('Name').getAttribute('aria-invalid')).toBeNull();
    await page.keyboard.press('Escape');
    await pw(page.getByRole('dialog')).toHaveCount(0);
    expect(await keyCount()).toBe(before);
  });

  test('expiry, rate limit and IP allowlist errors show by their fields, in the server words', async () => {
    const before = await keyCount();
    await page.getByRole('button', { name: 'Create API Key' }).click();
    const dialog = page.getByRole('dialog', { name: 'Create API Key' });
    await dialog.getByLabel('Name').fill('Options');
    await dialog.getByText('Expiry, rate limit and IP allowlist (optional)').click();
    const cases: { label: string; value: string; field: string; input: Record<string, unknown> }[] = [
      { label: 'Expires', value: '2001-01-01T00:00', field: 'expiresAt', input: { expiresAt: new Date('2001-01-01T00:00').toISOString() } },
      { label: 'Rate limit (requests per minute)', value: '0', field: 'rateLimitPerMinute', input: { rateLimitPerMinute: 0 } },
      { label: 'Allowed IPs', value: 'not-an-address', field: 'allowedIps', input: { allowedIps: ['not-an-address'] } },
    ];
    for (const { label, value, field, input } of cases) {
      const direct = await gql(member, CreateApiKey, { input: { name: 'Options', scope: { kind: 'ALL' }, ...input } });
      expect(direct.body.errors[0].extensions.field).toBe(field);
      await dialog.getByLabel(label, { exact: true }).fill(value);
      await dialog.getByRole('button', { name: 'Create API Key' }).click();
      await pw(dialog.getByLabel(label, { exact: true })).toHaveAccessibleDescription(
        new RegExp(escapeRegExp(direct.body.errors[0].message)),
      );
      await pw(dialog.getByLabel(label, { exact: true })).toHaveAttribute('aria-invalid', 'true');
      await dialog.getByLabel(label, { exact: true }).fill('');
    }
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await pw(page.getByRole('dialog')).toHaveCount(0);
    expect(await keyCount()).toBe(before);
  });

  test('the whole walkthrough by keyboard alone: sign in, create a key, copy, done, Escape closes dialogs and focus returns', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await pw(page.getByLabel('Member token')).toBeVisible();
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    await page.reload();

    await tabTo('Member token');
    await page.keyboard.insertText(member);
    await page.keyboard.press('Enter');
    await pw(page.getByRole('heading', { name: 'API Keys', level: 1 })).toBeVisible();

    await tabTo('Create API Key');
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
    await tabTo('Create API Key');
    await page.keyboard.press('Enter');

    const shown = page.getByRole('dialog', { name: /created/ });
    await pw(shown).toBeVisible();
    const secret = await shownSecret();
    await tabTo('Copy');
    await page.keyboard.press('Enter');
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);
    await tabTo('Done');
    await page.keyboard.press('Enter');
    await pw(shown).toHaveCount(0);
    await pw(page.getByRole('button', { name: 'Create API Key' })).toBeFocused();
    await pw(row('Keyboard key')).toContainText('marketing');
    expect((await send(secret, ['marketing'])).status).toBe(200);
  });

  test('the API Keys page passes axe, and its screenshot goes to docs/api-keys-page.png', async () => {
    const created = await gql(member, CreateApiKey, {
      input: { name: 'Production backend', scope: { kind: 'ALL' }, rateLimitPerMinute: 600 },
    });
    const all = created.body.data.createApiKey.secret as string;
    for (let i = 0; i < 3; i += 1) expect((await send(all)).status).toBe(200);
    // Key usage is written every 5 s: wait until the API shows it, then load the page.
    const usage = async () => {
      const response = await fetch(`${base}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${member}` },
        body: JSON.stringify({ query: '{ apiKeys { name usage(days: 30) { requests } } }' }),
      });
      const { data } = (await response.json()) as { data: { apiKeys: { name: string; usage: { requests: number }[] }[] } };
      return data.apiKeys.find((k) => k.name === 'Production backend')?.usage.reduce((sum, d) => sum + d.requests, 0) ?? 0;
    };
    await expect.poll(usage, { timeout: 15_000, interval: 250 }).toBeGreaterThanOrEqual(3);
    await page.reload();
    await pw(row('Production backend')).toBeVisible();
    // Last used: relative, with the exact time on hover.
    const lastUsed = row('Production backend').locator('td').nth(3).locator('time');
    await pw(lastUsed).toHaveText(/now|second|minute/);
    await pw(lastUsed).toHaveAttribute('title', /\d/);
    await pw(row('Production backend').getByRole('img')).toHaveAccessibleName(/^3 requests in the last 30 days/);
    await axeScan('the API Keys page');
    await mkdir(resolve(SCREENSHOT, '..'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
  });

  test('the developer sign-in works outside production', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Developer sign-in' }).click();
    await pw(page.getByRole('heading', { name: 'API Keys', level: 1 })).toBeVisible();
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

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
