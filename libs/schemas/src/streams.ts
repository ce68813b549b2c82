/** Stream, consumer and subject names: the NATS contract between the services (DESIGN.md, Streams and subjects). */
export const Streams = {
  webhooks: 'WEBHOOKS',
  deliveries: 'DELIVERIES',
  events: 'EVENTS',
  dlq: 'DLQ',
  feed: 'FEED',
  advisories: 'ADVISORIES',
  rejected: 'REJECTED',
} as const;

export const ROUTES_BUCKET = 'routes';
export const DEDUPE_BUCKET = 'dedupe';

export const Subjects = {
  webhook: (projectId: string) => `webhooks.${projectId}`,
  delivery: (projectId: string, target: string) => `deliveries.${projectId}.${target}`,
  deliveriesOf: (projectId: string) => `deliveries.${projectId}.>`,
  event: (projectId: string, kind: string) => `events.${projectId}.${kind}`,
  /** One subject per delivery, so a DLQ copy is made exactly once (published expecting an empty subject). */
  dlq: (projectId: string, target: string, deliveryId: string) => `dlq.${projectId}.${target}.${deliveryId}`,
  feed: (projectId: string) => `feed.${projectId}`,
  /** Webhooks whose signature failed, kept for inspection when the route asks (verify.recordFailures). */
  rejected: (projectId: string) => `rejected.${projectId}`,
  maxDeliveriesAdvisories: `$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.DELIVERIES.>`,
  terminatedAdvisories: `$JS.EVENT.ADVISORY.CONSUMER.MSG_TERMINATED.DELIVERIES.>`,
} as const;

export const Consumers = {
  /** Delivery consumer of one route on DELIVERIES; created by the operator, read by the forwarder. */
  route: (projectId: string) => `route-${projectId}`,
  dispatch: 'forwarder-dispatch',
  advisories: 'forwarder-advisories',
} as const;
