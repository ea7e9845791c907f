/**
 * Writes a bbolt database file (etcd's backend format) from a
 * {@link BucketSource}, as a sequence of chunks that can be streamed
 * (Maintenance.Snapshot) or written to a file.
 * @module
 */
import type { BucketSource } from "./source.js";

export interface BoltWriteOptions {
  /** bbolt page size; etcd's files use the OS page size, 4096. */
  readonly pageSize?: number;
  /** The transaction id stamped in the meta pages (≥ 1). */
  readonly txid?: bigint;
}

/**
 * The file's bytes, in order, in chunks of whole pages. Memory stays bounded
 * by the chunk size plus what the tree's upper levels need, whatever the
 * database's size.
 */
export function writeBolt(_source: BucketSource, _options: BoltWriteOptions = {}): Iterable<Uint8Array> {
  throw new Error("writeBolt: not built yet");
}
