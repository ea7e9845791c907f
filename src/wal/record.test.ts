import { test } from "node:test";
import assert from "node:assert/strict";
import { Record } from "../gen/walpb/record.js";
import { crc32cUpdate } from "../pkg/crc32c.js";
import { SeededRandom } from "../pkg/random.js";
import { RecordType, decodeRecord, encodeFrames, frameBytes, paddingFor, parseFrameHeader } from "./record.js";
import type { PendingRecord } from "./record.js";
import { findValidFrame, hasZeroSector } from "./scan.js";
import { isContiguous, parseSegmentName, searchIndex, segmentFileName, segmentNames } from "./names.js";

function randomBytes(rnd: SeededRandom, n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = rnd.intn(256);
  return b;
}

/** Walks the frames of `bytes` the way a reader does, with the generated codec. */
function readFrames(bytes: Buffer): { type: bigint; crc: number; data: Buffer; offset: number }[] {
  const out = [];
  let off = 0;
  while (off < bytes.length) {
    const h = parseFrameHeader(bytes, off, 1 << 30);
    assert.equal(h.kind, "frame");
    if (h.kind !== "frame") break;
    const rec = Record.decode(bytes.subarray(off + 8, off + 8 + h.recordBytes));
    out.push({ ...rec, offset: off });
    off += 8 + h.recordBytes + h.padding;
  }
  assert.equal(off, bytes.length);
  return out;
}

test("encodeFrames writes 8-byte aligned frames that protobuf decodes, with a chained CRC", () => {
  const rnd = new SeededRandom(1);
  const records: PendingRecord[] = [];
  for (let i = 0; i < 200; i++) {
    const type = ([RecordType.Entry, RecordType.State, RecordType.Metadata, RecordType.Snapshot] as const)[rnd.intn(4)]!;
    records.push({ type, data: randomBytes(rnd, rnd.intn(i < 100 ? 40 : 2000)) });
  }
  const start = 0x1234abcd;
  const { bytes, crc } = encodeFrames(records, start);
  const frames = readFrames(bytes);
  assert.equal(frames.length, records.length);
  let running = start;
  for (let i = 0; i < records.length; i++) {
    running = crc32cUpdate(running, records[i]!.data);
    const f = frames[i]!;
    assert.equal(f.offset % 8, 0);
    assert.equal(f.type, BigInt(records[i]!.type));
    assert.equal(f.crc, running, `record ${i} crc`);
    assert.deepEqual(f.data, Buffer.from(records[i]!.data));
    // Our decoder reads the same thing.
    const h = parseFrameHeader(bytes, f.offset, 1 << 30);
    assert.equal(h.kind, "frame");
    const ours = decodeRecord(bytes, f.offset + 8, f.offset + 8 + (h.kind === "frame" ? h.recordBytes : 0));
    assert.notEqual(typeof ours, "string");
    if (typeof ours !== "string") {
      assert.equal(ours.type, records[i]!.type);
      assert.equal(ours.crc, running);
      assert.deepEqual(ours.data, Buffer.from(records[i]!.data));
    }
  }
  assert.equal(crc, running);
});

test("a crc record carries the running CRC and leaves it unchanged", () => {
  const { bytes, crc } = encodeFrames([{ type: RecordType.Crc, data: Buffer.alloc(0) }], 0xdeadbeef);
  assert.equal(crc, 0xdeadbeef);
  const [f] = readFrames(bytes);
  assert.equal(f!.crc, 0xdeadbeef);
  assert.equal(f!.type, 4n);
  assert.equal(f!.data.length, 0);
});

test("the length field: size in the low bits, 0x80|padding in the top byte (etcd's layout)", () => {
  for (let n = 1; n < 40; n++) {
    assert.equal((n + paddingFor(n)) % 8, 0);
    assert.equal(frameBytes(n) % 8, 0);
  }
  const { bytes } = encodeFrames([{ type: RecordType.Entry, data: Buffer.from("abc") }], 0);
  // Record = 08 02 10 <crc varint> 1a 03 'a' 'b' 'c'; padding makes it a multiple of 8.
  const size = bytes.readUInt32LE(0);
  const pad = paddingFor(size);
  assert.equal(bytes[7], pad === 0 ? 0 : 0x80 | pad);
  assert.equal(bytes[4], 0);
  assert.equal(bytes.length, 8 + size + pad);
  assert.deepEqual(bytes.subarray(8 + size), Buffer.alloc(pad));
});

test("parseFrameHeader: zeros end the log; inconsistent flags and huge lengths are invalid", () => {
  assert.deepEqual(parseFrameHeader(Buffer.alloc(8), 0, 100), { kind: "end" });
  const h = Buffer.alloc(8);
  h.writeUInt32LE(13, 0);
  h[7] = 0x83;
  assert.deepEqual(parseFrameHeader(h, 0, 100), { kind: "frame", recordBytes: 13, padding: 3 });
  h[7] = 0x00; // 13 bytes need padding
  assert.equal(parseFrameHeader(h, 0, 100).kind, "invalid");
  h[7] = 0x84; // wrong padding
  assert.equal(parseFrameHeader(h, 0, 100).kind, "invalid");
  h[7] = 0x83 | 0x10; // stray flag bits
  assert.equal(parseFrameHeader(h, 0, 100).kind, "invalid");
  h.writeUInt32LE(16, 0);
  h[7] = 0;
  assert.deepEqual(parseFrameHeader(h, 0, 100), { kind: "frame", recordBytes: 16, padding: 0 });
  h[5] = 1; // 2^40 + 16 bytes
  assert.equal(parseFrameHeader(h, 0, 100).kind, "invalid");
});

