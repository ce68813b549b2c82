// Stands in for the state service on FEED: publishes feed entries and returns their stream sequences, so a
// test knows exactly which SSE ids each client must see.
import { randomUUID } from 'node:crypto';
import type { JetStreamClient } from '@nats-io/jetstream';
import { Subjects, type FeedEntry, type WebhookStatus } from '@hookrelay/schemas';

export interface PublishedEntry {
  seq: number;
  entry: FeedEntry;
}

export function feedEntry(projectId: string, status: WebhookStatus = 'received', extra: Partial<FeedEntry> = {}): FeedEntry {
  return { id: randomUUID(), projectId, method: 'POST', path: '/push', receivedAt: Date.now(), status, targets: [], ...extra };
}

export async function publishEntry(js: JetStreamClient, entry: FeedEntry): Promise<PublishedEntry> {
  const ack = await js.publish(Subjects.feed(entry.projectId), JSON.stringify(entry));
  return { seq: ack.seq, entry };
}

/** Publishes in order (each PubAck awaited before the next), so sequences follow the array. */
export async function publishEntries(js: JetStreamClient, entries: readonly FeedEntry[]): Promise<PublishedEntry[]> {
  const published: PublishedEntry[] = [];
  for (const entry of entries) published.push(await publishEntry(js, entry));
  return published;
}
