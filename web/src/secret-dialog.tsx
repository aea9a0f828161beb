// A secret shown once: an API key's (after Create API Key and after Roll) or a
// webhook endpoint's signing secret (after Add Endpoint and after Roll secret). Closing before the
// secret was copied (Done, or Escape) asks first: it cannot be shown again.
import { useId, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { Dialog } from './dialog.tsx';

interface SecretDialogProps {
  name: string;
  secret: string;
  rolled: boolean;
  onDone: () => void;
  /** The dialog's title, when it is not an API key's secret. */
  title?: string;
}

export function SecretDialog({ name, secret, rolled, onDone, title }: SecretDialogProps) {
  const id = useId();
  const [copied, setCopied] = useState(false);
  const [status, setStatus] = useState('');
  const [asking, setAsking] = useState(false);
  const copyButton = useRef<HTMLButtonElement>(null);
  const goBack = useRef<HTMLButtonElement>(null);
  const asked = useRef(false);

  // Focus follows the question: onto "Go back" when it appears, onto Copy when it goes.
  // A layout effect moves it in the same task as the render, so a key pressed
  // right after Escape (a fast Tab) starts from where focus belongs.
  useLayoutEffect(() => {
    if (asking) goBack.current?.focus();
    else if (asked.current) copyButton.current?.focus();
    asked.current = asking;
  }, [asking]);

  // The Copy button's write, resolving to whether it copied: Done pressed while it is
  // still being written (Copy, then Done at once) waits for it.
  const copying = useRef<Promise<boolean>>(Promise.resolve(false));
  const copy = () => {
    copying.current = navigator.clipboard.writeText(secret).then(
      () => {
        setCopied(true);
        setAsking(false);
        setStatus('Copied to the clipboard.');
        return true;
      },
      () => {
        setStatus('Copying failed: select the secret and copy it.');
        return false;
      },
    );
  };
  const done = async () => {
    if (copied || (await copying.current)) onDone();
    else setAsking(true);
  };

  return (
    <Dialog
      title={title ?? (rolled ? `New secret for ${name}` : `API Key ${name} created`)}
      onClose={onDone}
      // Escape asks (and, asked again, goes back to the secret) until the secret is copied.
      onEscape={copied ? undefined : () => setAsking((now) => !now)}
    >
      <p class="banner warning" id={`${id}-warning`}>
        Copy this secret now and keep it safe: it cannot be shown again.
      </p>
      <div class="field">
        <label for={`${id}-secret`}>Secret</label>
        <div class="secret-row">
          <textarea
            id={`${id}-secret`}
            class="secret"
            readOnly
            rows={1}
            value={secret}
            spellcheck={false}
            autoComplete="off"
            aria-describedby={`${id}-warning`}
            onFocus={(e) => e.currentTarget.select()}
            // Copied by hand (Ctrl+C, the context menu) counts too.
            onCopy={() => setCopied(true)}
          />
          <button type="button" ref={copyButton} onClick={copy}>
            Copy
          </button>
        </div>
        <p class="hint" role="status">
          {status}
        </p>
      </div>
      {asking ? (
        <fieldset class="confirm">
          <legend>Close without copying?</legend>
          <p>The secret cannot be shown again.</p>
          <div class="buttons">
            <button type="button" ref={goBack} onClick={() => setAsking(false)}>
              Go back
            </button>
            <button type="button" class="danger solid" onClick={onDone}>
              Close without copying
            </button>
          </div>
        </fieldset>
      ) : (
        <div class="buttons">
          <button type="button" class="primary" onClick={done}>
            Done
          </button>
        </div>
      )}
    </Dialog>
  );
}
