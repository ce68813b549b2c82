import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import * as apiextensions from 'kubernetes-models/apiextensions.k8s.io/v1';
import * as apps from 'kubernetes-models/apps/v1';
import * as core from 'kubernetes-models/v1';
import * as networking from 'kubernetes-models/networking.k8s.io/v1';
import * as rbac from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import { CRD_FILE } from '../scripts/crd.js';
import { helm } from './support/helm.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const chart = `${repoRoot}charts/hookrelay`;

type Manifest = Record<string, unknown> & { apiVersion: string; kind: string; metadata: { name: string } };
type Validatable = { validate(): void };
type ModelClass = new (data: never) => Validatable;

/** kubernetes-models 4.5 classes by apiVersion and kind: each validates against the Kubernetes OpenAPI schema. */
const models: Record<string, Record<string, unknown>> = {
  v1: core,
  'apps/v1': apps,
  'rbac.authorization.k8s.io/v1': rbac,
  'networking.k8s.io/v1': networking,
  'apiextensions.k8s.io/v1': apiextensions,
};

async function render(...args: string[]): Promise<Manifest[]> {
  const { stdout } = await helm(['template', 'relay', chart, '--namespace', 'hookrelay', ...args]);
  return parseAllDocuments(stdout)
    .map((d) => d.toJS() as Manifest | null)
    .filter((m): m is Manifest => m !== null);
}

function validate(manifest: Manifest): void {
  const model = models[manifest.apiVersion]?.[manifest.kind] as ModelClass | undefined;
  if (!model) throw new Error(`no schema for ${manifest.apiVersion} ${manifest.kind}`);
  new model(manifest as never).validate();
}

const everything = [
  '--include-crds',
  '--api-versions', 'monitoring.coreos.com/v1/ServiceMonitor',
  '--api-versions', 'monitoring.coreos.com/v1/PrometheusRule',
  '--set', 'ingress.enabled=true',
  '--set', 'ingress.exposeGateway=true',
];

test('helm lint --strict passes', async () => {
  const { stdout } = await helm(['lint', '--strict', chart]);
  assert.match(stdout, /1 chart\(s\) linted, 0 chart\(s\) failed/);
});

test('every rendered manifest validates against the Kubernetes schemas', async () => {
  for (const args of [[], everything, ['--set', 'operator.watchNamespace=team-a', '--set', 'operator.replicas=2']]) {
    const manifests = await render(...args);
    for (const manifest of manifests) {
      if (manifest.apiVersion.startsWith('monitoring.coreos.com/')) continue;
      assert.doesNotThrow(() => validate(manifest), `${manifest.kind} ${manifest.metadata.name} (${args.join(' ')})`);
    }
  }
});

test('the chart renders every service, the CRD, and the Prometheus objects only when their API exists', async () => {
  const plain = await render();
  const kinds = (ms: Manifest[]) => ms.map((m) => `${m.kind}/${m.metadata.name}`);
  for (const name of ['ingest', 'gateway', 'forwarder', 'operator']) assert.ok(kinds(plain).includes(`Deployment/relay-hookrelay-${name}`), name);
  assert.ok(kinds(plain).includes('StatefulSet/relay-hookrelay-state'));
  assert.ok(!plain.some((m) => m.kind === 'ServiceMonitor' || m.kind === 'PrometheusRule'));
  assert.ok(plain.some((m) => m.kind === 'ConfigMap' && JSON.stringify(m).includes('grafana_dashboard')));

  const full = await render(...everything);
  assert.ok(full.some((m) => m.kind === 'ServiceMonitor'));
  assert.ok(full.some((m) => m.kind === 'PrometheusRule'));
  assert.ok(full.some((m) => m.kind === 'Ingress'));
  const crd = full.find((m) => m.kind === 'CustomResourceDefinition');
  assert.equal(crd?.metadata.name, 'webhookroutes.hookrelay.dev');
});

test("the chart's CRD is the generated one", async () => {
  assert.equal(await readFile(`${chart}/crds/webhookroutes.hookrelay.dev.yaml`, 'utf8'), await readFile(`${repoRoot}${CRD_FILE}`, 'utf8'));
});

test('every container runs as non-root on a read-only root filesystem, with probes and resources', async () => {
  for (const workload of (await render()).filter((m) => m.kind === 'Deployment' || m.kind === 'StatefulSet')) {
    const pod = (workload.spec as { template: { spec: Record<string, unknown> } }).template.spec as {
      securityContext: { runAsNonRoot: boolean };
      containers: { securityContext: { readOnlyRootFilesystem: boolean; allowPrivilegeEscalation: boolean }; readinessProbe: { httpGet: { path: string } }; livenessProbe: { httpGet: { path: string } }; resources: { requests?: unknown } }[];
    };
    const name = workload.metadata.name;
    assert.equal(pod.securityContext.runAsNonRoot, true, name);
    for (const container of pod.containers) {
      assert.equal(container.securityContext.readOnlyRootFilesystem, true, name);
      assert.equal(container.securityContext.allowPrivilegeEscalation, false, name);
      assert.equal(container.readinessProbe.httpGet.path, '/readyz', name);
      assert.equal(container.livenessProbe.httpGet.path, '/healthz', name);
      assert.ok(container.resources.requests, name);
    }
  }
});

test('the operator may do what it does and nothing more', async () => {
  const manifests = await render();
  const role = manifests.find((m) => m.kind === 'ClusterRole' && m.metadata.name === 'relay-hookrelay-operator');
  const rules = (role?.rules as { apiGroups: string[]; resources: string[]; verbs: string[] }[]).map((r) => `${r.apiGroups.join()}:${r.resources.join()}:${r.verbs.join()}`);
  assert.deepEqual(rules, ['hookrelay.dev:webhookroutes:get,list,watch', 'hookrelay.dev:webhookroutes/status:patch', ':secrets:get', ':events:create']);
  const scoped = await render('--set', 'operator.watchNamespace=team-a');
  assert.ok(!scoped.some((m) => m.kind === 'ClusterRole'), 'one namespace: a Role, no ClusterRole');
  assert.ok(scoped.some((m) => m.kind === 'Role' && (m.metadata as { namespace?: string }).namespace === 'team-a'));
});

test('values.schema.json refuses a wrong value with a message that names it', async () => {
  await assert.rejects(helm(['template', 'relay', chart, '--set', 'nats.url=http://nats:4222']), /nats\.url|url/);
  await assert.rejects(helm(['template', 'relay', chart, '--set', 'ingest.replicas=many']), /replicas/);
});
