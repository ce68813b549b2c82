import type { Request } from 'express';
import type { z } from 'zod';
import { InvalidRequestError, UnsupportedMediaTypeError } from './errors.js';

export type InputPart = 'query' | 'path' | 'body' | 'header';

/** Parses one part of a request with its schema; a mismatch is 400 with zod's issues. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, part: InputPart): z.output<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw InvalidRequestError.fromZod(part, parsed.error.issues);
  return parsed.data;
}

/**
 * The JSON body of a POST, `{}` when there is none. A body in another format is refused rather than
 * ignored: a form-encoded `target=ci` silently read as "no target" would replay to every target.
 */
export function jsonBody(req: Request): unknown {
  if (req.body !== undefined) return req.body;
  const length = Number(req.headers['content-length'] ?? 0);
  if (length > 0 || req.headers['transfer-encoding'] !== undefined) throw new UnsupportedMediaTypeError();
  return {};
}
