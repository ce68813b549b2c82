import { z } from 'zod';
import { CommonEnv, port } from '@hookrelay/platform';

export const IngestConfig = CommonEnv.extend({
  INGEST_PORT: port(8080),
  INGEST_HOST: z.string().default('0.0.0.0'),
  /** How long one publish may wait for JetStream's ack before the sender gets 503. */
  INGEST_PUBLISH_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(2000),
});
export type IngestConfig = z.infer<typeof IngestConfig>;
