/**
 * Protobuf base-128 varints for the hand-written encoders (WAL records and
 * entries, mvcc KeyValue, watch responses). Numbers are unsigned safe
 * integers; bigints are int64/uint64, a negative one written as its 10-byte
 * two's complement, as protobuf and etcd's gogo encoder write it.
 * @module
 */

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** Bytes of the varint of an unsigned safe integer. */
export function varintSize(n: number): number {
  let size = 1;
  while (n >= 128) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}

/** Writes the varint of an unsigned safe integer at `pos`; returns the position after it. */
export function writeVarint(buf: Buffer, pos: number, n: number): number {
  while (n >= 128) {
    buf[pos++] = (n % 128) | 0x80;
    n = Math.floor(n / 128);
  }
  buf[pos++] = n;
  return pos;
}

/** Bytes of an int64/uint64 varint. */
export function int64Size(v: bigint): number {
  if (v >= 0n && v <= MAX_SAFE) return varintSize(Number(v));
  let u = BigInt.asUintN(64, v);
  let size = 1;
  while (u >= 128n) {
    u >>= 7n;
    size++;
  }
  return size;
}

/** Writes an int64/uint64 varint at `pos`; returns the position after it. */
export function writeInt64(buf: Buffer, pos: number, v: bigint): number {
  if (v >= 0n && v <= MAX_SAFE) return writeVarint(buf, pos, Number(v));
  let u = BigInt.asUintN(64, v);
  while (u >= 128n) {
    buf[pos++] = Number(u & 127n) | 0x80;
    u >>= 7n;
  }
  buf[pos++] = Number(u);
  return pos;
}
