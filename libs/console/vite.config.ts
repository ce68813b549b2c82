import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// A static build the gateway serves at `/`: everything bundled, nothing fetched from elsewhere at run time.
export default defineConfig({
  // Preact's automatic JSX runtime, compiled by Vite's own transformer (no Babel plugin needed).
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  resolve: { alias: { 'node:crypto': fileURLToPath(new URL('./src/shims/node-crypto.ts', import.meta.url)) } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    // One small app: a single script and stylesheet load faster than a waterfall of chunks.
    assetsInlineLimit: 0,
  },
  server: {
    // `npm run dev -w @hookrelay/console` against a gateway on 8081.
    proxy: Object.fromEntries(
      ['/webhooks', '/projects', '/feed', '/openapi.json'].map((path) => [path, { target: 'http://127.0.0.1:8081' }]),
    ),
  },
});
