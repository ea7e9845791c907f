/**
 * Revisions and their backend key encoding, byte for byte etcd's: 8-byte
 * big-endian main, `_`, 8-byte big-endian sub (17 bytes); a tombstone
 * appends the mark byte `t` (18 bytes). Keys of the `key` bucket therefore
 * sort by (main, sub), and a bbolt snapshot maps 1:1.
 * @module
 */

/** A point in the store's history: `main` counts write txns, `sub` orders changes inside one. */
export interface Revision {
  readonly main: bigint;
  readonly sub: bigint;
}

export const REV_BYTES_LEN = 17;
export const MARKED_REV_BYTES_LEN = 18;
export const TOMBSTONE_MARK = 0x74; // 't'
const SEPARATOR = 0x5f; // '_'

export function rev(main: bigint, sub = 0n): Revision {
  return { main, sub };
}

/** Negative, zero or positive as a < b, a = b, a > b. */
export function compareRev(a: Revision, b: Revision): number {
  if (a.main !== b.main) return a.main < b.main ? -1 : 1;
  if (a.sub !== b.sub) return a.sub < b.sub ? -1 : 1;
  return 0;
}

export function revGreater(a: Revision, b: Revision): boolean {
  return a.main > b.main || (a.main === b.main && a.sub > b.sub);
}

/** The backend key of `r`, with the tombstone mark when `tombstone`. */
export function revToBytes(r: Revision, tombstone = false): Buffer {
  const b = Buffer.allocUnsafe(tombstone ? MARKED_REV_BYTES_LEN : REV_BYTES_LEN);
  writeU64(b, 0, r.main);
  b[8] = SEPARATOR;
  writeU64(b, 9, r.sub);
  if (tombstone) b[REV_BYTES_LEN] = TOMBSTONE_MARK;
  return b;
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const TWO_POW_32 = 4294967296;

/** Writes v as 8 bytes big-endian; values below 2^53 take a number path (no bigint shifts). */
function writeU64(b: Buffer, offset: number, v: bigint): void {
  if (v >= 0n && v <= MAX_SAFE) {
    const n = Number(v);
    const hi = Math.floor(n / TWO_POW_32);
    b.writeUInt32BE(hi, offset);
    b.writeUInt32BE(n - hi * TWO_POW_32, offset + 4);
    return;
  }
  b.writeBigUInt64BE(BigInt.asUintN(64, v), offset);
}

/** The revision in the first 17 bytes of a backend key (mark ignored). */
export function bytesToRev(b: Uint8Array): Revision {
  const buf = Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  return { main: buf.readBigInt64BE(0), sub: buf.readBigInt64BE(9) };
}

export function isTombstoneKey(b: Uint8Array): boolean {
  return b.length === MARKED_REV_BYTES_LEN && b[REV_BYTES_LEN] === TOMBSTONE_MARK;
}

/** The 8-byte big-endian prefix of revision `main`: keys < it have a smaller main revision. */
export function mainRevPrefix(main: bigint): Buffer {
  const b = Buffer.allocUnsafe(8);
  b.writeBigUInt64BE(BigInt.asUintN(64, main), 0);
  return b;
}

/** A map key for a revision: its 17 bytes as a latin1 string (what compaction and hash compare). */
export function revId(r: Revision): string {
  return revToBytes(r).toString("latin1");
}

/** The {@link revId} of a backend key, without decoding it. */
export function revIdOfKey(key: Uint8Array): string {
  const buf = Buffer.isBuffer(key) ? key : Buffer.from(key.buffer, key.byteOffset, key.byteLength);
  return buf.toString("latin1", 0, REV_BYTES_LEN);
}
