import { z } from 'zod';
import { hostname } from 'node:os';
import { CommonEnv, port, shortDuration } from '@hookrelay/platform';

export const OperatorConfig = CommonEnv.extend({
  /** Folder of WebhookRoute YAML files, read in local mode. */
  ROUTES_DIR: z.string().min(1).default('./routes'),
  /** Health and metrics. */
  OPERATOR_PORT: port(8084),
  /** local reads ROUTES_DIR, kubernetes watches WebhookRoute objects; default: kubernetes inside a cluster. */
  OPERATOR_MODE: z.enum(['local', 'kubernetes']).optional(),
  /** Set inside every pod; its presence picks kubernetes mode when OPERATOR_MODE is not set. */
  KUBERNETES_SERVICE_HOST: z.string().optional(),
  /** Watch WebhookRoutes in this namespace only; empty: every namespace. */
  OPERATOR_WATCH_NAMESPACE: z.string().max(63).optional().transform((v) => v || undefined),
  /** Where the leader-election Lease lives: the operator's own namespace (the chart sets it from the pod). */
  POD_NAMESPACE: z.string().min(1).max(63).default('default'),
  /** This replica's name in the Lease; the pod name in Kubernetes. */
  POD_NAME: z.string().min(1).max(253).default(`${hostname()}-${process.pid}`),
  OPERATOR_LEASE_NAME: z.string().min(1).max(253).default('hookrelay-operator'),
  /** A leader that stops renewing is replaced after this long. */
  OPERATOR_LEASE_DURATION: shortDuration('15s'),
});
export type OperatorConfig = z.infer<typeof OperatorConfig>;

export type OperatorMode = 'local' | 'kubernetes';

export function operatorModeOf(config: OperatorConfig): OperatorMode {
  return config.OPERATOR_MODE ?? (config.KUBERNETES_SERVICE_HOST ? 'kubernetes' : 'local');
}
