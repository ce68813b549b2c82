import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { ProjectView, RefusedRoute } from './api/schemas.js';
import type { LiveStore } from './live-store.js';
import type { Session } from './session.js';

/** What every signed-in page shares: the session, the live list, and the routes (for names and URLs). */
export interface ConsoleContext {
  session: Session;
  live: LiveStore;
  projects: ProjectView[];
  /** Route documents the operator refused (Routes shows why). */
  refused: RefusedRoute[];
  refreshProjects(): Promise<void>;
  /** A request came back 401: back to sign-in, saying why. */
  signOut(notice?: string): void;
}

export const Console = createContext<ConsoleContext | undefined>(undefined);

export function useConsole(): ConsoleContext {
  const value = useContext(Console);
  if (!value) throw new Error('useConsole() outside the signed-in console');
  return value;
}
