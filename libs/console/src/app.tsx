import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { UnauthorizedError } from './api/client.js';
import type { ProjectList } from './api/schemas.js';
import { Announcer } from './components/announcer.js';
import { ConnectionStatus } from './components/connection-status.js';
import { LogoMark } from './components/icons.js';
import { Console, type ConsoleContext } from './context.js';
import { LiveStore, useStore } from './live-store.js';
import { hrefOf, onLinkClick, pageOf, useLocation, type Page } from './router.js';
import { forgetToken, openSession, storedToken, type Session } from './session.js';
import { FailedPage } from './views/failed.js';
import { LivePage } from './views/live.js';
import { RoutesPage } from './views/routes.js';
import { SignIn } from './views/sign-in.js';
import { WebhookPage } from './views/webhook.js';

const TITLES: Record<Page['name'], string> = {
  live: 'Live',
  failed: 'Failed',
  routes: 'Routes',
  webhook: 'Webhook',
  'not-found': 'Not found',
};

export function App() {
  const [session, setSession] = useState<Session | undefined>(undefined);
  const [routes, setRoutes] = useState<ProjectList>({ projects: [], refused: [] });
  const [restoring, setRestoring] = useState(() => storedToken() !== undefined);
  const [notice, setNotice] = useState<string | undefined>(undefined);

  const signOut = useCallback((why?: string) => {
    forgetToken();
    setSession(undefined);
    setNotice(why);
  }, []);

  // A token kept from before is checked again: it may have been rotated since.
  useEffect(() => {
    const token = storedToken();
    if (token === undefined) return;
    openSession(token).then(
      ({ session: restored, routes: found }) => {
        setSession(restored);
        setRoutes(found);
        setRestoring(false);
      },
      (err: unknown) => {
        if (err instanceof UnauthorizedError) forgetToken();
        setNotice(err instanceof UnauthorizedError ? 'Your saved token is no longer accepted. Sign in again.' : undefined);
        setRestoring(false);
      },
    );
  }, []);

  if (restoring) {
    return (
      <main class="signin" id="main" aria-busy="true">
        <p class="muted">Connecting to the gateway…</p>
      </main>
    );
  }
  if (!session) {
    return (
      <>
        <SignIn
          notice={notice}
          onSignedIn={(s, found) => {
            setNotice(undefined);
            setRoutes(found);
            setSession(s);
          }}
        />
        <Announcer />
      </>
    );
  }
  return <SignedIn session={session} routes={routes} setRoutes={setRoutes} signOut={signOut} />;
}

function SignedIn({
  session,
  routes,
  setRoutes,
  signOut,
}: {
  session: Session;
  routes: ProjectList;
  setRoutes(routes: ProjectList): void;
  signOut(why?: string): void;
}) {
  const location = useLocation();
  const page = pageOf(location.pathname);
  const live = useMemo(() => new LiveStore(session, () => signOut('The gateway no longer accepts your token. Sign in again.')), [session, signOut]);
  useEffect(() => {
    live.start();
    return () => live.stop();
  }, [live]);
  useStore(live);

  const refreshProjects = useCallback(async () => {
    try {
      setRoutes(await session.api.listProjects());
    } catch (err) {
      if (err instanceof UnauthorizedError) signOut('The gateway no longer accepts your token. Sign in again.');
      else throw err;
    }
  }, [session, setRoutes, signOut]);

  const context: ConsoleContext = useMemo(
    () => ({ session, live, projects: routes.projects, refused: routes.refused, refreshProjects, signOut }),
    [session, live, routes, refreshProjects, signOut],
  );

  // On a page change, focus moves to the new page's heading, so a screen reader says where the reader is.
  const firstRender = useRef(true);
  useEffect(() => {
    document.title = `${TITLES[page.name]} · hookrelay`;
    if (firstRender.current) {
      firstRender.current = false;
      return;
    }
    document.getElementById('page-title')?.focus({ preventScroll: true });
  }, [location.pathname]);

  return (
    <Console.Provider value={context}>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <header class="topbar" onClick={onLinkClick}>
        <div class="topbar-inner">
          <a class="brand" href={hrefOf.live()} aria-label="hookrelay, live feed">
            <LogoMark />
            <span class="brand-name">hookrelay</span>
          </a>
          <nav class="nav" aria-label="Console">
            <NavLink href={hrefOf.live()} current={page.name === 'live' || page.name === 'webhook'} label="Live" />
            <NavLink href={hrefOf.failed()} current={page.name === 'failed'} label="Failed" />
            <NavLink href={hrefOf.routes()} current={page.name === 'routes'} label="Routes" />
          </nav>
          <div class="topbar-end">
            <ConnectionStatus state={live.connection} onReconnect={() => live.reconnectNow()} />
            <span class="who" title={session.role === 'admin' ? 'Admin token: every project, retry and replay' : 'Project token: read only'}>
              {session.role === 'admin' ? 'Admin' : `${session.ownProject ?? 'Project'} · read-only`}
            </span>
            <button type="button" class="button button-ghost button-small" onClick={() => signOut()}>
              Sign out
            </button>
          </div>
        </div>
      </header>
      <main id="main" class="page" onClick={onLinkClick}>
        {page.name === 'live' ? <LivePage /> : null}
        {page.name === 'webhook' ? <WebhookPage id={page.id} /> : null}
        {page.name === 'failed' ? <FailedPage /> : null}
        {page.name === 'routes' ? <RoutesPage /> : null}
        {page.name === 'not-found' ? (
          <section class="empty">
            <h1 id="page-title" tabIndex={-1}>
              Nothing here
            </h1>
            <p>
              <a href={hrefOf.live()}>Go to the live feed</a>
            </p>
          </section>
        ) : null}
      </main>
      <Announcer />
    </Console.Provider>
  );
}

function NavLink({ href, current, label }: { href: string; current: boolean; label: string }) {
  return (
    <a class="nav-link" href={href} aria-current={current ? 'page' : undefined}>
      {label}
    </a>
  );
}
