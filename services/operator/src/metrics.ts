import { Counter, Gauge, type Registry } from 'prom-client';
import type { RouteStatus } from './reconcile.js';

export interface OperatorMetrics {
  reconciled(status: RouteStatus): void;
}

const resultOf = (status: RouteStatus): string =>
  ({ Reconciled: 'ready', InvalidYaml: 'invalid', InvalidSpec: 'invalid', SecretNotFound: 'invalid', ProjectIdConflict: 'conflict', ReconcileFailed: 'error' })[
    status.reason
  ];

/** hookrelay_operator_reconciles_total{result} and hookrelay_operator_routes{ready}, read from `statuses` at scrape time. */
export function operatorMetrics(registry: Registry, statuses: () => readonly RouteStatus[]): OperatorMetrics {
  const reconciles = new Counter({
    name: 'hookrelay_operator_reconciles_total',
    help: 'Route reconciles by result: ready, invalid, conflict, error.',
    labelNames: ['result'],
    registers: [registry],
  });
  new Gauge({
    name: 'hookrelay_operator_routes',
    help: 'WebhookRoutes the operator knows, by readiness.',
    labelNames: ['ready'],
    registers: [registry],
    collect() {
      const all = statuses();
      const ready = all.filter((s) => s.ready).length;
      this.set({ ready: 'true' }, ready);
      this.set({ ready: 'false' }, all.length - ready);
    },
  });
  return { reconciled: (status) => reconciles.inc({ result: resultOf(status) }) };
}
