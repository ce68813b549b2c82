import { Registry, collectDefaultMetrics } from 'prom-client';

/** One registry per service, with Node's process metrics under the hookrelay_ prefix. */
export function createMetricsRegistry(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry, prefix: 'hookrelay_' });
  return registry;
}
