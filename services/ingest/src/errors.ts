import type { z } from 'zod';

/** A request ingest refuses; `status` and `code` become the JSON error the sender sees. */
export abstract class IngestError extends Error {
  abstract readonly status: number;
  abstract readonly code: string;
  readonly headers: Record<string, string> = {};
  readonly details: unknown = undefined;
}

export class InvalidProjectIdError extends IngestError {
  readonly status = 400;
  readonly code = 'invalid_project_id';
  override readonly details: unknown;
  constructor(projectId: string, issues: z.core.$ZodIssue[]) {
    super(`"${projectId}" is not a project id: ${issues.map((i) => i.message).join('; ')}`);
    this.details = issues;
  }
}

export class RouteNotFoundError extends IngestError {
  readonly status = 404;
  readonly code = 'route_not_found';
  constructor(projectId: string) {
    super(`no route for project "${projectId}"`);
  }
}

export class PayloadTooLargeError extends IngestError {
  readonly status = 413;
  readonly code = 'payload_too_large';
  constructor(limit: number, why = "the route's limit") {
    super(`the body is larger than ${limit} bytes (${why})`);
  }
}

export class PublishNotAckedError extends IngestError {
  readonly status = 503;
  readonly code = 'not_persisted';
  override readonly headers = { 'retry-after': '5' };
  constructor(cause?: unknown) {
    super('the webhook could not be stored durably; nothing was accepted, send it again', { cause });
  }
}

export class NotReadyError extends IngestError {
  readonly status = 503;
  readonly code = 'not_ready';
  override readonly headers = { 'retry-after': '5' };
  constructor() {
    super('ingest is not connected to NATS; nothing was accepted, send it again');
  }
}

export class SignatureRejectedError extends IngestError {
  readonly status = 401;
  readonly code = 'signature_rejected';
  constructor(readonly reason: string) {
    super(`the webhook's signature was not accepted: ${reason.replace(/_/g, ' ')}`);
  }
}
