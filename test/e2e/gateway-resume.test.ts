// Resume with Last-Event-ID through the whole relay: a client that disconnects and comes back gets exactly
// what it missed, in order, then live entries, also when the gateway itself restarted in between.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { WebhookTarget, sleep } from '@hookrelay/test-support';
import { GatewayRelay } from '../../services/gateway/test/support/gateway-relay.js';
import type { SseClient } from '../../services/gateway/test/support/sse-client.js';

const forwardedAll = (client: SseClient, ids: string[]) =>
  ids.every((id) => client.feed.some((e) => e.entry.id === id && e.entry.status === 'forwarded'));

describe('gateway: feeds resume with Last-Event-ID', () => {
  let g: GatewayRelay;
  let target: WebhookTarget;

  before(async () => {
    g = await GatewayRelay.start();
    target = await WebhookTarget.start();
    await g.route('resume', [{ name: 'main', url: target.url() }]);
    await g.route('noise', [{ name: 'main', url: target.url() }]);
  });
  after(async () => {
    await target.stop();
    await g.stop();
  });

  async function sendMany(projectId: string, count: number): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) ids.push(await g.send(projectId, JSON.stringify({ i })));
    return ids;
  }

  test('disconnect, 50 webhooks, reconnect: exactly the missed events, no gaps, no repeats, then live ones', async () => {
    // The reference stays connected throughout: what it saw after the resume point is what was missed.
    const reference = await g.feed('/feed');
    const referenceProject = await g.feed('/projects/resume/feed');
    const leaving = await g.feed('/feed');
    const leavingProject = await g.feed('/projects/resume/feed');
    const early = await sendMany('resume', 3);
    await leaving.waitFor((c) => forwardedAll(c, early), 'the first three forwarded');
    await leavingProject.waitFor((c) => forwardedAll(c, early), 'the first three on the project feed');
    await Promise.all([leaving.close(), leavingProject.close()]);
    const resumeFrom = leaving.lastEventId;
    const resumeProjectFrom = leavingProject.lastEventId;

    const missed = [...(await sendMany('resume', 50)), ...(await sendMany('noise', 5))];
    await reference.waitFor((c) => forwardedAll(c, missed), 'the reference to see all 55 forwarded', 30_000);
    await sleep(300);

    const back = await g.feed('/feed', { lastEventId: resumeFrom });
    const backProject = await g.feed('/projects/resume/feed', { lastEventId: resumeProjectFrom });
    const expected = reference.feed.filter((e) => e.seq > Number(resumeFrom));
    const expectedProject = referenceProject.feed.filter((e) => e.seq > Number(resumeProjectFrom));
    // At least one entry per webhook (state publishes one per webhook per commit: received and forwarded may share one).
    assert.ok(expected.length >= 55, `${expected.length} entries missed`);
    assert.deepEqual(back.feed, expected, 'exactly the missed events, in order, with the same data');
    assert.deepEqual(back.feed.map((e) => e.seq), Array.from({ length: expected.length }, (_, i) => Number(resumeFrom) + 1 + i), 'no gaps');
    assert.deepEqual(backProject.feed, expectedProject);
    assert.ok(backProject.feed.every((e) => e.entry.projectId === 'resume'));

    const [liveId] = await sendMany('resume', 1);
    await back.waitFor((c) => forwardedAll(c, [liveId!]), 'the next webhook, live');
    await backProject.waitFor((c) => forwardedAll(c, [liveId!]), 'the next webhook, live, on the project feed');
    await reference.waitFor((c) => forwardedAll(c, [liveId!]), 'the reference too');
    await sleep(200);
    assert.deepEqual(back.feed, reference.feed.filter((e) => e.seq > Number(resumeFrom)), 'then the same live events as a client that never left');
    await Promise.all([reference, referenceProject, back, backProject].map((c) => c.close()));
  });

  test('a client resumes across a restart of the gateway', async () => {
    const client = await g.feed('/projects/resume/feed');
    const first = await sendMany('resume', 2);
    await client.waitFor((c) => forwardedAll(c, first), 'two forwarded');
    const lastSeen = client.lastEventId;
    await g.gateway.stop();
    await client.done; // the gateway ends every feed when it stops
    const whileDown = await sendMany('resume', 10);
    await g.startGateway();
    const back = await g.feed('/projects/resume/feed', { lastEventId: lastSeen });
    await back.waitFor((c) => forwardedAll(c, whileDown), 'what was sent while the gateway was down');
    const seqs = back.feed.map((e) => e.seq);
    assert.ok(seqs[0]! > Number(lastSeen));
    assert.equal(new Set(seqs).size, seqs.length, 'no repeats');
    assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b));
    assert.deepEqual([...new Set(back.feed.map((e) => e.entry.id))].sort(), [...whileDown].sort(), 'only what was missed');
    await back.close();
  });
});
