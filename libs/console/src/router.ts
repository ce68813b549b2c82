import { useEffect, useState } from 'preact/hooks';

/**
 * The console's pages. These paths are served by the gateway as the console's index.html (see
 * services/gateway/src/console.ts, which lists them too): none of them is an API path.
 */
export type Page =
  | { name: 'live' }
  | { name: 'failed' }
  | { name: 'routes' }
  | { name: 'webhook'; id: string }
  | { name: 'not-found' };

export function pageOf(pathname: string): Page {
  if (pathname === '/' || pathname === '') return { name: 'live' };
  if (pathname === '/failed') return { name: 'failed' };
  if (pathname === '/routes') return { name: 'routes' };
  const webhook = /^\/inspect\/([0-9A-Za-z-]{1,64})$/.exec(pathname);
  if (webhook?.[1]) return { name: 'webhook', id: webhook[1] };
  return { name: 'not-found' };
}

export const hrefOf = {
  live: (params?: URLSearchParams) => `/${params && params.size > 0 ? `?${params}` : ''}`,
  failed: () => '/failed',
  routes: () => '/routes',
  webhook: (id: string) => `/inspect/${encodeURIComponent(id)}`,
};

export interface Location {
  pathname: string;
  search: URLSearchParams;
}

const NAVIGATED = 'hookrelay:navigated';

function current(): Location {
  return { pathname: window.location.pathname, search: new URLSearchParams(window.location.search) };
}

/** Moves to `href` without reloading; `replace` for filter changes, which should not pile up history. */
export function navigate(href: string, { replace = false } = {}): void {
  if (replace) window.history.replaceState(null, '', href);
  else window.history.pushState(null, '', href);
  window.dispatchEvent(new Event(NAVIGATED));
}

export function useLocation(): Location {
  const [location, setLocation] = useState(current);
  useEffect(() => {
    const update = () => setLocation(current());
    window.addEventListener('popstate', update);
    window.addEventListener(NAVIGATED, update);
    return () => {
      window.removeEventListener('popstate', update);
      window.removeEventListener(NAVIGATED, update);
    };
  }, []);
  return location;
}

/** A click on an in-app link navigates in place; with a modifier key it does what the browser does. */
export function onLinkClick(event: MouseEvent): void {
  if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  const anchor = (event.target as Element | null)?.closest('a');
  if (!anchor || anchor.target !== '' || anchor.origin !== window.location.origin || anchor.hasAttribute('download')) return;
  event.preventDefault();
  navigate(anchor.pathname + anchor.search);
}
