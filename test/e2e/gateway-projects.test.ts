import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { WebhookTarget, eventually } from '@hookrelay/test-support';
import { routeYaml } from '../support/relay.js';
import { GatewayRelay } from '../../services/gateway/test/support/gateway-relay.js';

type Condition = { status: string; reason: string; message: string };
type Projects = {
  projects: { projectId: string; source: string; ready: Condition }[];
  refused: { source: string; projectId?: string; ready: Condition }[];
};

describe('GET /projects shows every route with its Ready condition, refused ones too', () => {
  let g: GatewayRelay;
  let target: WebhookTarget;
  before(async () => {
    target = await WebhookTarget.start();
    g = await GatewayRelay.start();
  });
  after(async () => {
    await g.stop();
    await target.stop();
  });

  const projects = async () => (await (await g.api('/projects')).json()) as Projects;

  test('a valid route is Ready=True, Reconciled', async () => {
    await g.route('shop', [{ name: 'main', url: target.url() }]);
    const view = await eventually(async () => (await projects()).projects.find((p) => p.projectId === 'shop' && p.ready.reason === 'Reconciled'));
    assert.equal(view.ready.status, 'True');
  });

  test('a route claiming a taken projectId, or naming a missing secret, is listed as refused with the reason', async () => {
    await g.relay.writeRoute('thief.yaml', routeYaml('shop', { targets: [{ name: 'main', url: target.url() }] }).replace('"name":"shop"', '"name":"thief"'));
    await g.relay.writeRoute('secretless.yaml', routeYaml('secretless', { targets: [{ name: 'main', url: target.url() }], verify: { type: 'github', secretRef: { env: 'HOOKRELAY_TEST_NOT_THERE' } } }));
    await g.relay.writeRoute('broken.yaml', 'kind: WebhookRoute\nspec: [');
    const { refused, projects: routed } = await eventually(async () => {
      const list = await projects();
      return list.refused.length >= 3 && list;
    }, { what: 'three refused routes' });
    const bySource = (s: string) => refused.find((r) => r.source.startsWith(s));
    assert.equal(bySource('local/thief.yaml')?.ready.reason, 'ProjectIdConflict');
    assert.match(bySource('local/thief.yaml')?.ready.message ?? '', /shop/);
    assert.equal(bySource('local/secretless.yaml')?.ready.reason, 'SecretNotFound');
    assert.equal(bySource('local/broken.yaml')?.ready.reason, 'InvalidYaml');
    for (const r of refused) assert.equal(r.ready.status, 'False');
    assert.equal(routed.find((p) => p.projectId === 'shop')?.ready.status, 'True', 'the owner keeps its route');
  });

  test('a refused route disappears from the list once its file is removed', async () => {
    await g.relay.removeRoute('broken.yaml');
    await eventually(async () => !(await projects()).refused.some((r) => r.source.startsWith('local/broken.yaml')), { what: 'broken.yaml gone' });
  });
});
