/**
 * `etcdutl hashkv`: etcd's HashByRev over the `key` bucket of a database
 * file, through our mvcc store's own hash (src/storage/mvcc/hash.ts),
 * opened over the file read-only ({@link OverlayBackend}): a compaction
 * the file left scheduled is resumed in memory — the file hashes as etcd's
 * store hashes it after opening it — and the file is never written.
 * @module
 */
import { EtcdError } from "../../pkg/errors.js";
import { openBoltFile } from "../../storage/bbolt/index.js";
import { LmdbBackend } from "../../storage/backend/index.js";
import { KVStore } from "../../storage/mvcc/index.js";
import { boltBytes, type DbFormat } from "./db-file.js";
import { boltBuckets, OverlayBackend, type StoredBuckets } from "./overlay-backend.js";
import type { KvHash } from "./printer.js";

/** etcd's words for the two revisions HashByRev refuses. */
const REVISION_ERRORS: Partial<Record<string, string>> = {
  Compacted: "mvcc: required revision has been compacted",
  FutureRev: "mvcc: required revision is a future revision",
};

export class KvHashError extends Error {
  override readonly name = "KvHashError";
}

export async function hashKvOfFile(path: string, format: DbFormat, rev: bigint): Promise<KvHash> {
  if (format === "bbolt") {
    const file = openBoltFile(path, { limitBytes: boltBytes(path) });
    try {
      return await hashKvOf(boltBuckets(file), rev);
    } finally {
      file.close();
    }
  }
  const backend = new LmdbBackend({ path });
  try {
    return await hashKvOf(backend, rev);
  } finally {
    await backend.close();
  }
}

async function hashKvOf(stored: StoredBuckets, rev: bigint): Promise<KvHash> {
  const store = new KVStore({ backend: new OverlayBackend(stored) });
  try {
    const r = store.hashByRev(rev);
    return { hash: r.hash, hashRevision: r.hashRevision, compactRevision: r.compactRevision };
  } catch (err) {
    const words = err instanceof EtcdError ? REVISION_ERRORS[err.kind] : undefined;
    if (words !== undefined) throw new KvHashError(words);
    throw err;
  } finally {
    await store.close();
  }
}
