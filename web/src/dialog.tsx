// The native <dialog> opened with showModal(): the browser traps focus, closes
// on Escape and makes the rest of the page inert. The page gives focus back to
// the control that opened the first dialog of a sequence (see keys.tsx).
import type { ComponentChildren } from 'preact';
import { useEffect, useId, useRef } from 'preact/hooks';

interface DialogProps {
  title: string;
  onClose: () => void;
  children: ComponentChildren;
  wide?: boolean;
  /**
   * When given, Escape does not close the dialog: it calls this instead (the
   * dialog asks before losing something).
   */
  onEscape?: () => void;
}

export function Dialog({ title, onClose, children, wide, onEscape }: DialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const closeRef = useRef(onClose);
  closeRef.current = onClose;
  const escapeRef = useRef(onEscape);
  escapeRef.current = onEscape;
  useEffect(() => {
    const dialog = ref.current!;
    dialog.showModal();
    const cancel = (event: Event) => {
      // Not cancelable: the browser closes the dialog anyway (Chrome allows one
      // prevented Escape per user gesture); `closed` reopens it.
      if (escapeRef.current && event.cancelable) {
        event.preventDefault();
        escapeRef.current();
      }
    };
    const closed = () => {
      if (escapeRef.current) {
        dialog.showModal();
        escapeRef.current();
        return;
      }
      closeRef.current();
    };
    dialog.addEventListener('cancel', cancel);
    dialog.addEventListener('close', closed);
    return () => {
      dialog.removeEventListener('cancel', cancel);
      dialog.removeEventListener('close', closed);
      if (dialog.open) dialog.close();
    };
  }, []);
  return (
    <dialog ref={ref} aria-labelledby={titleId} class={wide ? 'wide' : undefined}>
      <h2 id={titleId}>{title}</h2>
      {children}
    </dialog>
  );
}

/** A field's error, in the server's words or the page's own check, tied to its control by aria-describedby. */
export function FieldError({ id, message }: { id: string; message?: string | null }) {
  if (!message) return null;
  return (
    <p id={id} class="field-error">
      {message}
    </p>
  );
}
