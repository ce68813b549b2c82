export { TestNatsServer, freePort } from './nats-server.js';
export { WebhookTarget, type RecordedRequest, type TargetReply, type Responder } from './webhook-target.js';
export { eventually, sleep } from './wait.js';
