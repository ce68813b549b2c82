import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import { FeedEntry, Streams } from '@hookrelay/schemas';
import { TestNatsServer, eventually, sleep } from '@hookrelay/test-support';
import type { RunningState } from '../src/index.js';
import {
  connectJetStream,
  makeEvent,
  makeWebhook,
  publishAll,
  publishEvent,
  publishEvents,
  publishWebhook,
  startTestState,
  tempDatabasePath,
  waitForConsumersIdle,
} from './helpers.js';

describe('the live feed', () => {
  let server: TestNatsServer;
  let nc: NatsConnection;
  let js: JetStreamClient;
  let jsm: JetStreamManager;
  let state: RunningState;
  const received: { subject: string; entry: FeedEntry }[] = [];

  before(async () => {
    server = await TestNatsServer.start();
    nc = await connect({ servers: server.url });
    ({ js, jsm } = await connectJetStream(nc));
    state = await startTestState(server.url, tempDatabasePath());
    nc.subscribe('feed.>', {
      callback: (_err, msg) => {
        received.push({ subject: msg.subject, entry: FeedEntry.parse(msg.json()) });
      },
    });
  });
  after(async () => {
    await state.stop();
    await nc.close();
    await server.stop();
  });

  /** Waits for the applied messages' feed, then a little more, to be sure nothing else comes. */
  async function feedAfter(publish: () => Promise<void>, expected: number): Promise<{ subject: string; entry: FeedEntry }[]> {
    const from = received.length;
    await publish();
    await waitForConsumersIdle(jsm);
    await eventually(() => received.length >= from + expected, { what: `${expected} feed messages` });
    await sleep(300);
    return received.slice(from);
  }

  const webhooks = Array.from({ length: 40 }, (_, i) => makeWebhook(i % 2 ? 'alpha' : 'beta', Date.now() - 1000 + i));

  it('publishes one entry per captured webhook, on feed.<project>', async () => {
    const feed = await feedAfter(() => publishAll(webhooks.map((w) => () => publishWebhook(js, w))), 40);
    assert.equal(feed.length, 40);
    assert.deepEqual(new Set(feed.map((f) => f.entry.id)), new Set(webhooks.map((w) => w.id)));
    for (const { subject, entry } of feed) {
      assert.equal(subject, `feed.${entry.projectId}`);
      assert.equal(entry.status, 'received');
      assert.deepEqual(entry.targets, []);
    }
    assert.equal((await jsm.streams.info(Streams.feed)).state.messages, 40, 'the FEED stream keeps them');
  });

  it('publishes one entry per webhook a batch of events changed', async () => {
    const feed = await feedAfter(
      () => publishAll(webhooks.flatMap((w) => [() => publishEvent(js, makeEvent(w, 'forwarded', 1))])),
      40,
    );
    assert.equal(feed.length, 40);
    for (const { entry } of feed) {
      assert.equal(entry.status, 'forwarded');
      assert.deepEqual(entry.targets, [{ target: 'ci', status: 'forwarded', attempts: 1, lastStatusCode: 200 }]);
    }
  });

  it('applies every event of a message that carries several (as the forwarder batches them)', async () => {
    const batch = webhooks.slice(0, 10).map((w) => makeEvent(w, 'forwarded', 1, { target: 'cd', deliveryId: `${w.id}:cd` }));
    const feed = await feedAfter(() => publishEvents(js, batch).then(() => undefined), 10);
    assert.deepEqual(new Set(feed.map((f) => f.entry.id)), new Set(webhooks.slice(0, 10).map((w) => w.id)));
    for (const { entry } of feed) assert.deepEqual(entry.targets.map((t) => [t.target, t.status]), [['cd', 'forwarded'], ['ci', 'forwarded']]);
  });

  it('publishes nothing for a duplicate', async () => {
    const feed = await feedAfter(
      () => publishAll(webhooks.map((w) => () => publishEvent(js, makeEvent(w, 'forwarded', 1)))),
      0,
    );
    assert.deepEqual(feed, []);
  });

  it('waits for the webhook itself before showing events that came first', async () => {
    const early = makeWebhook('alpha');
    const none = await feedAfter(() => publishEvent(js, makeEvent(early, 'retrying', 1)).then(() => undefined), 0);
    assert.deepEqual(none, []);
    const feed = await feedAfter(() => publishWebhook(js, early).then(() => undefined), 1);
    assert.equal(feed.length, 1);
    assert.equal(feed[0]?.entry.status, 'retrying');
    assert.equal(feed[0]?.entry.method, 'POST');
  });
});
