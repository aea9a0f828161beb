// The Herald dashboard: sign in with a member token, then the API Keys, Channels,
// Recipients, Messages, Inbox preview and Webhooks pages, one hash route each
// (#/recipients?channel=marketing&search=user- carries the Recipients view's filters).
import { render } from 'preact';
import { useEffect, useId, useRef, useState } from 'preact/hooks';
import { RequestError, request, session } from './api.ts';
import { ChannelsPage } from './channels.tsx';
import { FieldError } from './dialog.tsx';
import { DashboardChannels } from './documents.ts';
import type { DashboardChannelsQuery } from './generated/graphql.ts';
import { InboxPreviewPage } from './inbox-preview.tsx';
import { ApiKeysPage } from './keys.tsx';
import { MessagesPage } from './messages.tsx';
import { recentRecipients } from './recent-recipients.ts';
import { RecipientsPage } from './recipients.tsx';
import { WebhooksPage } from './webhooks.tsx';

const PAGES = {
  keys: 'API Keys',
  channels: 'Channels',
  recipients: 'Recipients',
  messages: 'Messages',
  inbox: 'Inbox preview',
  webhooks: 'Webhooks',
} as const;
type Page = keyof typeof PAGES;
const pageFromHash = (): Page => {
  const name = location.hash.replace(/^#\//, '').split('?')[0];
  return Object.hasOwn(PAGES, name) ? (name as Page) : 'keys';
};
/** The part of the hash after "?": a page's own state (the Recipients view's filters). */
const queryFromHash = () => location.hash.split('?')[1] ?? '';

function App() {
  const [token, setToken] = useState(session.get());
  const [notice, setNotice] = useState<string | null>(null);
  if (!token) {
    return (
      <SignIn
        notice={notice}
        onSignedIn={(t) => {
          session.set(t);
          setNotice(null);
          setToken(t);
        }}
      />
    );
  }
  const signOut = (message: string | null = null) => {
    session.clear();
    recentRecipients.clear();
    setNotice(message);
    setToken(null);
  };
  return <Dashboard key={token} signOut={signOut} />;
}

function Dashboard({ signOut }: { signOut: (message?: string | null) => void }) {
  const [page, setPage] = useState<Page>(pageFromHash());
  const [query, setQuery] = useState(queryFromHash());
  const [channels, setChannels] = useState<DashboardChannelsQuery['channels'] | null>(null);
  const unauthenticated = (e: RequestError) => signOut(`Signed out: ${e.message}`);

  const loadChannels = async () => {
    try {
      setChannels((await request(DashboardChannels)).channels);
    } catch (e) {
      if (e instanceof RequestError && e.unauthenticated) unauthenticated(e);
    }
  };
  useEffect(() => {
    loadChannels();
    const onHash = () => {
      setPage(pageFromHash());
      setQuery(queryFromHash());
    };
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, []);
  // A page change moves focus to the new page's heading, as a page load would put a screen reader at its start.
  const shownPage = useRef(page);
  useEffect(() => {
    document.title = `${PAGES[page]} · Herald`;
    if (shownPage.current !== page) document.querySelector<HTMLElement>('main h1')?.focus();
    shownPage.current = page;
  }, [page]);

  return (
    <>
      <a class="skip" href="#main">
        Skip to main content
      </a>
      <header class="top">
        <span class="brand" aria-hidden="true">
          Herald
        </span>
        <nav aria-label="Dashboard">
          {(Object.keys(PAGES) as Page[]).map((name) => (
            <a key={name} href={`#/${name}`} aria-current={page === name ? 'page' : undefined}>
              {PAGES[name]}
            </a>
          ))}
        </nav>
        <button type="button" class="link" onClick={() => signOut()}>
          Sign out
        </button>
      </header>
      <main id="main">
        {page === 'keys' && <ApiKeysPage channels={channels ?? []} onUnauthenticated={unauthenticated} />}
        {page === 'channels' && <ChannelsPage onChanged={loadChannels} onUnauthenticated={unauthenticated} />}
        {page === 'recipients' && (
          // A link with other filters (from the Channels page) starts the view afresh.
          <RecipientsPage key={query} query={query} channels={channels} onUnauthenticated={unauthenticated} />
        )}
        {page === 'messages' && <MessagesPage onUnauthenticated={unauthenticated} />}
        {page === 'inbox' && <InboxPreviewPage onUnauthenticated={unauthenticated} />}
        {page === 'webhooks' && <WebhooksPage channels={channels ?? []} onUnauthenticated={unauthenticated} />}
      </main>
    </>
  );
}

function SignIn({ notice, onSignedIn }: { notice: string | null; onSignedIn: (token: string) => void }) {
  const id = useId();
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const devSignIn = document.body.hasAttribute('data-dev-sign-in');

  /** The token is kept only if Herald accepts it. */
  const tryToken = async (candidate: string) => {
    session.set(candidate);
    try {
      await request(DashboardChannels);
      onSignedIn(candidate);
    } catch (e) {
      session.clear();
      setError(e instanceof Error ? e.message : String(e));
      setBusy(false);
    }
  };
  const submit = (event: Event) => {
    event.preventDefault();
    setError(null);
    const candidate = token.trim().replace(/^Bearer\s+/i, '');
    if (!candidate) {
      setError('Paste a member token.');
      return;
    }
    setBusy(true);
    tryToken(candidate);
  };
  const developer = async () => {
    setBusy(true);
    setError(null);
    const response = await fetch('/dev/sign-in', { method: 'POST' }).catch(() => null);
    if (!response?.ok) {
      setError('The developer sign-in is not available on this server.');
      setBusy(false);
      return;
    }
    tryToken(((await response.json()) as { token: string }).token);
  };

  return (
    <main id="main" class="sign-in">
      <h1>Sign in to Herald</h1>
      {notice && (
        <p role="status" class="banner warning">
          {notice}
        </p>
      )}
      <form onSubmit={submit} noValidate class="card">
        <div class="field">
          <label for={`${id}-token`}>Member token</label>
          <input
            id={`${id}-token`}
            type="password"
            autoComplete="off"
            spellcheck={false}
            value={token}
            onInput={(e) => setToken(e.currentTarget.value)}
            aria-invalid={error ? true : undefined}
            aria-describedby={`${id}-hint${error ? ` ${id}-error` : ''}`}
          />
          <p id={`${id}-hint`} class="hint">
            A JWT from your identity provider, or from <code>npm run --silent token -- --account &lt;slug&gt;</code>. Kept for this tab
            only.
          </p>
          <FieldError id={`${id}-error`} message={error ?? undefined} />
        </div>
        <div class="buttons start">
          <button type="submit" class="primary" disabled={busy}>
            Sign in
          </button>
          {devSignIn && (
            <button type="button" disabled={busy} onClick={developer}>
              Developer sign-in
            </button>
          )}
        </div>
        {devSignIn && <p class="hint">Developer sign-in (not in production): a member of the account "acme".</p>}
      </form>
    </main>
  );
}

const root = document.getElementById('app')!;
root.textContent = '';
render(<App />, root);
// Rendered with its handlers attached: the browser tests read this mark as time to interactive.
performance.mark('herald-interactive');
document.documentElement.dataset.ready = 'true';
