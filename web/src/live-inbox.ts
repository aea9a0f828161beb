// The Inbox preview's stream: one `subscription { inbox(after) }` at a time for
// one recipient token. When the stream drops, or the server ends it before the
// token's expiry (a restart, a client too far behind), it opens again with
// `after` = the last cursor it got, so that what arrived meanwhile comes first:
// no message is missed. It ends for good when the token expires (the server ends
// the stream then too) or Herald stops accepting the token (the recipient was
// deleted). Unmounting aborts it: leaving the view or closing the preview closes the stream.
import { useEffect, useRef, useState } from 'preact/hooks';
import { PreviewInboxEvents } from './documents.ts';
import { subscribe } from './event-stream.ts';
import type { PreviewInboxEventsSubscription } from './generated/graphql.ts';

export type InboxEvent = PreviewInboxEventsSubscription['inbox'];

export type StreamState =
  | { kind: 'connecting' }
  | { kind: 'live' }
  /** Waiting to open again, for the reason given. */
  | { kind: 'retrying'; reason: string }
  | { kind: 'ended'; reason: 'expired' | 'refused'; message: string };

interface Options {
  token: string;
  expiresAt: string;
  /** Each time the stream opens (again): what the page shows may have changed meanwhile. */
  onOpen: () => void;
  onEvent: (event: InboxEvent) => void;
}

/** Waits between attempts: 1 s, 2 s, 4 s… up to 15 s, or the server's Retry-After. */
const backoff = (attempt: number) => Math.min(15_000, 1000 * 2 ** attempt);
/** Tokens expire on whole seconds: a stream the server ends this close to the expiry ended with it. */
const EXPIRY_SLACK_MS = 2000;

export function useInboxStream({ token, expiresAt, onOpen, onEvent }: Options) {
  const [state, setState] = useState<StreamState>({ kind: 'connecting' });
  /** The cursor to resume from: the last NEW event's, else the newest the page loaded (see `seed`). */
  const cursor = useRef<string | null>(null);
  const fromEvent = useRef(false);
  const handlers = useRef({ onOpen, onEvent });
  handlers.current = { onOpen, onEvent };

  useEffect(() => {
    const controller = new AbortController();
    const { signal } = controller;
    const expiry = new Date(expiresAt).getTime();
    const expired = () => {
      setState({ kind: 'ended', reason: 'expired', message: 'The token expired.' });
      controller.abort();
    };
    const timer = setTimeout(expired, Math.max(0, expiry - Date.now()));
    const wait = (ms: number) =>
      new Promise<void>((resolve) => {
        const done = setTimeout(resolve, ms);
        signal.addEventListener(
          'abort',
          () => {
            clearTimeout(done);
            resolve();
          },
          { once: true },
        );
      });

    (async () => {
      for (let attempt = 0; !signal.aborted; attempt += 1) {
        let opened: number | null = null;
        const end = await subscribe(PreviewInboxEvents, { after: cursor.current }, token, signal, {
          open: () => {
            opened = Date.now();
            setState({ kind: 'live' });
            handlers.current.onOpen();
          },
          next: ({ inbox }) => {
            if (inbox.cursor) {
              cursor.current = inbox.cursor;
              fromEvent.current = true;
            }
            handlers.current.onEvent(inbox);
          },
        });
        if (signal.aborted || end.kind === 'aborted') return;
        const refused = end.kind === 'refused' ? end.error : null;
        if (Date.now() >= expiry - EXPIRY_SLACK_MS && (end.kind === 'complete' || refused?.unauthenticated)) {
          expired();
          return;
        }
        if (refused?.unauthenticated) {
          setState({
            kind: 'ended',
            reason: 'refused',
            message: 'Herald no longer accepts this token: the recipient may have been deleted.',
          });
          controller.abort();
          return;
        }
        // Refusals that another attempt would not change (a bad request, a refused operation).
        if (refused && refused.status !== 0 && refused.status !== 429 && refused.status < 500) {
          setState({ kind: 'ended', reason: 'refused', message: refused.message });
          controller.abort();
          return;
        }
        // A stream that was live a while starts the count again: it ended once, not repeatedly.
        if (opened !== null && Date.now() - opened > 10_000) attempt = 0;
        const delay =
          end.kind === 'refused' ? (end.retryAfterMs ?? backoff(attempt)) : end.kind === 'complete' && attempt === 0 ? 0 : backoff(attempt);
        if (delay > 0) {
          setState({ kind: 'retrying', reason: refused?.message ?? 'The connection was lost.' });
          await wait(delay);
        }
        if (!signal.aborted) setState({ kind: 'connecting' });
      }
    })();

    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [token, expiresAt]);

  return {
    state,
    /** A cursor the page loaded (the newest item of its first page): where to resume until an event brings a newer one. */
    seed(loaded: string | null) {
      if (!fromEvent.current && loaded) cursor.current = loaded;
    },
  };
}
