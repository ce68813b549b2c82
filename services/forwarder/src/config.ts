import { z } from 'zod';
import { CommonEnv, port } from '@hookrelay/platform';

export const ForwarderConfig = CommonEnv.extend({
  FORWARDER_PORT: port(8082),
  /** Deliveries in flight at once across every route (HTTP requests to targets). */
  FORWARDER_MAX_IN_FLIGHT: z.coerce.number().int().min(1).max(10_000).default(1024),
  /** First attempts made straight from dispatch per project at once; past it, webhooks queue on DELIVERIES. */
  FORWARDER_INLINE_PER_PROJECT: z.coerce.number().int().min(0).max(10_000).default(256),
  /** Keep-alive connections per target origin. */
  FORWARDER_CONNECTIONS_PER_ORIGIN: z.coerce.number().int().min(1).max(1024).default(128),
});
export type ForwarderConfig = z.infer<typeof ForwarderConfig>;
