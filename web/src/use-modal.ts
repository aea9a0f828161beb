// Which dialog a page shows, and where focus goes when the dialogs close: back
// to the control that opened the first dialog of a sequence (Create stays the
// opener through the secret dialog that follows it); if that control is gone
// (its row was deleted), to the page's heading.
import { useRef, useState } from 'preact/hooks';

export function useModal<Modal>(reload: () => Promise<void>) {
  const [modal, setModal] = useState<Modal | null>(null);
  const opener = useRef<HTMLElement | null>(null);

  const restoreFocus = () =>
    requestAnimationFrame(() => {
      const element = opener.current;
      opener.current = null;
      if (element?.isConnected) element.focus();
      else document.querySelector<HTMLElement>('main h1')?.focus();
    });

  return {
    modal,
    open: (next: Modal) => {
      opener.current ??= document.activeElement as HTMLElement | null;
      setModal(next);
    },
    close: () => {
      setModal(null);
      restoreFocus();
    },
    /** Something changed: the page reads it again, then shows `next` (the secret, say) or gives focus back. */
    changed: async (next: Modal | null = null) => {
      setModal(next);
      await reload();
      if (!next) restoreFocus();
    },
  };
}
