// The API Keys page (web/): GET / serves its index.html, /assets/* its hashed
// files, built by `npm run build:web` (run by postinstall). Outside production,
// with member tokens signed by the shared secret, POST /dev/sign-in returns a
// member token for a development account: the page offers it as one click.
// The page also learns whether webhook URLs may be http:// (its Webhooks view
// checks a URL as the server will).
import { readFile } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';
import type { Plugin } from 'graphql-yoga';
import { hmacSecret, signMemberToken } from '../auth/jwt.ts';
import type { Config } from '../config.ts';
import { pathOf } from '../request-state.ts';

type OnRequestPayload = Parameters<NonNullable<Plugin['onRequest']>>[0];

export const DASHBOARD_DIR = resolve(import.meta.dirname, '../../web/dist');
export const DEV_ACCOUNT = { subject: 'developer', accountSlug: 'acme', name: 'Developer' } as const;

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.woff2': 'font/woff2',
  '.png': 'image/png',
  '.map': 'application/json',
};

const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

/** Assets are named by the hash of their content: /assets/main-3FQ2ZK7A.js. */
const ASSET = /^\/assets\/([A-Za-z0-9_-]+\.[a-z0-9]+)$/;

export function useDashboard(config: Config, dir = DASHBOARD_DIR): Plugin {
  const devSignIn = !config.production && config.jwt.kind === 'secret';
  // As src/webhooks/address-policy.ts: http only outside production or with WEBHOOK_ALLOW_PRIVATE_NETWORKS.
  const webhookHttp = !config.production || config.webhooks.allowPrivateNetworks;
  const body = ['<body', devSignIn ? ' data-dev-sign-in' : '', webhookHttp ? ' data-webhook-http' : '', '>'].join('');
  let index: Promise<string | null> | undefined;
  const loadIndex = () => {
    index ??= readFile(join(dir, 'index.html'), 'utf8')
      .then((html) => html.replace('<body>', body))
      .catch(() => null);
    return index;
  };
  const assets = new Map<string, Promise<Uint8Array<ArrayBuffer> | null>>();

  return {
    // Only the dashboard's own paths go on (by the path's string); a GraphQL request passes at once, without a promise.
    onRequest(payload) {
      const pathname = pathOf(payload.request.url);
      if (pathname !== '/' && !pathname.startsWith('/assets/') && pathname !== '/dev/sign-in') return;
      return serve(payload, pathname);
    },
  };

  async function serve({ request, endResponse, fetchAPI }: OnRequestPayload, pathname: string): Promise<void> {
    const read = request.method === 'GET' || request.method === 'HEAD';
    if (pathname === '/' && read) {
      const html = await loadIndex();
      if (html === null) {
        endResponse(
          new fetchAPI.Response('The dashboard is not built: run `npm run build:web`.\n', {
            status: 503,
            headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' },
          }),
        );
        return;
      }
      endResponse(
        new fetchAPI.Response(request.method === 'HEAD' ? null : html, {
          headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache', ...SECURITY_HEADERS },
        }),
      );
      return;
    }
    if (pathname.startsWith('/assets/') && read) {
      const name = ASSET.exec(pathname)?.[1];
      const type = name ? TYPES[extname(name)] : undefined;
      let body: Uint8Array<ArrayBuffer> | null = null;
      if (name && type) {
        if (!assets.has(name))
          assets.set(
            name,
            readFile(join(dir, 'assets', name)).then(
              (bytes) => new Uint8Array(bytes),
              () => null,
            ),
          );
        body = await assets.get(name)!;
        if (body === null) assets.delete(name);
      }
      endResponse(
        body === null || !type
          ? new fetchAPI.Response('Not found\n', {
              status: 404,
              headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' },
            })
          : new fetchAPI.Response(request.method === 'HEAD' ? null : body, {
              headers: {
                'content-type': type,
                'cache-control': 'public, max-age=31536000, immutable',
                'x-content-type-options': 'nosniff',
              },
            }),
      );
      return;
    }
    if (pathname === '/dev/sign-in') {
      if (!devSignIn) {
        endResponse(new fetchAPI.Response('Not found\n', { status: 404, headers: { 'content-type': 'text/plain; charset=utf-8' } }));
        return;
      }
      if (request.method !== 'POST') {
        endResponse(new fetchAPI.Response('Use POST\n', { status: 405, headers: { allow: 'POST', 'content-type': 'text/plain' } }));
        return;
      }
      const token = await signMemberToken(await hmacSecret(config), DEV_ACCOUNT);
      endResponse(
        new fetchAPI.Response(JSON.stringify({ token, account: DEV_ACCOUNT.accountSlug }), {
          headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
        }),
      );
    }
  }
}
