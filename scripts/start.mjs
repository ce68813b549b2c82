#!/usr/bin/env node
// The one command that runs hookrelay on a machine: installs and builds what is missing, finds or starts a
// NATS server with JetStream, then runs every service (or SERVICES=a,b) in its own process, restarting any
// that dies. Plain Node, no dependencies: it runs before `npm ci` has.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, openSync, statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const ALL = ['operator', 'state', 'ingest', 'forwarder', 'gateway'];
const say = (text) => process.stderr.write(`hookrelay: ${text}\n`);

function run(cmd, args, what) {
  say(`${what}: ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    say(`${what} failed (exit ${r.status}).`);
    process.exit(1);
  }
}

function ensureInstalled() {
  const marker = join(root, 'node_modules', '.package-lock.json');
  const lock = join(root, 'package-lock.json');
  if (!existsSync(marker) || statSync(lock).mtimeMs > statSync(marker).mtimeMs) run('npm', ['ci'], 'installing dependencies');
  run('npx', ['turbo', 'run', 'build', '--output-logs=errors-only'], 'building');
}

function reachable(host, port) {
  return new Promise((ok) => {
    const s = connect({ host, port, timeout: 1000 });
    s.once('connect', () => (s.destroy(), ok(true)));
    s.once('error', () => ok(false));
    s.once('timeout', () => (s.destroy(), ok(false)));
  });
}

const which = (bin) => spawnSync('sh', ['-c', `command -v ${bin}`], { encoding: 'utf8' }).stdout.trim();

async function ensureNats(natsUrl) {
  const first = natsUrl.split(',')[0];
  const url = new URL(first.includes('://') ? first : `nats://${first}`);
  const host = url.hostname || '127.0.0.1';
  const port = Number(url.port || 4222);
  if (await reachable(host, port)) return undefined;
  if (!['127.0.0.1', 'localhost', '::1'].includes(host)) {
    say(`nothing answers at ${natsUrl}. Start that NATS server, or unset NATS_URL to run one here.`);
    process.exit(1);
  }
  if (!which('nats-server') && which('apt-get') && process.getuid?.() === 0) {
    run('apt-get', ['install', '-y', 'nats-server'], 'installing nats-server');
  }
  const bin = which('nats-server');
  if (!bin) {
    say(`nothing answers at ${natsUrl} and nats-server is not installed.`);
    say('Install it (Debian/Ubuntu: sudo apt-get install nats-server; elsewhere: https://docs.nats.io), or set NATS_URL.');
    process.exit(1);
  }
  const dir = join(root, 'data', 'nats');
  mkdirSync(dir, { recursive: true });
  const conf = join(dir, 'nats.conf');
  writeFileSync(conf, `listen: ${host}:${port}\nmax_payload: 8MB\njetstream { store_dir: "${join(dir, 'store')}" }\n`);
  say(`starting nats-server with JetStream on ${host}:${port} (store and log: data/nats)`);
  const natsLog = openSync(join(dir, 'nats-server.log'), 'a');
  const child = spawn(bin, ['-c', conf], { stdio: ['ignore', natsLog, natsLog] });
  for (let i = 0; i < 100 && !(await reachable(host, port)); i++) await new Promise((r) => setTimeout(r, 100));
  if (!(await reachable(host, port))) {
    say('nats-server did not start; see data/nats/nats-server.log.');
    process.exit(1);
  }
  return child;
}

function parseServices() {
  const wanted = (process.env.SERVICES ?? ALL.join(',')).split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = wanted.filter((s) => !ALL.includes(s));
  if (unknown.length) {
    say(`SERVICES names unknown services: ${unknown.join(', ')} (known: ${ALL.join(', ')})`);
    process.exit(1);
  }
  return wanted.filter((s) => {
    const built = existsSync(join(root, 'services', s, 'dist', 'main.js'));
    if (!built) say(`${s} is not built; skipping it`);
    return built;
  });
}

/** Runs one service as a child process and starts it again (with backoff) if it dies. */
function supervise(name, env, state) {
  let backoff = 500;
  const launch = () => {
    const started = Date.now();
    const child = spawn(process.execPath, [join(root, 'services', name, 'dist', 'main.js')], { cwd: root, env, stdio: 'inherit' });
    state.children.set(name, child);
    child.on('exit', (code, signal) => {
      state.children.delete(name);
      if (state.stopping) return;
      backoff = Date.now() - started > 30_000 ? 500 : Math.min(backoff * 2, 30_000);
      say(`${name} exited (${signal ?? code}); starting it again in ${backoff} ms`);
      setTimeout(launch, backoff);
    });
  };
  launch();
}

async function main() {
  if (!process.argv.includes('--no-install')) ensureInstalled();
  const env = { ...process.env };
  env.NATS_URL ??= 'nats://127.0.0.1:4222';
  env.ROUTES_DIR ??= join(root, 'routes');
  env.DATABASE_PATH ??= join(root, 'data', 'hookrelay.db');
  // Each route's webhookUrl points at this ingest unless a public URL is given.
  env.HOOKRELAY_PUBLIC_URL ??= `http://localhost:${env.INGEST_PORT ?? 8080}`;
  if (!env.HOOKRELAY_API_TOKEN) {
    env.HOOKRELAY_API_TOKEN = randomBytes(24).toString('base64url');
    say(`admin API token for this run: ${env.HOOKRELAY_API_TOKEN} (set HOOKRELAY_API_TOKEN to choose one)`);
  }
  const services = parseServices();
  const nats = await ensureNats(env.NATS_URL);
  const state = { children: new Map(), stopping: false };
  for (const name of services) supervise(name, env, state);
  say(`running ${services.join(', ')} against ${env.NATS_URL}`);
  if (services.includes('ingest')) say(`send webhooks to http://localhost:${env.INGEST_PORT ?? 8080}/hooks/<projectId> (routes: ${env.ROUTES_DIR})`);
  if (services.includes('gateway')) say(`API at http://localhost:${env.GATEWAY_PORT ?? 8081}`);

  const stop = async (signal) => {
    if (state.stopping) return;
    state.stopping = true;
    say(`${signal}: stopping`);
    const exits = [...state.children.values()].map((c) => new Promise((r) => (c.exitCode !== null ? r() : c.once('exit', r))));
    for (const c of state.children.values()) c.kill('SIGTERM');
    await Promise.race([Promise.all(exits), new Promise((r) => setTimeout(r, 20_000))]);
    if (nats) {
      nats.kill('SIGTERM');
      await new Promise((r) => (nats.exitCode !== null ? r() : nats.once('exit', r)));
    }
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

await main();
