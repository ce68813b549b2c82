import { useEffect, useRef } from 'preact/hooks';
import { UnauthorizedError } from './api/client.js';
import { FeedConnection } from './api/feed-connection.js';
import type { FeedEntry } from './api/schemas.js';
import { useConsole } from './context.js';

/**
 * Calls `onEntry` for each feed entry of `projectId` (every project the token sees when undefined). It
 * listens to the console's live list when that already carries those entries, and otherwise opens the
 * project's own feed, so a page never needs to poll.
 */
export function useFeedEntries(projectId: string | undefined, onEntry: (entry: FeedEntry) => void, enabled = true): void {
  const { live, session, signOut } = useConsole();
  const handler = useRef(onEntry);
  handler.current = onEntry;
  const covered = projectId === undefined ? live.scope === undefined : live.covers(projectId);

  useEffect(() => {
    if (!enabled) return;
    const deliver = (entry: FeedEntry) => {
      if (projectId === undefined || entry.projectId === projectId) handler.current(entry);
    };
    if (covered) return live.onEntry(deliver);
    const connection = new FeedConnection({
      url: (lastEventId) => session.api.feedUrl(projectId, lastEventId),
      onEntry: deliver,
      onState: () => undefined,
      tokenStillValid: () => session.api.listProjects().then(() => true, (err: unknown) => !(err instanceof UnauthorizedError)),
      onUnauthorized: () => signOut('The gateway no longer accepts your token. Sign in again.'),
    });
    connection.start();
    return () => connection.stop();
  }, [live, session, signOut, projectId, covered, enabled]);
}
