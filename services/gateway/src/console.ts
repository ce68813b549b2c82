import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { Router } from 'express';

/**
 * The web console (libs/console, a static Vite build) served at `/`. Only the console's own pages get its
 * index.html (the client routes, listed here as in libs/console/src/router.ts) and only `/assets/*` and
 * the icon are files, so no API path can ever be answered by the console.
 */
export const CONSOLE_PAGES = ['/', '/failed', '/routes', '/inspect/:id'] as const;

/**
 * helmet's default policy minus `upgrade-insecure-requests`, which would make a browser fetch the
 * console's scripts over HTTPS from a gateway reached over plain HTTP (a port-forward, a cluster address)
 * and load nothing. The console needs nothing from elsewhere, so every source is 'self'.
 */
const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Where the console's build is: its package's dist/, or undefined when it was not built. */
export function consoleBuildDir(): string | undefined {
  try {
    const dir = join(dirname(fileURLToPath(import.meta.resolve('@hookrelay/console/package.json'))), 'dist');
    return existsSync(join(dir, 'index.html')) ? dir : undefined;
  } catch {
    return undefined;
  }
}

export function consoleRouter(dir: string | undefined = consoleBuildDir()): Router {
  const router = Router();
  router.get([...CONSOLE_PAGES], (_req, res) => {
    if (dir === undefined) {
      res
        .status(503)
        .type('text/plain')
        .send('The web console is not built. Run `npm run build` (or `npx turbo run build --filter=@hookrelay/console`). The API is served as usual; see /openapi.json.\n');
      return;
    }
    // The page itself is always checked again, so a new build is picked up; its hashed assets never change.
    res.set({ 'content-security-policy': CONSOLE_CSP, 'cache-control': 'no-cache' }).sendFile('index.html', { root: dir });
  });
  if (dir !== undefined) {
    const files = { index: false, redirect: false, fallthrough: true, setHeaders: (res: express.Response) => res.set('content-security-policy', CONSOLE_CSP) };
    router.use('/assets', express.static(join(dir, 'assets'), { ...files, immutable: true, maxAge: '1y' }));
    router.get('/favicon.svg', express.static(dir, { ...files, maxAge: '1d' }));
  }
  return router;
}
