/**
 * Helpers for tests of any layer; imported only by tests.
 * @module
 */
import fs from "node:fs";
import os from "node:os";
import { join } from "node:path";

/** A fresh directory under the OS temp dir, removed when the test ends. */
export function tempDir(t: { after(fn: () => void | Promise<void>): void }, prefix = "etcd-ts-test-"): string {
  const dir = fs.mkdtempSync(join(os.tmpdir(), prefix));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}
