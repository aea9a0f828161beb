// What the browser tests share: a real Herald process, headless Chromium
// (Debian's /usr/bin/chromium driven by playwright-core), a raw GraphQL client
// for checks through the API, polling assertions, axe-core and keyboard helpers.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { print } from 'graphql';
import { type Browser, chromium, type Locator, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { type MemberClaims, signMemberToken } from '../../src/auth/jwt.ts';
import { Send } from '../support/documents.ts';
import { type ServerProcess, startServer, stop, waitUntilReady } from '../support/server-process.ts';

const require = createRequire(import.meta.url);
export const SECRET = 'browser-test-secret-long-enough-for-hs256';
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const WIDE = { width: 1280, height: 860 };
export const NARROW = { width: 390, height: 844 };

export interface Dashboard {
  server: ServerProcess;
  base: string;
  browser: Browser;
  close(): Promise<void>;
}

/** A Herald on an in-memory database and a Chromium to drive it. */
export async function startDashboard(env: Record<string, string> = {}): Promise<Dashboard> {
  const server = await startServer(['--import', 'tsx', 'src/main.ts'], {
    DATABASE_URL: 'memory:',
    AUTH_JWT_SECRET: SECRET,
    LOG_LEVEL: 'warn',
    NODE_ENV: 'development',
    ...env,
  });
  // A server whose browser never came (no Chromium, a failed launch) is stopped, not left running.
  let browser: Browser;
  try {
    await waitUntilReady(server, 90_000);
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
  } catch (error) {
    await stop(server);
    throw error;
  }
  const base = server.url('');
  return {
    server,
    base,
    browser,
    async close() {
      await browser.close();
      await stop(server);
    },
  };
}

/**
 * A tab of a fresh context (its own sessionStorage) at `viewport`, in US English
 * (the page formats with the browser's locale), that may reach nothing but Herald.
 */
export async function openTab(dashboard: Dashboard, viewport = WIDE): Promise<Page> {
  const context = await dashboard.browser.newContext({ viewport, baseURL: dashboard.base, locale: 'en-US' });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: dashboard.base });
  await context.route(
    (url) => url.origin !== dashboard.base,
    (route) => {
      throw new Error(`request outside Herald: ${route.request().url()}`);
    },
  );
  return context.newPage();
}

export const memberToken = (claims: MemberClaims) => signMemberToken(new TextEncoder().encode(SECRET), claims);

