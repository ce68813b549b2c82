import { ProjectId } from '@hookrelay/schemas';
import { InvalidProjectIdError } from './errors.js';

export interface HookTarget {
  projectId: string;
  /** Sub-path after /hooks/<projectId>: '' or '/...'. */
  path: string;
  /** Raw query string without '?'. */
  query: string;
}

const PREFIX = '/hooks/';

/**
 * Splits `/hooks/<projectId>[/<sub-path>][?query]`. Returns undefined for any other path. A projectId that is
 * not a DNS label is refused, so nothing a sender writes in a URL can reach another project's subjects.
 */
export function parseHookUrl(url: string): HookTarget | undefined {
  if (!url.startsWith(PREFIX)) return undefined;
  const q = url.indexOf('?');
  const pathPart = q === -1 ? url : url.slice(0, q);
  const query = q === -1 ? '' : url.slice(q + 1);
  const rest = pathPart.slice(PREFIX.length);
  const slash = rest.indexOf('/');
  const rawId = slash === -1 ? rest : rest.slice(0, slash);
  const path = slash === -1 ? '' : rest.slice(slash);
  let projectId: string;
  try {
    projectId = decodeURIComponent(rawId);
  } catch {
    projectId = rawId;
  }
  const parsed = ProjectId.safeParse(projectId);
  if (!parsed.success) throw new InvalidProjectIdError(projectId, parsed.error.issues);
  return { projectId, path, query };
}
