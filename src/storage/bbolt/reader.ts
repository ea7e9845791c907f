/**
 * Reads a bbolt database file (etcd's member/snap/db or a snapshot file
 * without its SHA-256 trailer) with validation: a damaged or truncated file
 * is a {@link BoltFormatError}, never a crash or a hang.
 * @module
 */
import type { BucketContents, BucketSource } from "./source.js";

export class BoltFormatError extends Error {
  override readonly name = "BoltFormatError";
}

export interface BoltFile extends BucketSource {
  readonly pageSize: number;
  /** The transaction id of the meta page in use. */
  readonly txid: bigint;
  /** bbolt's tx.Size(): the high-water page id × page size (what etcd reports as the database size). */
  readonly size: number;
  bucket(name: string): BucketContents | undefined;
  close(): void;
}

/** Opens `path` (read only). `limitBytes` reads only that prefix of the file (a snapshot file's trailer left out). */
export function openBoltFile(_path: string, _options: { limitBytes?: number } = {}): BoltFile {
  throw new Error("openBoltFile: not built yet");
}
