import type { NatsConnection } from '@nats-io/transport-node';
import { Subjects, type FeedEntry } from '@hookrelay/schemas';
import type { StateMetrics } from './metrics.js';

/**
 * Publishes one FEED message per changed webhook, after the commit. A core publish, not a JetStream one:
 * the FEED stream stores it all the same, and waiting for thousands of PubAcks a second would slow
 * applying for a view that is rebuilt from the database anyway (the gateway's lists).
 */
export function createFeedPublisher(nc: NatsConnection, metrics: StateMetrics): (entries: FeedEntry[]) => void {
  return (entries) => {
    for (const entry of entries) nc.publish(Subjects.feed(entry.projectId), JSON.stringify(entry));
    metrics.feedPublished.inc(entries.length);
  };
}
