// Writes crds/webhookroutes.hookrelay.dev.yaml (and the chart's copy) from the zod schemas.
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { CRD_FILE, webhookRouteCrdYaml } from './crd.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const text = webhookRouteCrdYaml();
// Helm installs what is in a chart's crds/ folder before anything else.
for (const file of [CRD_FILE, `charts/hookrelay/${CRD_FILE}`]) {
  await writeFile(`${repoRoot}${file}`, text);
  console.log(`wrote ${file}`);
}
