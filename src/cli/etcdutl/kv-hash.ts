/**
 * `etcdutl hashkv`: etcd's HashByRev over the `key` bucket of a database
 * file, through our mvcc store's own hash (src/storage/mvcc/hash.ts). The
 * store is opened over an in-memory copy of the `key` and `meta` buckets,
 * so a compaction the file left scheduled is finished in memory — it
 * hashes as etcd's store would after resuming it — and the file is never
 * written.
 * @module
 */
import { EtcdError } from "../../pkg/errors.js";
import { openBoltFile } from "../../storage/bbolt/index.js";
import { LmdbBackend, MemoryBackend, type Bucket } from "../../storage/backend/index.js";
import { KVStore } from "../../storage/mvcc/index.js";
import { boltBytes, type DbFormat } from "./db-file.js";
import type { KvHash } from "./printer.js";

const HASHED_BUCKETS: readonly Bucket[] = ["key", "meta"];

/** etcd's words for the two revisions HashByRev refuses. */
const REVISION_ERRORS: Partial<Record<string, string>> = {
  Compacted: "mvcc: required revision has been compacted",
  FutureRev: "mvcc: required revision is a future revision",
};

export class KvHashError extends Error {
  override readonly name = "KvHashError";
}

export async function hashKvOfFile(path: string, format: DbFormat, rev: bigint): Promise<KvHash> {
  const copy = new MemoryBackend();
  if (format === "bbolt") {
    const file = openBoltFile(path, { limitBytes: boltBytes(path) });
    try {
      for (const bucket of file.buckets()) {
        const name = Buffer.from(bucket.name).toString("latin1") as Bucket;
        if (!HASHED_BUCKETS.includes(name)) continue;
        // The reader may reuse its buffers: keep copies.
        for (const [key, value] of bucket.entries()) copy.put(name, Buffer.from(key), Buffer.from(value));
      }
    } finally {
      file.close();
    }
  } else {
    const backend = new LmdbBackend({ path });
    try {
      for (const name of HASHED_BUCKETS) {
        backend.forEach(name, (key, value) => {
          copy.put(name, Buffer.from(key), Buffer.from(value));
        });
      }
    } finally {
      await backend.close();
    }
  }
  await copy.commit();
  const store = new KVStore({ backend: copy });
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
