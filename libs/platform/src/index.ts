export { ConfigError, CommonEnv, loadConfig, port, shortDuration } from './config.js';
export { createLogger, type Logger } from './logger.js';
export { createMetricsRegistry } from './metrics.js';
export { connectNats, type NatsLink, type NatsConnection } from './nats.js';
export { provisionJetStream, type ProvisionOptions } from './provision.js';
export { handleOpsRequest, sendJson, startOpsServer, listen, boundPort, closeServer, type Probes } from './ops-server.js';
export { KvCache, RouteCache, RouteStatusCache, type KvChange, type RouteChange } from './route-cache.js';
export { runAsProcess, type RunningService } from './service.js';
export { Semaphore } from './semaphore.js';
