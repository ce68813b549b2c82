// The benchmark's webhook target, in its own process so the load generator does not slow it: answers 200,
// counts deliveries by webhook id, and records latency from the send time the body carries ("t").
import { createServer } from 'node:http';

const delivered = new Set<string>();
let count = 0;
let latencies: number[] = [];

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const now = performance.timeOrigin + performance.now();
    count++;
    delivered.add(String(req.headers['webhook-id']));
    const m = /"t":(\d+(?:\.\d+)?)/.exec(Buffer.concat(chunks).toString());
    if (m) latencies.push(now - Number(m[1]));
    res.writeHead(200).end();
  });
});
server.keepAliveTimeout = 60_000;

export type SinkRequest = { type: 'stats' } | { type: 'reset-latencies' };
export type SinkStats = { count: number; unique: number; latencies: number[] };

process.on('message', (msg: SinkRequest) => {
  if (msg.type === 'stats') process.send?.({ count, unique: delivered.size, latencies } satisfies SinkStats);
  if (msg.type === 'reset-latencies') latencies = [];
});
server.listen(0, '127.0.0.1', () => process.send?.({ port: (server.address() as { port: number }).port }));
