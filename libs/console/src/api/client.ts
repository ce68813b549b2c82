import type { z } from 'zod';
import {
  BulkRetryResult,
  DeliveriesPublished,
  ErrorResponse,
  ProjectList,
  WebhookDetail,
  WebhookPage,
  type WebhookStatus,
} from './schemas.js';

/** A request the gateway refused or could not answer, with its `{error: {code, message}}`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** 401: the token is missing, wrong or no longer accepted. The console signs out on it. */
export class UnauthorizedError extends ApiError {
  constructor(message: string) {
    super(401, 'unauthorized', message);
    this.name = 'UnauthorizedError';
  }
}

/** The gateway could not be reached at all (down, restarting, offline). */
export class NetworkError extends Error {
  constructor(cause: unknown) {
    super('the gateway cannot be reached', { cause });
    this.name = 'NetworkError';
  }
}

/** The gateway answered with a shape the console does not know: a newer or older gateway. */
export class UnexpectedResponseError extends Error {
  constructor(path: string, issues: readonly z.core.$ZodIssue[]) {
    const first = issues[0];
    super(`unexpected answer from ${path}${first ? `: ${first.path.join('.')} ${first.message}` : ''}`);
    this.name = 'UnexpectedResponseError';
  }
}

export type Role = 'admin' | 'project';

export interface WebhookFilter {
  projectId?: string | undefined;
  statuses?: readonly WebhookStatus[] | undefined;
  /** Epoch ms. */
  since?: number | undefined;
  until?: number | undefined;
  limit?: number | undefined;
  cursor?: string | undefined;
}

function query(params: Record<string, string | number | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined && value !== '') search.set(key, String(value));
  const text = search.toString();
  return text === '' ? '' : `?${text}`;
}

/** The gateway's REST API, same origin, with the signed-in token. Every answer is checked with zod. */
export class ApiClient {
  constructor(
    readonly token: string,
    private readonly baseUrl = '',
  ) {}

  private async request<S extends z.ZodType>(schema: S, path: string, init: { method?: string; body?: unknown } = {}): Promise<z.output<S>> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}`, accept: 'application/json' };
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(`${this.baseUrl}${path}`, {
        method: init.method ?? 'GET',
        headers,
        cache: 'no-store',
        ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
      });
    } catch (err) {
      throw new NetworkError(err);
    }
    const json: unknown = await res.json().catch(() => undefined);
    if (!res.ok) {
      const parsed = ErrorResponse.safeParse(json);
      const message = parsed.success ? parsed.data.error.message : `the gateway answered ${res.status}`;
      if (res.status === 401) throw new UnauthorizedError(message);
      throw new ApiError(res.status, parsed.success ? parsed.data.error.code : 'http_error', message);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) throw new UnexpectedResponseError(path, parsed.error.issues);
    return parsed.data;
  }

  listWebhooks(filter: WebhookFilter = {}) {
    return this.request(
      WebhookPage,
      `/webhooks${query({
        projectId: filter.projectId,
        status: filter.statuses?.join(','),
        since: filter.since,
        until: filter.until,
        limit: filter.limit,
        cursor: filter.cursor,
      })}`,
    );
  }

  listFailedWebhooks(filter: Omit<WebhookFilter, 'statuses'> = {}) {
    return this.request(
      WebhookPage,
      `/webhooks/failed${query({ projectId: filter.projectId, since: filter.since, until: filter.until, limit: filter.limit, cursor: filter.cursor })}`,
    );
  }

  getWebhook(id: string) {
    return this.request(WebhookDetail, `/webhooks/${encodeURIComponent(id)}`);
  }

  listProjects() {
    return this.request(ProjectList, '/projects');
  }

  retry(id: string) {
    return this.request(DeliveriesPublished, `/webhooks/${encodeURIComponent(id)}/retry`, { method: 'POST', body: {} });
  }

  /** Delivers again to every current target of the route, or to `target` only. */
  replay(id: string, target?: string) {
    return this.request(DeliveriesPublished, `/webhooks/${encodeURIComponent(id)}/replay`, {
      method: 'POST',
      body: target !== undefined ? { target } : {},
    });
  }

  retryMatching(filter: { projectId?: string; since?: number; until?: number; statuses?: ('failed' | 'dlq')[] }) {
    return this.request(BulkRetryResult, '/webhooks/retry', { method: 'POST', body: filter });
  }

  /**
   * Whether the token may retry and replay. The API has no "who am I", so this asks for a bulk retry with
   * an invalid body: the gateway checks the token's rights before the body, so an admin token gets 400
   * (and nothing is retried) while a project token, a read token, gets 403. A 401 means the token is wrong.
   */
  async role(): Promise<Role> {
    try {
      await this.request(BulkRetryResult, '/webhooks/retry', { method: 'POST', body: { limit: 0 } });
      return 'admin';
    } catch (err) {
      if (err instanceof ApiError && err.status === 403) return 'project';
      if (err instanceof ApiError && err.status === 400) return 'admin';
      throw err;
    }
  }

  /** The URL of a feed for EventSource, which cannot send headers: the token goes in `access_token`. */
  feedUrl(projectId: string | undefined, lastEventId?: string): string {
    const path = projectId === undefined ? '/feed' : `/projects/${encodeURIComponent(projectId)}/feed`;
    return `${this.baseUrl}${path}${query({ access_token: this.token, lastEventId })}`;
  }
}
