/** Locations the tests need: the repository root, our bin/etcd, temp dirs. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** dist/test/harness/paths.js → repository root. */
export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
export const ourEtcdBin = join(repoRoot, "bin", "etcd");
export const realEtcdBin = "/usr/bin/etcd";
export const realEtcdctlBin = "/usr/bin/etcdctl";

/** A fresh temp dir and a function that removes it. */
export function tempDir(prefix: string): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), `${prefix}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}