/** Signs in by pasting the token, as a person would. */
export async function signIn(page: Page, token: string): Promise<void> {
  await page.goto('/');
  await page.getByLabel('Member token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await pw(page.getByRole('heading', { name: 'API Keys', level: 1 })).toBeVisible();
}

export async function gql(base: string, token: string, document: Parameters<typeof print>[0] | string, variables?: unknown) {
  const response = await fetch(`${base}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: typeof document === 'string' ? document : print(document), variables }),
  });
  // biome-ignore lint/suspicious/noExplicitAny: a raw client; each test checks the shape it needs.
  return { status: response.status, body: (await response.json()) as any };
}

export const send = (base: string, secret: string, channels?: string[]) =>
  sendMessage(base, secret, { title: 'browser', body: 'hello' }, channels);

export const sendMessage = (base: string, secret: string, message: { title: string; body: string }, channels?: string[]) =>
  gql(base, secret, Send, { input: { message, ...(channels ? { target: { channels } } : {}) } });

/** The inbox streams open on the server (its herald_inbox_streams gauge). */
export async function openStreams(base: string): Promise<number> {
  const metrics = await (await fetch(`${base}/metrics`)).text();
  return Number(/^herald_inbox_streams (\d+)$/m.exec(metrics)?.[1] ?? Number.NaN);
}

export async function keyCount(base: string, member: string): Promise<number> {
  return (await gql(base, member, '{ apiKeys { id } }')).body.data.apiKeys.length;
}

/** The GraphQL requests the page sends while `fn` runs. */
export async function graphqlRequests(page: Page, fn: () => Promise<void>): Promise<number> {
  let n = 0;
  const count = (request: { url(): string }) => {
    if (new URL(request.url()).pathname === '/graphql') n += 1;
  };
  page.on('request', count);
  try {
    await fn();
  } finally {
    page.off('request', count);
  }
  return n;
}

export const POLL = { timeout: 10_000, interval: 100 };
const matches = (value: string | null | undefined, expected: string | RegExp) =>
  typeof expected === 'string' ? value === expected : expected.test(value ?? '');

/** The few web-first assertions these tests need (playwright-core has no expect): each polls until it holds. */
export const pw = (locator: Locator) => ({
  toBeVisible: () => locator.first().waitFor({ state: 'visible', timeout: POLL.timeout }),
  toBeHidden: () => locator.first().waitFor({ state: 'hidden', timeout: POLL.timeout }),
  toHaveCount: (n: number) => expect.poll(() => locator.count(), POLL).toBe(n),
  toContainText: (text: string) => expect.poll(async () => (await locator.first().textContent()) ?? '', POLL).toContain(text),
  /** The element's text as rendered (innerText), white space collapsed; never used on a secret: a failure prints it. */
  toHaveText: (text: string | RegExp) => {
    // biome-ignore lint/performance/useDomNodeTextContent: what a person reads: chips apart, hidden text left out.
    const shown = expect.poll(async () => (await locator.first().innerText()).replace(/\s+/g, ' ').trim(), POLL);
    return typeof text === 'string' ? shown.toBe(text) : shown.toMatch(text);
  },
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

/** The table row (or, on a narrow screen, the card) of the key with this name. */
export const keyRow = (page: Page, name: string): Locator =>
  page.getByRole('row').filter({ has: page.getByRole('rowheader').filter({ has: page.getByText(name, { exact: true }) }) });

/** The secret in the open dialog, read as a user would (the read-only "Secret" field). */
export async function shownSecret(page: Page): Promise<string> {
  const field = page.getByRole('dialog').getByLabel('Secret');
  await pw(field).toBeVisible();
  return field.inputValue();
}

/** Whether the page (its HTML and its storage) holds this secret; false in a failure message names no secret. */
export async function pageHolds(page: Page, secret: string): Promise<boolean> {
  const storage = await page.evaluate(() => JSON.stringify({ ...sessionStorage, ...localStorage }));
  return (await page.content()).includes(secret) || storage.includes(secret);
}

/** axe-core on the whole document: no serious or critical violation. */
export async function axeScan(page: Page, what: string) {
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

/** What a screen reader would name the focused element: aria-label, a control's label, or its text. */
export const focusedName = (page: Page) =>
  page.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    if (!el) return '';
    const labelled = el.getAttribute('aria-label');
    if (labelled) return labelled;
    if (el instanceof HTMLInputElement || el instanceof HTMLTextAreaElement) return el.labels?.[0]?.textContent?.trim() ?? '';
    return el.textContent?.trim() ?? '';
  });

/** Presses Tab (at most `max` times) until the focused element has this accessible name: proves it is reachable by keyboard. */
export async function tabTo(page: Page, name: string | RegExp, max = 40): Promise<void> {
  for (let i = 0; i < max; i += 1) {
    await page.keyboard.press('Tab');
    const focused = await focusedName(page);
    if (typeof name === 'string' ? focused === name : name.test(focused)) return;
  }
  throw new Error(`Tab never reached ${name}`);
}

/** No horizontal scrolling: the document is no wider than the viewport. */
export async function expectNoSideways(page: Page, where: string) {
  const { scrollWidth, viewport } = await page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    viewport: window.innerWidth,
  }));
  expect(scrollWidth, `${where}: document.documentElement.scrollWidth at ${viewport} px`).toBeLessThanOrEqual(viewport);
}

export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
