import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import type { RouteConfig } from '@hookrelay/schemas';
import type { RouteCache } from '@hookrelay/platform';
import { ForbiddenError, UnauthorizedError } from './errors.js';

/** Who a request speaks for: the admin (every project, read and write) or one project (read only). */
export type Principal = { kind: 'admin' } | { kind: 'project'; projectId: string };

declare global {
  namespace Express {
    interface Locals {
      principal?: Principal;
    }
  }
}

interface KnownToken {
  digest: Buffer;
  principal: Principal;
}

const sha256 = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

/**
 * Every token the gateway accepts, held as SHA-256 digests only. A presented token is hashed and compared
 * with each digest in constant time (equal lengths, no early exit), so neither timing nor a log line can
 * give a token away. Project tokens come from settings and from routes the operator annotated with
 * `apiTokenSha256`.
 */
export class TokenRegistry {
  private readonly configured: KnownToken[] = [];
  private fromRoutes: KnownToken[] = [];

  constructor(
    adminToken: string | undefined,
    projectTokens: readonly { projectId: string; tokens: readonly string[] }[],
    routes?: Pick<RouteCache, 'all' | 'onChange'>,
  ) {
    if (adminToken) this.configured.push({ digest: sha256(adminToken), principal: { kind: 'admin' } });
    for (const { projectId, tokens } of projectTokens) {
      for (const token of tokens) this.configured.push({ digest: sha256(token), principal: { kind: 'project', projectId } });
    }
    if (routes) {
      const reload = () => (this.fromRoutes = routes.all().flatMap(routeToken));
      reload();
      routes.onChange(reload);
    }
  }

  get hasAdmin(): boolean {
    return this.configured.some((t) => t.principal.kind === 'admin');
  }

  identify(presented: string): Principal | undefined {
    const digest = sha256(presented);
    let found: Principal | undefined;
    for (const known of [...this.configured, ...this.fromRoutes]) {
      // Every digest is compared, even after a match: the time taken does not depend on which one matched.
      if (timingSafeEqual(known.digest, digest) && found === undefined) found = known.principal;
    }
    return found;
  }
}

/** A route's read token, as the operator resolved it from apiTokenSecretRef: its SHA-256 (libs/schemas RouteApiToken). */
function routeToken(route: RouteConfig): KnownToken[] {
  const hex = route.apiTokenSha256;
  return hex ? [{ digest: Buffer.from(hex, 'hex'), principal: { kind: 'project', projectId: route.projectId } }] : [];
}

function bearerToken(req: Request): string | undefined {
  const header = req.headers.authorization;
  if (header === undefined) return undefined;
  const match = /^Bearer[ ]+([^\s]+)\s*$/i.exec(header);
  if (!match?.[1]) throw new UnauthorizedError('the Authorization header must be "Bearer <token>"');
  return match[1];
}

/**
 * Identifies the caller from `Authorization: Bearer`, or, where `queryToken` allows it (the feeds, for
 * EventSource, which cannot set headers), from `?access_token=`. Sets `res.locals.principal`.
 */
export function authenticate(tokens: TokenRegistry, { queryToken }: { queryToken: boolean }): RequestHandler {
  return (req, res, next) => {
    const fromQuery = new URL(req.originalUrl, 'http://gateway').searchParams.get('access_token');
    if (fromQuery !== null && !queryToken) {
      throw new UnauthorizedError('?access_token= is accepted on the feeds only; send Authorization: Bearer <token>');
    }
    const presented = bearerToken(req) ?? fromQuery ?? undefined;
    if (presented === undefined || presented === '') throw new UnauthorizedError();
    const principal = tokens.identify(presented);
    if (!principal) throw new UnauthorizedError('the API token is not valid');
    res.locals.principal = principal;
    next();
  };
}

export function principalOf(locals: { principal?: Principal }): Principal {
  if (!locals.principal) throw new UnauthorizedError();
  return locals.principal;
}

/** Replay and retry change what happens to webhooks: project tokens are read tokens (DESIGN.md). */
export function requireAdmin(principal: Principal, action: string): void {
  if (principal.kind !== 'admin') {
    throw new ForbiddenError(`a project token is a read token; ${action} needs the admin token`);
  }
}

/**
 * The project a request may look at: the one asked for (any, for the admin; none asked: every project), or
 * the token's own project. Asking for another project is 403.
 */
export function projectScope(principal: Principal, requested: string | undefined): string | undefined {
  if (principal.kind === 'admin') return requested;
  if (requested !== undefined && requested !== principal.projectId) throw outsideProject(principal.projectId);
  return principal.projectId;
}

export function assertCanSee(principal: Principal, projectId: string): void {
  if (principal.kind === 'project' && principal.projectId !== projectId) throw outsideProject(principal.projectId);
}

function outsideProject(own: string): ForbiddenError {
  return new ForbiddenError(`this token sees only project ${own}`);
}
