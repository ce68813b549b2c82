// @hookrelay/schemas also holds apiTokenSha256(), which hashes with node:crypto. The console never calls it
// (it is tree-shaken away); this stands in for the module so the browser build needs no Node built-in.
export function createHash(): never {
  throw new Error('node:crypto is not available in the browser');
}