test("decodeRecord accepts what the generated codec writes, skips unknown fields, rejects truncation", () => {
  const enc = Buffer.from(Record.encode({ type: 3n, crc: 0xfffffffe, data: Buffer.from("hello") }).finish());
  assert.deepEqual(decodeRecord(enc, 0, enc.length), { type: 3, crc: 0xfffffffe, data: Buffer.from("hello") });
  // Zero fields omitted (proto3 style) decode as zeros.
  const empty = Buffer.from(Record.encode({ type: 0n, crc: 0, data: Buffer.alloc(0) }).finish());
  assert.equal(empty.length, 0);
  assert.deepEqual(decodeRecord(empty, 0, 0), { type: 0, crc: 0, data: Buffer.alloc(0) });
  // An unknown varint field 9 and fixed32 field 10 in front.
  const withUnknown = Buffer.concat([Buffer.from([0x48, 0x96, 0x01, 0x55, 1, 2, 3, 4]), enc]);
  assert.deepEqual(decodeRecord(withUnknown, 0, withUnknown.length), { type: 3, crc: 0xfffffffe, data: Buffer.from("hello") });
  assert.equal(typeof decodeRecord(enc, 0, enc.length - 1), "string");
  assert.equal(typeof decodeRecord(Buffer.from([0x0b]), 0, 1), "string"); // wire type 3 (group)
});

test("hasZeroSector: some sector's share of the range is all zeros", () => {
  const data = Buffer.alloc(1500, 7);
  // data[0] sits at file offset 8: sector boundaries fall at data offsets 504 and 1016.
  assert.equal(hasZeroSector(data, 8, 0, 1500), false);
  data.fill(0, 504, 1016);
  assert.equal(hasZeroSector(data, 8, 0, 1500), true, "a whole sector");
  data.fill(7);
  data.fill(0, 1016);
  assert.equal(hasZeroSector(data, 8, 0, 1500), true, "the share of the last sector");
  data.fill(7);
  data.fill(0, 0, 504);
  assert.equal(hasZeroSector(data, 8, 0, 1500), true, "the share of the first sector");
  data.fill(7);
  data.fill(0, 1017);
  assert.equal(hasZeroSector(data, 8, 0, 1500), false, "zeros not reaching back to a boundary");
  data.fill(7);
  data.fill(0, 600, 900);
  assert.equal(hasZeroSector(data, 8, 0, 1500), false, "zeros inside a sector are data");
});

test("findValidFrame: a decodable frame chained to the next one, or followed by the end", () => {
  const { bytes } = encodeFrames(
    [1, 2, 3].map((i) => ({ type: RecordType.Entry, data: Buffer.alloc(100, i) })),
    77,
  );
  const junk = Buffer.alloc(64, 0xa5);
  const buf = Buffer.concat([junk, bytes]);
  assert.equal(findValidFrame(buf, 0, 1 << 20), 64);
  // The last frame alone (followed by the end of the data) still counts.
  const lastFrame = bytes.length - frameBytes(bytes.readUInt32LE(0));
  assert.equal(findValidFrame(Buffer.concat([junk, bytes.subarray(lastFrame)]), 0, 1 << 20), 64);
  // Two frames that do not chain (the second one's CRC is from elsewhere) followed by more data do not.
  const other = encodeFrames([{ type: RecordType.Entry, data: Buffer.alloc(100, 9) }], 5).bytes;
  const unchained = Buffer.concat([junk, bytes.subarray(0, frameBytes(bytes.readUInt32LE(0))), other, junk]);
  assert.equal(findValidFrame(unchained, 0, 1 << 20), undefined);
  assert.equal(findValidFrame(junk, 0, 1 << 20), undefined);
});

test("segment names: format, parse, order, search and contiguity", () => {
  assert.equal(segmentFileName(1n, 0x21n), "0000000000000001-0000000000000021.wal");
  assert.deepEqual(parseSegmentName("0000000000000002-0000000000000031.wal"), { name: "0000000000000002-0000000000000031.wal", seq: 2n, index: 0x31n });
  assert.equal(parseSegmentName("0.tmp"), undefined);
  assert.equal(parseSegmentName("0000000000000002-0000000000000031.wal.broken"), undefined);
  const segs = segmentNames(["x", segmentFileName(2n, 30n), segmentFileName(0n, 0n), segmentFileName(1n, 10n), "wal.lock"]);
  assert.deepEqual(segs.map((s) => s.seq), [0n, 1n, 2n]);
  assert.equal(searchIndex(segs, 0n), 0);
  assert.equal(searchIndex(segs, 9n), 0);
  assert.equal(searchIndex(segs, 10n), 1);
  assert.equal(searchIndex(segs, 1000n), 2);
  assert.equal(searchIndex(segs.slice(1), 5n), -1);
  assert.equal(isContiguous(segs), true);
  assert.equal(isContiguous([segs[0]!, segs[2]!]), false);
});
