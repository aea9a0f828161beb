// The Inbox preview: a member names a recipient by its externalId, the page
// mints a short-lived recipient token for it (createRecipientToken) and shows
// that recipient's inbox, live (inbox-panel.tsx): delivery, seen from the
// recipient's side.
import { useId, useState } from 'preact/hooks';
import { RequestError, request } from './api.ts';
import { checkExternalId, LIMITS, useFieldErrors } from './checks.ts';
import { FieldError } from './dialog.tsx';
import { DashboardCreateRecipientToken } from './documents.ts';
import { InboxPanel, type Preview } from './inbox-panel.tsx';
import { recentRecipients } from './recent-recipients.ts';

/** 15 minutes: long enough to watch, short enough that a forgotten tab holds nothing for long. */
export const PREVIEW_TTL_SECONDS = 15 * 60;

export function InboxPreviewPage({ onUnauthenticated }: { onUnauthenticated: (error: RequestError) => void }) {
  const id = useId();
  const [externalId, setExternalId] = useState('');
  const [recent, setRecent] = useState(recentRecipients.get);
  const [preview, setPreview] = useState<Preview | null>(null);
  // Each token minted opens a new panel (two minted in the same second for one recipient may be the same string).
  const [opened, setOpened] = useState(0);
  const [busy, setBusy] = useState(false);
  const fields = useFieldErrors({ externalId: checkExternalId(externalId) });
  const err = fields.error;

  const open = async (wanted: string) => {
    setBusy(true);
    try {
      const { createRecipientToken: minted } = await request(DashboardCreateRecipientToken, {
        input: { externalId: wanted, ttlSeconds: PREVIEW_TTL_SECONDS },
      });
      setPreview({
        externalId: minted.recipient.externalId,
        token: minted.token,
        expiresAt: minted.expiresAt,
        channels: minted.recipient.channels.map((c) => c.slug),
      });
      setOpened((n) => n + 1);
      setRecent(recentRecipients.add(minted.recipient.externalId));
      fields.reset();
      setExternalId('');
    } catch (e) {
      if (e instanceof RequestError && e.unauthenticated) onUnauthenticated(e);
      else {
        // An unknown recipient (NOT_FOUND) is about the field, though the server names none.
        const { '': general, ...byField } = e instanceof RequestError ? e.byField() : { '': String(e) };
        fields.refused({ ...byField, ...(general ? { externalId: general } : {}) });
        setPreview(null);
        document.getElementById(`${id}-external-id`)?.focus();
      }
    } finally {
      setBusy(false);
    }
  };

  const submit = (event: Event) => {
    event.preventDefault();
    if (fields.submit()) {
      document.getElementById(`${id}-external-id`)?.focus();
      return;
    }
    open(externalId.trim());
  };
  const close = () => {
    setPreview(null);
    requestAnimationFrame(() => document.getElementById(`${id}-external-id`)?.focus());
  };
  const described = `${id}-hint${err('externalId') ? ` ${id}-error` : ''}`;

  return (
    <>
      <div class="page-head">
        <h1 tabIndex={-1}>Inbox preview</h1>
      </div>
      <p class="lede">
        See delivery from a recipient's side: the page mints a short-lived token for one recipient and shows their inbox as their app would,
        live.
      </p>
      <section class="card recipient-form" aria-labelledby={`${id}-title`}>
        <h2 id={`${id}-title`} class="visually-hidden">
          Choose a recipient
        </h2>
        <form onSubmit={submit} noValidate>
          <div class="field">
            <label for={`${id}-external-id`}>Recipient externalId</label>
            <div class="input-row">
              <input
                id={`${id}-external-id`}
                value={externalId}
                onInput={(e) => {
                  setExternalId(e.currentTarget.value);
                  fields.edited('externalId');
                }}
                required
                maxLength={LIMITS.externalId}
                autoComplete="off"
                autoCapitalize="none"
                spellcheck={false}
                aria-invalid={err('externalId') ? true : undefined}
                aria-describedby={described}
              />
              <button type="submit" class="primary" disabled={busy}>
                Open inbox
              </button>
            </div>
            <p id={`${id}-hint`} class="hint">
              The identifier your backend gave the recipient, e.g. <code>user-ada</code>. The token lasts 15 minutes and stays in this tab's
              memory.
            </p>
            <FieldError id={`${id}-error`} message={err('externalId')} />
          </div>
          {recent.length > 0 && (
            <div class="recent">
              <span id={`${id}-recent`} class="muted">
                Recent:
              </span>
              <ul class="recent-list" aria-labelledby={`${id}-recent`}>
                {recent.map((r) => (
                  <li key={r}>
                    <button type="button" class="chip-button" disabled={busy} onClick={() => open(r)} aria-label={`Open the inbox of ${r}`}>
                      {r}
                    </button>
                  </li>
                ))}
              </ul>
            </div>
          )}
        </form>
      </section>
      {preview && <InboxPanel key={opened} preview={preview} minting={busy} onMintAgain={() => open(preview.externalId)} onClose={close} />}
    </>
  );
}
