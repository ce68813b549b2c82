import { ApiClient, type Role } from './api/client.js';
import type { ProjectList } from './api/schemas.js';

export interface Session {
  api: ApiClient;
  role: Role;
  /** A project token's own project; undefined for the admin. */
  ownProject: string | undefined;
}

const KEY = 'hookrelay.token';

/**
 * The token is kept for this tab only (sessionStorage) unless the reader asks to be remembered on this
 * device (localStorage). It is never put in a URL the console shows, only in the feeds' EventSource URLs.
 */
export function storedToken(): string | undefined {
  return window.sessionStorage.getItem(KEY) ?? window.localStorage.getItem(KEY) ?? undefined;
}

export function storeToken(token: string, remember: boolean): void {
  forgetToken();
  (remember ? window.localStorage : window.sessionStorage).setItem(KEY, token);
}

export function forgetToken(): void {
  window.sessionStorage.removeItem(KEY);
  window.localStorage.removeItem(KEY);
}

/** Checks a token against the gateway and learns what it may do. Throws UnauthorizedError for a bad one. */
export async function openSession(token: string): Promise<{ session: Session; routes: ProjectList }> {
  const api = new ApiClient(token);
  const [routes, role] = await Promise.all([api.listProjects(), api.role()]);
  const ownProject = role === 'project' ? routes.projects[0]?.projectId : undefined;
  return { session: { api, role, ownProject }, routes };
}
