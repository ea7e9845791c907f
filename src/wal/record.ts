/**
 * The on-disk record format, pure (no I/O). A segment is a sequence of
 * frames; each frame is
 *
 *   [8-byte little-endian length field][walpb.Record bytes][0-7 zero bytes of padding]
 *
 * The length field holds the record size in its low 56 bits; when padding is
 * present its top byte is `0x80 | padding`. Padding keeps every frame 8-byte
 * aligned, so a length field never straddles a sector and is never torn. An
 * all-zero length field means "no more records": preallocated space is zeros.
 *
 * `walpb.Record` is { type (1, varint), crc (2, varint), data (3, bytes) };
 * `crc` is CRC-32C over the `data` of every record of the log up to and
 * including this one (a `Crc` record carries the running value instead, so a
 * segment can be verified on its own). This is etcd's layout, byte for byte,
 * so either side can read the other's log. The codec is written by hand
 * because the replay loop runs it once per entry, without allocating a
 * Record object for each.
 * @module
 */
import { crc32cUpdate } from "../pkg/crc32c.js";
import { varintSize, writeVarint } from "../pkg/varint.js";

/** Record types, with etcd's numbers. */
export const RecordType = {
  Metadata: 1,
  Entry: 2,
  State: 3,
  Crc: 4,
  Snapshot: 5,
} as const;
export type RecordType = (typeof RecordType)[keyof typeof RecordType];

export const FRAME_HEADER_BYTES = 8;
/** Unit of atomic device writes assumed when telling a torn write from damage. */
export const SECTOR_BYTES = 512;

/** Padding that makes `recordBytes` a multiple of 8. */
export function paddingFor(recordBytes: number): number {
  return (8 - (recordBytes % 8)) % 8;
}

export function frameBytes(recordBytes: number): number {
  return FRAME_HEADER_BYTES + recordBytes + paddingFor(recordBytes);
}

/** Encoded size of a walpb.Record with these fields (type and crc always written, data when non-empty). */
export function recordBytes(type: number, crc: number, dataLength: number): number {
  let n = 1 + varintSize(type) + 1 + varintSize(crc);
  if (dataLength > 0) n += 1 + varintSize(dataLength) + dataLength;
  return n;
}

/** One record to append: its type and payload. */
export interface PendingRecord {
  type: RecordType;
  data: Uint8Array;
}

/**
 * Encodes `records` as consecutive frames into one buffer, chaining the CRC
 * from `crc`. Returns the bytes and the running CRC after the last record.
 */
export function encodeFrames(records: readonly PendingRecord[], crc: number): { bytes: Buffer; crc: number } {
  const crcs = new Array<number>(records.length);
  let total = 0;
  let running = crc;
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    running = crc32cUpdate(running, r.data);
    crcs[i] = running;
    total += frameBytes(recordBytes(r.type, running, r.data.length));
  }
  const out = Buffer.allocUnsafe(total);
  let off = 0;
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    off = writeFrame(out, off, r.type, crcs[i]!, r.data);
  }
  return { bytes: out, crc: running };
}

function writeFrame(out: Buffer, off: number, type: number, crc: number, data: Uint8Array): number {
  const size = recordBytes(type, crc, data.length);
  const pad = paddingFor(size);
  // Length field: low 56 bits are the size (< 2^32 here), top byte flags padding.
  out.writeUInt32LE(size, off);
  out[off + 4] = 0;
  out[off + 5] = 0;
  out[off + 6] = 0;
  out[off + 7] = pad === 0 ? 0 : 0x80 | pad;
  let p = off + FRAME_HEADER_BYTES;
  out[p++] = 0x08;
  p = writeVarint(out, p, type);
  out[p++] = 0x10;
  p = writeVarint(out, p, crc);
  if (data.length > 0) {
    out[p++] = 0x1a;
    p = writeVarint(out, p, data.length);
    out.set(data, p);
    p += data.length;
  }
  out.fill(0, p, p + pad);
  return p + pad;
}

/** What a length field says. */
export type FrameHeader =
  | { kind: "end" }
  | { kind: "frame"; recordBytes: number; padding: number }
  /** Not a length field this WAL writes: flags or padding inconsistent, or absurdly large. */
  | { kind: "invalid"; recordBytes: number; reason: string };

/** Parses the 8-byte length field at `off` (the caller guarantees 8 bytes). */
export function parseFrameHeader(buf: Uint8Array, off: number, maxRecordBytes: number): FrameHeader {
  const lo = buf[off]! | (buf[off + 1]! << 8) | (buf[off + 2]! << 16) | (buf[off + 3]! << 24);
  const b4 = buf[off + 4]!;
  const b5 = buf[off + 5]!;
  const b6 = buf[off + 6]!;
  const top = buf[off + 7]!;
  if (lo === 0 && b4 === 0 && b5 === 0 && b6 === 0 && top === 0) return { kind: "end" };
  const size = (lo >>> 0) + (b4 + b5 * 0x100 + b6 * 0x10000) * 0x1_0000_0000;
  if (size > maxRecordBytes) return { kind: "invalid", recordBytes: size, reason: `record length ${size} over the limit ${maxRecordBytes}` };
  const pad = top & 0x80 ? top & 0x7 : 0;
  if ((top & 0x78) !== 0 || (top !== 0 && pad === 0) || pad !== paddingFor(size)) {
    return { kind: "invalid", recordBytes: size, reason: `length field flags 0x${top.toString(16)} do not match record length ${size}` };
  }
  return { kind: "frame", recordBytes: size, padding: pad };
}

/** A decoded walpb.Record; `data` is a view into the buffer it was read from. */
export interface DecodedRecord {
  type: number;
  crc: number;
  data: Buffer;
}

/**
 * Decodes the walpb.Record in `buf[start, end)`, or returns a reason it is
 * not one. Unknown fields are skipped, as protobuf requires.
 */
export function decodeRecord(buf: Buffer, start: number, end: number): DecodedRecord | string {
  let p = start;
  let type = 0;
  let crc = 0;
  let data: Buffer = EMPTY;
  while (p < end) {
    const tag = readVarint(buf, p, end);
    if (tag === undefined) return "truncated tag";
    p = tag.next;
    const field = Math.floor(tag.value / 8);
    const wire = tag.value % 8;
    if (wire === 0) {
      const v = readVarint(buf, p, end);
      if (v === undefined) return "truncated varint";
      p = v.next;
      if (field === 1) type = v.value;
      else if (field === 2) crc = v.value % 0x1_0000_0000;
    } else if (wire === 2) {
      const len = readVarint(buf, p, end);
      if (len === undefined || len.next + len.value > end) return "truncated bytes field";
      if (field === 3) data = buf.subarray(len.next, len.next + len.value);
      p = len.next + len.value;
    } else if (wire === 1) {
      p += 8;
    } else if (wire === 5) {
      p += 4;
    } else {
      return `unsupported wire type ${wire}`;
    }
    if (p > end) return "field runs past the record";
  }
  return { type, crc, data };
}

const EMPTY = Buffer.alloc(0);

/** Reads a varint as a (possibly imprecise above 2^53) number. */
function readVarint(buf: Uint8Array, p: number, end: number): { value: number; next: number } | undefined {
  let value = 0;
  let mul = 1;
  for (let i = 0; i < 10; i++) {
    if (p >= end) return undefined;
    const b = buf[p++]!;
    value += (b & 0x7f) * mul;
    if ((b & 0x80) === 0) return { value, next: p };
    mul *= 128;
  }
  return undefined;
}
