// Writes crds/webhookroutes.hookrelay.dev.yaml (and the chart's copy) from the zod schemas.
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { CRD_FILE, webhookRouteCrdYaml } from './crd.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const text = webhookRouteCrdYaml();
await writeFile(`${repoRoot}${CRD_FILE}`, text);
console.log(`wrote ${CRD_FILE}`);
