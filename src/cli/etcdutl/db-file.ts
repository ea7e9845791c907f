/**
 * Which engine wrote a database file: bbolt (real etcd's member/snap/db
 * and every etcd snapshot) or LMDB (our member/snap/db), by the magic
 * number of the meta on page 0: after bbolt's 16-byte page header, and
 * after the 24-byte one of the LMDB lmdb-js builds (16 bytes in LMDB 0.9).
 * @module
 */
import { closeSync, openSync, readSync, statSync } from "node:fs";
import { CommandError, goFileError } from "./context.js";

export type DbFormat = "bbolt" | "lmdb";

const BOLT_MAGIC = 0xed0cdaed;
const LMDB_MAGIC = 0xbeefc0de;
const BOLT_MAGIC_OFFSET = 16;
const LMDB_MAGIC_OFFSETS = [24, 16];
const SHA256_BYTES = 32;

/** The engine of the file at `path`, or undefined when it is neither; a file that cannot be read (a directory…) is a {@link CommandError}. */
export function dbFormat(path: string): DbFormat | undefined {
  const head = Buffer.alloc(Math.max(BOLT_MAGIC_OFFSET, ...LMDB_MAGIC_OFFSETS) + 4);
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (err) {
    throw new CommandError(goFileError("open", path, err));
  }
  try {
    if (readSync(fd, head, 0, head.length, 0) < head.length) return undefined;
  } catch (err) {
    throw new CommandError(goFileError("read", path, err));
  } finally {
    closeSync(fd);
  }
  if (head.readUInt32LE(BOLT_MAGIC_OFFSET) === BOLT_MAGIC) return "bbolt";
  return LMDB_MAGIC_OFFSETS.some((at) => head.readUInt32LE(at) === LMDB_MAGIC) ? "lmdb" : undefined;
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
