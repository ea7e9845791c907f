/**
 * A hand-written encoder for `raftpb.Entry`, the one message the WAL encodes
 * per proposal. The generated codec costs ~1.8 µs per entry (a writer object,
 * bigint varints); this one writes into an exactly-sized buffer. The bytes
 * are etcd's: fields in number order, Type/Term/Index always present, Data
 * when non-empty — what etcd's gogoproto encoder writes for the same entry.
 * Decoding stays with the generated codec.
 * @module
 */
import type { Entry } from "../gen/raftpb/raft.js";

const TWO_53 = 2n ** 53n;

function varintBytesNum(v: number): number {
  let n = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

function varintBytes(v: bigint): number {
  if (v >= 0n && v < TWO_53) return varintBytesNum(Number(v));
  let u = BigInt.asUintN(64, v);
  let n = 1;
  while (u >= 0x80n) {
    u >>= 7n;
    n++;
  }
  return n;
}

function writeVarintNum(buf: Buffer, off: number, v: number): number {
  while (v >= 0x80) {
    buf[off++] = (v & 0x7f) | 0x80;
    v = Math.floor(v / 128);
  }
  buf[off++] = v;
  return off;
}

function writeVarint(buf: Buffer, off: number, v: bigint): number {
  if (v >= 0n && v < TWO_53) return writeVarintNum(buf, off, Number(v));
  let u = BigInt.asUintN(64, v);
  while (u >= 0x80n) {
    buf[off++] = Number(u & 0x7fn) | 0x80;
    u >>= 7n;
  }
  buf[off++] = Number(u);
  return off;
}

/** Encodes `e` as protobuf bytes (readable by `Entry.decode` and by etcd). */
export function encodeEntry(e: Entry): Buffer {
  const type = e.Type >>> 0;
  const dataLen = e.Data.length;
  const size =
    1 + varintBytesNum(type) + 1 + varintBytes(e.Term) + 1 + varintBytes(e.Index) + (dataLen > 0 ? 1 + varintBytesNum(dataLen) + dataLen : 0);
  const buf = Buffer.allocUnsafe(size);
  let p = 0;
  buf[p++] = 0x08;
  p = writeVarintNum(buf, p, type);
  buf[p++] = 0x10;
  p = writeVarint(buf, p, e.Term);
  buf[p++] = 0x18;
  p = writeVarint(buf, p, e.Index);
  if (dataLen > 0) {
    buf[p++] = 0x22;
    p = writeVarintNum(buf, p, dataLen);
    buf.set(e.Data, p);
  }
  return buf;
}
