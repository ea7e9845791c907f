/**
 * Which engine wrote a database file: bbolt (real etcd's member/snap/db
 * and every etcd snapshot) or LMDB (our member/snap/db). Both put their
 * magic number right after a 16-byte page header on page 0.
 * @module
 */
import { closeSync, openSync, readSync, statSync } from "node:fs";

export type DbFormat = "bbolt" | "lmdb";

const BOLT_MAGIC = 0xed0cdaed;
const LMDB_MAGIC = 0xbeefc0de;
const MAGIC_OFFSET = 16;
const SHA256_BYTES = 32;

/** The engine of the file at `path`, or undefined when it is neither. */
export function dbFormat(path: string): DbFormat | undefined {
  const head = Buffer.alloc(MAGIC_OFFSET + 4);
  const fd = openSync(path, "r");
  try {
    if (readSync(fd, head, 0, head.length, 0) < head.length) return undefined;
  } finally {
    closeSync(fd);
  }
  const magic = head.readUInt32LE(MAGIC_OFFSET);
  return magic === BOLT_MAGIC ? "bbolt" : magic === LMDB_MAGIC ? "lmdb" : undefined;
}

/**
 * The bytes of the bbolt database in a snapshot file: all but the SHA-256
 * trailer when the size says one is there (etcd's rule: a size 32 past a
 * multiple of 512), else the whole file.
 */
export function boltBytes(path: string): number {
  const size = statSync(path).size;
  return hasSha256Trailer(size) ? size - SHA256_BYTES : size;
}

export function hasSha256Trailer(size: number): boolean {
  return size % 512 === SHA256_BYTES;
}
