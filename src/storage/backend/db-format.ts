/**
 * Which engine wrote a database file, from its first bytes: bbolt (real
 * etcd's member/snap/db and every etcd snapshot) or LMDB (our
 * member/snap/db). Both keep a magic number in the meta on page 0: bbolt's
 * after its 16-byte page header, LMDB's after 16 bytes (LMDB 0.9) or 24
 * (the 1.0 format lmdb-js writes: a txnid added).
 * @module
 */
import { MAGIC as BOLT_MAGIC, PAGE_HEADER_SIZE as BOLT_PAGE_HEADER_SIZE } from "../bbolt/format.js";

export type DbFormat = "bbolt" | "lmdb";

const LMDB_MAGIC = 0xbeefc0de;
const LMDB_MAGIC_OFFSETS = [16, 24] as const;

/** How many bytes from the start of a file {@link dbFormatOf} looks at. */
export const DB_FORMAT_HEAD_BYTES = Math.max(BOLT_PAGE_HEADER_SIZE, ...LMDB_MAGIC_OFFSETS) + 4;

/** The engine whose magic number `head` (the file's first bytes) carries, or undefined for neither (or too few bytes). */
export function dbFormatOf(head: Buffer): DbFormat | undefined {
  const magicAt = (offset: number): number | undefined => (head.length >= offset + 4 ? head.readUInt32LE(offset) : undefined);
  if (magicAt(BOLT_PAGE_HEADER_SIZE) === BOLT_MAGIC) return "bbolt";
  return LMDB_MAGIC_OFFSETS.some((offset) => magicAt(offset) === LMDB_MAGIC) ? "lmdb" : undefined;
}
