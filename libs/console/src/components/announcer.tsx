import { useEffect, useState } from 'preact/hooks';

const ANNOUNCE = 'hookrelay:announce';

/** Says `message` to screen readers (and shows it briefly as a toast): results of actions, errors. */
export function announce(message: string, tone: 'info' | 'error' = 'info'): void {
  window.dispatchEvent(new CustomEvent(ANNOUNCE, { detail: { message, tone } }));
}

interface Toast {
  id: number;
  message: string;
  tone: 'info' | 'error';
}

export function Announcer() {
  const [toasts, setToasts] = useState<Toast[]>([]);
  useEffect(() => {
    let next = 0;
    const onAnnounce = (event: Event) => {
      const { message, tone } = (event as CustomEvent<{ message: string; tone: 'info' | 'error' }>).detail;
      const id = ++next;
      setToasts((list) => [...list.slice(-2), { id, message, tone }]);
      setTimeout(() => setToasts((list) => list.filter((t) => t.id !== id)), tone === 'error' ? 9000 : 5000);
    };
    window.addEventListener(ANNOUNCE, onAnnounce);
    return () => window.removeEventListener(ANNOUNCE, onAnnounce);
  }, []);
  return (
    <div class="toasts" role="status" aria-live="polite" aria-atomic="false">
      {toasts.map((t) => (
        <div key={t.id} class={`toast toast-${t.tone}`}>
          {t.message}
        </div>
      ))}
    </div>
  );
}
