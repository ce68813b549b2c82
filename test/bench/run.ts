// `npm run bench`: runs every benchmark one after another, each in its own process so none warms or slows
// another. Filter with arguments: `npm run bench -- relay`.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..', '..');
const benches = [
  join(root, 'test', 'bench', 'relay-throughput.ts'),
  ...readdirSync(join(root, 'services')).flatMap((s) => {
    const dir = join(root, 'services', s, 'bench');
    return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.ts')).map((f) => join(dir, f)) : [];
  }),
].filter((f) => process.argv.length <= 2 || process.argv.slice(2).some((s) => f.includes(s)));

let failed = 0;
for (const file of benches) {
  console.log(`\n=== ${file.slice(root.length + 1)} ===`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', file], { stdio: 'inherit', env: { ...process.env, LOG_LEVEL: 'silent' } });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
