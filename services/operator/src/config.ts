import { z } from 'zod';
import { CommonEnv, port } from '@hookrelay/platform';

export const OperatorConfig = CommonEnv.extend({
  /** Folder of WebhookRoute YAML files, read in local mode. */
  ROUTES_DIR: z.string().min(1).default('./routes'),
  /** Health and metrics. */
  OPERATOR_PORT: port(8084),
  /** local reads ROUTES_DIR, kubernetes watches WebhookRoute objects; default: kubernetes inside a cluster. */
  OPERATOR_MODE: z.enum(['local', 'kubernetes']).optional(),
  /** Set inside every pod; its presence picks kubernetes mode when OPERATOR_MODE is not set. */
  KUBERNETES_SERVICE_HOST: z.string().optional(),
});
export type OperatorConfig = z.infer<typeof OperatorConfig>;

export type OperatorMode = 'local' | 'kubernetes';

export function operatorModeOf(config: OperatorConfig): OperatorMode {
  return config.OPERATOR_MODE ?? (config.KUBERNETES_SERVICE_HOST ? 'kubernetes' : 'local');
}
