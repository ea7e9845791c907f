/**
 * Copies the buckets of a bbolt file into our backend, entry by entry, in
 * batches of the backend's batch limit (memory stays bounded whatever the
 * file's size), leaving out what the caller rewrites itself.
 * @module
 */
import type { BucketSource } from "../../storage/bbolt/source.js";
import { isBucket, type Backend, type Bucket } from "../../storage/backend/index.js";

export interface CopyOptions {
  /** Whether an entry is copied; entries of buckets the caller rewrites are left out here. */
  readonly keep: (bucket: Bucket, key: Uint8Array) => boolean;
  /** Bytes of the file (for the progress callback's total). */
  readonly totalBytes: number;
  readonly onProgress?: ((doneBytes: number, totalBytes: number) => void) | undefined;
}

export interface CopyResult {
  /** Entries written into the backend. */
  readonly entries: number;
  /** Buckets of the file that etcd does not have (not copied: nothing of ours would read them). */
  readonly unknownBuckets: readonly string[];
}

/** Roughly what one entry occupies in a bbolt leaf page besides its key and value (its element header). */
const ENTRY_OVERHEAD_BYTES = 16;

export async function copyBuckets(source: BucketSource, backend: Backend, options: CopyOptions): Promise<CopyResult> {
  const { totalBytes, onProgress } = options;
  const unknownBuckets: string[] = [];
  let entries = 0;
  let done = 0;
  const report = (bytes: number): void => onProgress?.(Math.min(bytes, totalBytes), totalBytes);
  for (const bucket of source.buckets()) {
    const name = Buffer.from(bucket.name).toString("latin1");
    if (!isBucket(name)) {
      unknownBuckets.push(name);
      continue;
    }
    for (const [key, value] of bucket.entries()) {
      done += key.length + value.length + ENTRY_OVERHEAD_BYTES;
      if (!options.keep(name, key)) continue;
      // The reader may reuse its buffers for the next entry; the backend keeps them until commit.
      backend.put(name, Buffer.from(key), Buffer.from(value));
      entries++;
      if (backend.pendingOps() >= backend.batchLimit) {
        await backend.commit();
        report(done);
      }
    }
  }
  await backend.commit();
  onProgress?.(totalBytes, totalBytes);
  return { entries, unknownBuckets };
}
