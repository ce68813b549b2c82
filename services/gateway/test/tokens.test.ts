import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig, type KvChange } from '@hookrelay/platform';
import { apiTokenSha256, type RouteConfig, type RouteApiToken } from '@hookrelay/schemas';
import { GatewayConfig, TokenRegistry } from '../src/index.js';

/** A RouteCache stand-in: the routes it holds, and a way to change them as the KV watch would. */
function routesHolding(initial: (RouteConfig & RouteApiToken)[]) {
  let routes = initial;
  const listeners: ((change: KvChange<RouteConfig>) => void)[] = [];
  return {
    all: () => routes,
    onChange: (listener: (change: KvChange<RouteConfig>) => void) => (listeners.push(listener), () => undefined),
    set(next: (RouteConfig & RouteApiToken)[]) {
      routes = next;
      for (const l of listeners) l({ key: 'any', value: undefined });
    },
  };
}

const route = (projectId: string, token?: string): RouteConfig & RouteApiToken => ({
  projectId,
  source: `local/${projectId}.yaml`,
  generation: 1,
  targets: [{ name: 'main', url: 'http://127.0.0.1:1/' }],
  delivery: { attempts: 3, backoffPolicy: 'fixed', backoffDelayMs: 2000, backoffMaxMs: 3_600_000, retryAfterMaxMs: 600_000, timeoutMs: 10_000 },
  maxBodyBytes: 1_048_576,
  webhookUrl: `http://localhost:8080/hooks/${projectId}`,
  ...(token ? { apiTokenSha256: apiTokenSha256(token) } : {}),
});

describe('API tokens', () => {
  const admin = 'admin-0123456789abcdef';

  it('tells the admin, each project token (several per project, for rotation) and unknown tokens apart', () => {
    const tokens = new TokenRegistry(admin, [
      { projectId: 'alpha', tokens: ['alpha-token-0123456789'] },
      { projectId: 'beta', tokens: ['beta-old-0123456789ab', 'beta-new-0123456789ab'] },
    ]);
    assert.deepEqual(tokens.identify(admin), { kind: 'admin' });
    assert.deepEqual(tokens.identify('alpha-token-0123456789'), { kind: 'project', projectId: 'alpha' });
    assert.deepEqual(tokens.identify('beta-old-0123456789ab'), { kind: 'project', projectId: 'beta' });
    assert.deepEqual(tokens.identify('beta-new-0123456789ab'), { kind: 'project', projectId: 'beta' });
    assert.equal(tokens.identify('alpha-token-012345678'), undefined, 'a prefix is not the token');
    assert.equal(tokens.identify(`${admin}x`), undefined);
    assert.equal(tokens.identify(''), undefined);
    assert.equal(tokens.hasAdmin, true);
    assert.equal(new TokenRegistry(undefined, []).hasAdmin, false);
  });

  it("accepts a route's token by the SHA-256 the operator writes into KV, and follows route changes", () => {
    const routes = routesHolding([route('shop', 'shop-token-0123456789'), route('plain')]);
    const tokens = new TokenRegistry(admin, [], routes);
    assert.deepEqual(tokens.identify('shop-token-0123456789'), { kind: 'project', projectId: 'shop' });
    routes.set([route('shop', 'shop-rotated-0123456789')]);
    assert.equal(tokens.identify('shop-token-0123456789'), undefined, 'the old token stops working');
    assert.deepEqual(tokens.identify('shop-rotated-0123456789'), { kind: 'project', projectId: 'shop' });
    routes.set([]);
    assert.equal(tokens.identify('shop-rotated-0123456789'), undefined, 'a removed route takes its token with it');
  });

  it('refuses settings that would make weak or unreadable tokens, naming the variable', () => {
    const parse = (env: Record<string, string>) => loadConfig(GatewayConfig, { NATS_URL: 'nats://127.0.0.1:1', ...env });
    assert.throws(() => parse({ HOOKRELAY_API_TOKEN: 'short' }), (err: unknown) => err instanceof ConfigError && /HOOKRELAY_API_TOKEN/.test(err.message));
    assert.throws(() => parse({ GATEWAY_PROJECT_TOKENS: '{oops' }), /GATEWAY_PROJECT_TOKENS: must be JSON/);
    assert.throws(() => parse({ GATEWAY_PROJECT_TOKENS: '{"Bad Project":"0123456789abcdefgh"}' }), /GATEWAY_PROJECT_TOKENS/);
    assert.throws(() => parse({ GATEWAY_PROJECT_TOKENS: '{"alpha":"tooshort"}' }), /GATEWAY_PROJECT_TOKENS/);
    const config = parse({ GATEWAY_PROJECT_TOKENS: '{"alpha":"0123456789abcdefgh","beta":["0123456789abcdefgh","hgfedcba9876543210"]}' });
    assert.deepEqual(config.GATEWAY_PROJECT_TOKENS, [
      { projectId: 'alpha', tokens: ['0123456789abcdefgh'] },
      { projectId: 'beta', tokens: ['0123456789abcdefgh', 'hgfedcba9876543210'] },
    ]);
    assert.equal(config.GATEWAY_PORT, 8081);
    assert.equal(config.GATEWAY_SSE_HEARTBEAT, 15_000);
  });
});
