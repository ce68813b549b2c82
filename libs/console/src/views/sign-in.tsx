import { useState } from 'preact/hooks';
import { NetworkError, UnauthorizedError } from '../api/client.js';
import type { ProjectList } from '../api/schemas.js';
import { LogoMark } from '../components/icons.js';
import { openSession, storeToken, type Session } from '../session.js';

export function SignIn({ notice, onSignedIn }: { notice: string | undefined; onSignedIn(session: Session, routes: ProjectList): void }) {
  const [token, setToken] = useState('');
  const [remember, setRemember] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);

  const submit = async (event: Event) => {
    event.preventDefault();
    const trimmed = token.trim();
    if (trimmed === '') {
      setError('Enter an API token.');
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      const { session, routes } = await openSession(trimmed);
      storeToken(trimmed, remember);
      onSignedIn(session, routes);
    } catch (err) {
      setError(
        err instanceof UnauthorizedError
          ? 'The gateway does not accept this token.'
          : err instanceof NetworkError
            ? 'The gateway cannot be reached. Is it running?'
            : err instanceof Error
              ? err.message
              : String(err),
      );
      setBusy(false);
    }
  };

  return (
    <main class="signin" id="main">
      <form class="signin-card" onSubmit={submit} aria-describedby="signin-help" noValidate>
        <div class="signin-brand">
          <LogoMark />
          <span>hookrelay</span>
        </div>
        <h1 class="signin-title">Sign in to the console</h1>
        <p id="signin-help" class="muted">
          Use the admin token (<code>HOOKRELAY_API_TOKEN</code>, printed by <code>npm start</code> when unset) or a project's read token.
        </p>
        {notice ? (
          <p class="notice" role="status">
            {notice}
          </p>
        ) : null}
        <label class="field">
          <span class="field-label">API token</span>
          <input
            class="input"
            type="password"
            name="token"
            autocomplete="current-password"
            spellcheck={false}
            value={token}
            onInput={(e) => setToken(e.currentTarget.value)}
            aria-invalid={error !== undefined}
            aria-describedby={error ? 'signin-error' : undefined}
            autofocus
            required
          />
        </label>
        <label class="checkbox">
          <input type="checkbox" checked={remember} onChange={(e) => setRemember(e.currentTarget.checked)} />
          <span>Remember on this device</span>
        </label>
        {error ? (
          <p id="signin-error" class="form-error" role="alert">
            {error}
          </p>
        ) : null}
        <button type="submit" class="button button-primary button-block" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
