import { parseAllDocuments } from 'yaml';

/** One `---` document of a route file: its parsed value, or why it could not be parsed. */
export type RouteFileDocument =
  | { index: number; ok: true; value: unknown; name: string | undefined }
  | { index: number; ok: false; error: string };

export const ROUTE_FILE_PATTERN = /^[^.].*\.ya?ml$/;

function metadataNameOf(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || !('metadata' in value)) return undefined;
  const metadata: unknown = value.metadata;
  if (typeof metadata !== 'object' || metadata === null || !('name' in metadata)) return undefined;
  return typeof metadata.name === 'string' ? metadata.name : undefined;
}

/** Splits a YAML file into its documents; empty documents (a trailing `---`) are skipped. */
export function parseRouteFile(text: string): RouteFileDocument[] {
  const documents: RouteFileDocument[] = [];
  Array.from(parseAllDocuments(text)).forEach((doc, index) => {
    if (doc.errors.length > 0) {
      const first = doc.errors[0]?.message.split('\n', 1)[0] ?? 'unparseable YAML';
      documents.push({ index, ok: false, error: `invalid YAML: ${first}` });
      return;
    }
    try {
      const value: unknown = doc.toJS({ maxAliasCount: 100 });
      if (value === null || value === undefined) return;
      documents.push({ index, ok: true, value, name: metadataNameOf(value) });
    } catch (err) {
      documents.push({ index, ok: false, error: `invalid YAML: ${err instanceof Error ? err.message : String(err)}` });
    }
  });
  return documents;
}
