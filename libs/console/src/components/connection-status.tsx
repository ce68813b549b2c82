import { useEffect, useState } from 'preact/hooks';
import type { ConnectionState } from '../api/feed-connection.js';

function label(state: ConnectionState, now: number): string {
  switch (state.kind) {
    case 'live':
      return 'Live';
    case 'connecting':
      return 'Connecting…';
    case 'closed':
      return 'Disconnected';
    case 'reconnecting': {
      if (state.retryAt === undefined) return 'Reconnecting…';
      const seconds = Math.max(0, Math.ceil((state.retryAt - now) / 1000));
      return seconds === 0 ? 'Reconnecting…' : `Offline · retrying in ${seconds} s`;
    }
  }
}

/** Where the live feed stands, always in view; it reconnects by itself, and the button skips the wait. */
export function ConnectionStatus({ state, onReconnect }: { state: ConnectionState; onReconnect(): void }) {
  const [now, setNow] = useState(Date.now());
  const counting = state.kind === 'reconnecting' && state.retryAt !== undefined;
  useEffect(() => {
    if (!counting) return;
    const timer = setInterval(() => setNow(Date.now()), 500);
    return () => clearInterval(timer);
  }, [counting]);
  const tone = state.kind === 'live' ? 'live' : state.kind === 'connecting' ? 'pending' : 'down';
  return (
    <div class={`connection connection-${tone}`} data-connection={state.kind}>
      <span class="connection-dot" aria-hidden="true" />
      <span role="status" aria-live="polite">
        <span class="visually-hidden">Feed connection: </span>
        {label(state, now)}
      </span>
      {counting ? (
        <button type="button" class="link-button" onClick={onReconnect}>
          Reconnect now
        </button>
      ) : null}
    </div>
  );
}
