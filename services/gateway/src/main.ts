import { randomBytes } from 'node:crypto';
import { createLogger, loadConfig, runAsProcess } from '@hookrelay/platform';
import { GatewayConfig, startGateway } from './index.js';

const log = createLogger('gateway');
runAsProcess('gateway', log, async () => {
  const config = loadConfig(GatewayConfig);
  if (config.HOOKRELAY_API_TOKEN === undefined && process.env.KUBERNETES_SERVICE_HOST === undefined) {
    // Local mode: a token for this run, printed to the terminal once rather than through the logger, whose
    // lines are shipped and kept. In Kubernetes the chart sets HOOKRELAY_API_TOKEN from a Secret.
    config.HOOKRELAY_API_TOKEN = randomBytes(24).toString('base64url');
    process.stderr.write(`hookrelay gateway: admin API token for this run: ${config.HOOKRELAY_API_TOKEN} (set HOOKRELAY_API_TOKEN to choose one)\n`);
  }
  return startGateway(config, log);
});
