/**
 * Protobuf encoding of `mvccpb.KeyValue`, hand-written for the hot path.
 * It produces exactly the canonical bytes of etcd's gogo marshaller and of
 * ts-proto (fields in number order, zero values omitted, int64 as varint,
 * negatives as 10-byte two's complement), which matters because HashKV
 * hashes these bytes. `kv-codec.test.ts` checks it against ts-proto.
 * @module
 */

import type { KeyValue } from "../../gen/mvccpb/kv.js";
import { int64Size, varintSize, writeInt64, writeVarint } from "../../pkg/varint.js";

const EMPTY = Buffer.alloc(0);

export function encodeKeyValue(kv: KeyValue): Buffer {
  const { key, value, createRevision, modRevision, version, lease } = kv;
  let size = 0;
  if (key.length > 0) size += 1 + varintSize(key.length) + key.length;
  if (createRevision !== 0n) size += 1 + int64Size(createRevision);
  if (modRevision !== 0n) size += 1 + int64Size(modRevision);
  if (version !== 0n) size += 1 + int64Size(version);
  if (value.length > 0) size += 1 + varintSize(value.length) + value.length;
  if (lease !== 0n) size += 1 + int64Size(lease);
  const buf = Buffer.allocUnsafe(size);
  let pos = 0;
  if (key.length > 0) {
    buf[pos++] = 0x0a;
    pos = writeVarint(buf, pos, key.length);
    pos += key.copy(buf, pos);
  }
  if (createRevision !== 0n) {
    buf[pos++] = 0x10;
    pos = writeInt64(buf, pos, createRevision);
  }
  if (modRevision !== 0n) {
    buf[pos++] = 0x18;
    pos = writeInt64(buf, pos, modRevision);
  }
  if (version !== 0n) {
    buf[pos++] = 0x20;
    pos = writeInt64(buf, pos, version);
  }
  if (value.length > 0) {
    buf[pos++] = 0x2a;
    pos = writeVarint(buf, pos, value.length);
    pos += value.copy(buf, pos);
  }
  if (lease !== 0n) {
    buf[pos++] = 0x30;
    pos = writeInt64(buf, pos, lease);
  }
  return buf;
}

class Reader {
  pos = 0;
  constructor(
    readonly buf: Buffer,
    readonly copy: boolean,
  ) {}

  /** A varint that fits in a safe integer (lengths, tags). */
  uint(): number {
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 8; i++) {
      const byte = this.#byte();
      result += (byte & 0x7f) * mul;
      if (byte < 0x80) return result;
      mul *= 128;
    }
    throw new Error("kv-codec: varint too long for a length");
  }

  /** An int64 varint. */
  int64(): bigint {
    let lo = 0;
    let mul = 1;
    const start = this.pos;
    // Up to 7 bytes (49 bits) stay exact in a double.
    for (let i = 0; i < 7; i++) {
      const byte = this.#byte();
      lo += (byte & 0x7f) * mul;
      if (byte < 0x80) return BigInt(lo);
      mul *= 128;
    }
    this.pos = start;
    let u = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      const byte = this.#byte();
      u |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) return BigInt.asIntN(64, u);
      shift += 7n;
    }
    throw new Error("kv-codec: malformed varint");
  }

  bytes(): Buffer {
    const len = this.uint();
    const end = this.pos + len;
    if (end > this.buf.length) throw new Error("kv-codec: truncated bytes field");
    let out: Buffer;
    if (this.copy) {
      out = Buffer.allocUnsafe(len);
      this.buf.copy(out, 0, this.pos, end);
    } else {
      out = this.buf.subarray(this.pos, end);
    }
    this.pos = end;
    return out;
  }

  skip(wireType: number): void {
    // Note: read the length before moving pos (`pos += uint()` would use the old pos).
    switch (wireType) {
      case 0:
        this.int64();
        return;
      case 1:
        this.pos += 8;
        return;
      case 2: {
        const len = this.uint();
        this.pos += len;
        return;
      }
      case 5:
        this.pos += 4;
        return;
      default:
        throw new Error(`kv-codec: unsupported wire type ${wireType}`);
    }
  }

  #byte(): number {
    if (this.pos >= this.buf.length) throw new Error("kv-codec: truncated varint");
    return this.buf[this.pos++]!;
  }
}

/**
 * Decodes a stored KeyValue. By default `key` and `value` are views into
 * `buf` (no copy), so `buf` must stay untouched; with `copy` they are fresh
 * buffers and `buf` may be a scratch buffer.
 */
export function decodeKeyValue(buf: Buffer, copy = false): KeyValue {
  const kv: KeyValue = { key: EMPTY, createRevision: 0n, modRevision: 0n, version: 0n, value: EMPTY, lease: 0n };
  const r = new Reader(buf, copy);
  while (r.pos < buf.length) {
    const tag = r.uint();
    const field = Math.floor(tag / 8);
    const wireType = tag % 8;
    if (field === 1 && wireType === 2) kv.key = r.bytes();
    else if (field === 2 && wireType === 0) kv.createRevision = r.int64();
    else if (field === 3 && wireType === 0) kv.modRevision = r.int64();
    else if (field === 4 && wireType === 0) kv.version = r.int64();
    else if (field === 5 && wireType === 2) kv.value = r.bytes();
    else if (field === 6 && wireType === 0) kv.lease = r.int64();
    else r.skip(wireType);
  }
  if (r.pos !== buf.length) throw new Error("kv-codec: trailing bytes");
  return kv;
}

