import type { ErrorRequestHandler } from 'express';
import type { z } from 'zod';
import type { Logger } from '@hookrelay/platform';

/**
 * What a caller of the API can be told went wrong. Each has its HTTP status and a stable `code`; the one
 * error handler below turns them into `{error: {code, message, details}}`.
 */
export abstract class ApiError extends Error {
  abstract readonly status: number;
  abstract readonly code: string;
  readonly details: unknown = undefined;
  readonly headers: Readonly<Record<string, string>> = {};
}

/** 400, with zod's issues (or a similar list) naming what is wrong. */
export class InvalidRequestError extends ApiError {
  readonly status = 400;
  readonly code = 'invalid_request';
  override readonly details: unknown;
  constructor(message: string, details?: unknown) {
    super(message);
    this.details = details;
  }

  static fromZod(where: string, issues: readonly z.core.$ZodIssue[]): InvalidRequestError {
    const summary = issues.map((i) => `${[where, ...i.path.map(String)].join('.')}: ${i.message}`).join('; ');
    return new InvalidRequestError(`invalid ${where}: ${summary}`, issues);
  }
}

export class UnauthorizedError extends ApiError {
  readonly status = 401;
  readonly code = 'unauthorized';
  override readonly headers = { 'www-authenticate': 'Bearer realm="hookrelay"' };
  constructor(message = 'a valid API token is required: Authorization: Bearer <token>, or ?access_token= for a feed') {
    super(message);
  }
}

export class ForbiddenError extends ApiError {
  readonly status = 403;
  readonly code = 'forbidden';
}

export class WebhookNotFoundError extends ApiError {
  readonly status = 404;
  readonly code = 'webhook_not_found';
  constructor(readonly webhookId: string) {
    super(`no webhook ${webhookId} (unknown, or past the history's retention)`);
  }
}

export class TargetNotFoundError extends ApiError {
  readonly status = 404;
  readonly code = 'target_not_found';
  constructor(projectId: string, target: string, known: readonly string[]) {
    super(`project ${projectId} has no target "${target}" (its targets: ${known.join(', ') || 'none'})`);
  }
}

export class ProjectNotFoundError extends ApiError {
  readonly status = 404;
  readonly code = 'project_not_found';
  constructor(projectId: string) {
    super(`no route for project ${projectId}`);
  }
}

export class RouteNotFoundError extends ApiError {
  readonly status = 404;
  readonly code = 'not_found';
  constructor(method: string, path: string) {
    super(`no endpoint ${method} ${path}`);
  }
}

/** The webhook's project has no route any more: there is nowhere to deliver it. */
export class NoRouteError extends ApiError {
  readonly status = 409;
  readonly code = 'no_route';
  constructor(projectId: string) {
    super(`project ${projectId} has no route now; nothing can be delivered`);
  }
}

export class NothingToRetryError extends ApiError {
  readonly status = 409;
  readonly code = 'nothing_to_retry';
  constructor(webhookId: string, why: string) {
    super(`webhook ${webhookId} has nothing to retry: ${why}`);
  }
}

/** The captured body cannot be read back, so the request cannot be sent again. */
export class BodyUnavailableError extends ApiError {
  readonly status = 409;
  readonly code = 'body_unavailable';
  constructor(webhookId: string, why: 'not_captured' | 'too_large') {
    super(
      why === 'not_captured'
        ? `webhook ${webhookId} was never captured in full (only delivery events were seen)`
        : `the body of webhook ${webhookId} is too large to read back through the state service, and no dead-letter copy holds it`,
    );
  }
}

export class PayloadTooLargeError extends ApiError {
  readonly status = 413;
  readonly code = 'payload_too_large';
  constructor() {
    super('the request body is larger than this API accepts');
  }
}

export class UnsupportedMediaTypeError extends ApiError {
  readonly status = 415;
  readonly code = 'unsupported_media_type';
  constructor() {
    super('send the body as application/json');
  }
}

export class TooManyFeedClientsError extends ApiError {
  readonly status = 503;
  readonly code = 'too_many_feed_clients';
  override readonly headers = { 'retry-after': '5' };
  constructor(limit: number) {
    super(`this gateway already serves ${limit} feeds; try again later or another replica`);
  }
}

export class StateUnavailableError extends ApiError {
  readonly status = 503;
  readonly code = 'state_unavailable';
  override readonly headers = { 'retry-after': '2' };
  constructor(cause?: unknown) {
    super('the history is not available right now (no state service answers)', { cause });
  }
}

export class StateTimeoutError extends ApiError {
  readonly status = 504;
  readonly code = 'state_timeout';
  constructor(timeoutMs: number) {
    super(`the state service did not answer within ${timeoutMs} ms`);
  }
}

export class StateFailedError extends ApiError {
  readonly status = 502;
  readonly code = 'state_failed';
  constructor(message: string) {
    super(`the state service could not answer: ${message}`);
  }
}

export class PublishFailedError extends ApiError {
  readonly status = 503;
  readonly code = 'not_published';
  override readonly headers = { 'retry-after': '2' };
  constructor(cause: unknown) {
    super('the delivery could not be stored in JetStream; nothing was sent, try again', { cause });
  }
}

export class RequestTimeoutError extends ApiError {
  readonly status = 503;
  readonly code = 'timeout';
  constructor(timeoutMs: number) {
    super(`the request took longer than ${timeoutMs} ms`);
  }
}

export interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

/** body-parser's errors carry a `type` and a status; they become the same JSON as ours. */
function bodyParserError(err: unknown): ApiError | undefined {
  if (typeof err !== 'object' || err === null || !('type' in err)) return undefined;
  const type = (err as { type: unknown }).type;
  if (type === 'entity.too.large') return new PayloadTooLargeError();
  if (type === 'entity.parse.failed') return new InvalidRequestError('the request body is not valid JSON');
  if (type === 'encoding.unsupported' || type === 'charset.unsupported') return new UnsupportedMediaTypeError();
  return undefined;
}

export function errorBody(err: ApiError): ErrorBody {
  const body: ErrorBody = { error: { code: err.code, message: err.message } };
  if (err.details !== undefined) body.error.details = err.details;
  return body;
}

/** The one place errors become responses. Unknown errors are logged and answered 500 without detail. */
export function errorHandler(log: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    const known = err instanceof ApiError ? err : bodyParserError(err);
    if (res.headersSent) {
      // A feed that already started streaming: nothing to answer, just end it.
      if (!known) log.error({ err, route: req.route?.path }, 'error after the response started');
      res.end();
      return;
    }
    if (known) {
      if (known.status >= 500) log.warn({ code: known.code, err: known.cause, route: req.route?.path }, known.message);
      res.status(known.status).set(known.headers).json(errorBody(known));
      return;
    }
    log.error({ err, method: req.method, route: req.route?.path }, 'unexpected error');
    res.status(500).json({ error: { code: 'internal', message: 'internal error; see the gateway log' } } satisfies ErrorBody);
  };
}
