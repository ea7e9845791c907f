/**
 * bbolt's on-disk layout (version 2), shared by the reader and the writer:
 * page header, meta page, leaf and branch elements, bucket headers. All
 * integers are little-endian (bbolt writes its structs in the host order of
 * the machines etcd runs on).
 * @module
 */

export const MAGIC = 0xed0cdaed;
export const VERSION = 2;

/** Page header: id u64, flags u16, count u16, overflow u32. */
export const PAGE_HEADER_SIZE = 16;
/** Leaf element: flags u32, pos u32, ksize u32, vsize u32 (pos counts from the element itself). */
export const LEAF_ELEMENT_SIZE = 16;
/** Branch element: pos u32, ksize u32, pgid u64. */
export const BRANCH_ELEMENT_SIZE = 16;
/** Bucket header, the value of a bucket entry: root pgid u64, sequence u64; root 0 = inline, a leaf page follows. */
export const BUCKET_HEADER_SIZE = 16;

export const PageFlag = { branch: 0x01, leaf: 0x02, meta: 0x04, freelist: 0x10 } as const;
/** A leaf element's flag that marks its value as a bucket header. */
export const BUCKET_LEAF_FLAG = 0x01;

/** Meta fields before the checksum: what FNV-64a covers. */
export const META_CHECKED_SIZE = 56;
export const META_SIZE = 64;
/** The page count field of a freelist page saying "the real count is the first u64". */
export const FREELIST_OVERFLOW_COUNT = 0xffff;
/** bbolt's marker for "no freelist page" (NoFreelistSync). */
export const NO_FREELIST = 0xffff_ffff_ffff_ffffn;

/** Page sizes we accept in a meta page: powers of two, as bbolt only ever writes. */
export const MIN_PAGE_SIZE = 512;
export const MAX_PAGE_SIZE = 1 << 20;

export function isValidPageSize(n: number): boolean {
  return n >= MIN_PAGE_SIZE && n <= MAX_PAGE_SIZE && (n & (n - 1)) === 0;
}

export interface Meta {
  readonly magic: number;
  readonly version: number;
  readonly pageSize: number;
  readonly flags: number;
  /** The root bucket's root page. */
  readonly root: bigint;
  readonly rootSequence: bigint;
  readonly freelist: bigint;
  /** High-water mark: the first page id past the end of the data. */
  readonly pgid: bigint;
  readonly txid: bigint;
  readonly checksum: bigint;
}

/** Decodes the meta that starts at `offset` (just after a page header). */
export function decodeMeta(buf: Uint8Array, offset: number): Meta {
  const v = new DataView(buf.buffer, buf.byteOffset + offset, META_SIZE);
  return {
    magic: v.getUint32(0, true),
    version: v.getUint32(4, true),
    pageSize: v.getUint32(8, true),
    flags: v.getUint32(12, true),
    root: v.getBigUint64(16, true),
    rootSequence: v.getBigUint64(24, true),
    freelist: v.getBigUint64(32, true),
    pgid: v.getBigUint64(40, true),
    txid: v.getBigUint64(48, true),
    checksum: v.getBigUint64(56, true),
  };
}

/** Encodes `meta` at `offset`, computing its checksum (the given one is ignored). */
export function encodeMeta(buf: Uint8Array, offset: number, meta: Omit<Meta, "checksum">): void {
  const v = new DataView(buf.buffer, buf.byteOffset + offset, META_SIZE);
  v.setUint32(0, meta.magic, true);
  v.setUint32(4, meta.version, true);
  v.setUint32(8, meta.pageSize, true);
  v.setUint32(12, meta.flags, true);
  v.setBigUint64(16, meta.root, true);
  v.setBigUint64(24, meta.rootSequence, true);
  v.setBigUint64(32, meta.freelist, true);
  v.setBigUint64(40, meta.pgid, true);
  v.setBigUint64(48, meta.txid, true);
  v.setBigUint64(56, fnv64a(buf.subarray(offset, offset + META_CHECKED_SIZE)), true);
}

/** Why a meta page is unusable, in bbolt's words, or undefined when it is valid (bbolt's meta.validate). */
export function metaProblem(buf: Uint8Array, offset: number): string | undefined {
  const meta = decodeMeta(buf, offset);
  if (meta.magic !== MAGIC) return "invalid database";
  if (meta.version !== VERSION) return "version mismatch";
  // bbolt accepts a zero checksum (files written before checksums existed).
  if (meta.checksum !== 0n && meta.checksum !== fnv64a(buf.subarray(offset, offset + META_CHECKED_SIZE))) return "checksum error";
  return undefined;
}

const FNV_OFFSET = 0xcbf29ce484222325n;
const FNV_PRIME = 0x100000001b3n;
const U64 = 0xffff_ffff_ffff_ffffn;

/** FNV-1a, 64 bits (Go's hash/fnv New64a). Only ever run on 56 bytes. */
export function fnv64a(bytes: Uint8Array): bigint {
  let h = FNV_OFFSET;
  for (const b of bytes) h = ((h ^ BigInt(b)) * FNV_PRIME) & U64;
  return h;
}

export interface PageHeader {
  readonly id: bigint;
  readonly flags: number;
  readonly count: number;
  readonly overflow: number;
}

export function decodePageHeader(buf: Uint8Array, offset = 0): PageHeader {
  const v = new DataView(buf.buffer, buf.byteOffset + offset, PAGE_HEADER_SIZE);
  return { id: v.getBigUint64(0, true), flags: v.getUint16(8, true), count: v.getUint16(10, true), overflow: v.getUint32(12, true) };
}

export function encodePageHeader(buf: Uint8Array, offset: number, header: PageHeader): void {
  const v = new DataView(buf.buffer, buf.byteOffset + offset, PAGE_HEADER_SIZE);
  v.setBigUint64(0, header.id, true);
  v.setUint16(8, header.flags, true);
  v.setUint16(10, header.count, true);
  v.setUint32(12, header.overflow, true);
}

export function pageTypeName(flags: number): string {
  if (flags & PageFlag.branch) return "branch";
  if (flags & PageFlag.leaf) return "leaf";
  if (flags & PageFlag.meta) return "meta";
  if (flags & PageFlag.freelist) return "freelist";
  return `unknown<${flags.toString(16).padStart(2, "0")}>`;
}

/** Unsigned byte order, as bbolt sorts keys. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(a, b);
}
