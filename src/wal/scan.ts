/**
 * Reads a run of segments record by record, verifying framing and the CRC
 * chain, and decides where the log ends.
 *
 * The log ends at an all-zero length field, or at a bad record (a length
 * field this WAL never writes, a record that does not parse, a CRC
 * mismatch). That end is either the torn tail of a write that never fully
 * reached the disk — unacknowledged, safe to drop — or damage to durable data,
 * which must stop the server. The rules:
 *
 * - Only the last segment can end torn: a segment is synced before the next
 *   one is named. In an earlier segment a bad record, or data after the end,
 *   is damage.
 * - A length over the limit is damage: frames are 8-byte aligned, so a
 *   length field is never split by a torn write and cannot grow.
 * - Otherwise look for valid data after the end: a frame that decodes and is
 *   followed by a frame chaining from its CRC (or by the end of the data). If
 *   there is none, the end is torn, whatever shape the debris has.
 * - If there is, the bytes between the end and that frame must contain a
 *   sector (512-byte aligned piece) of zeros — a part of one write that never
 *   landed, so what follows it belongs to the same unacknowledged write.
 *   Without one, valid data follows a bad record: the log is corrupt.
 * @module
 */
import { join } from "node:path";
import { crc32cUpdate } from "../pkg/crc32c.js";
import { BlockReader } from "./block-reader.js";
import { WalError } from "./errors.js";
import { closeFile, endOfNonZero, fileSize, openFile, readAt } from "../pkg/fsio.js";
import type { SegmentName } from "./names.js";
import { FRAME_HEADER_BYTES, RecordType, SECTOR_BYTES, decodeRecord, parseFrameHeader } from "./record.js";
import type { DecodedRecord } from "./record.js";

/** Where a record sits, for error messages. */
export interface RecordPosition {
  file: string;
  offset: number;
}

/** Called for every valid record in log order; throws to stop the scan. */
export type RecordVisitor = (rec: DecodedRecord, at: RecordPosition) => void;

export interface ScanResult {
  /** Running CRC after the last valid record. */
  crc: number;
  /** The last segment read. */
  last: SegmentName;
  /** Offset just past the last valid record of the last segment: where appends go. */
  validEnd: number;
  /** File size of the last segment. */
  size: number;
  /** End of the non-zero bytes of the last segment (above `validEnd` when debris follows the log). */
  dirtyEnd: number;
  /** Present when the last segment ended in a torn record. */
  torn: { offset: number; reason: string } | undefined;
}

export async function scanSegments(
  dir: string,
  segments: readonly SegmentName[],
  maxRecordBytes: number,
  visit: RecordVisitor,
): Promise<ScanResult> {
  let crc = 0;
  let result: ScanResult | undefined;
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i]!;
    const isLast = i === segments.length - 1;
    const fd = await openFile(join(dir, seg.name), "r");
    try {
      const size = await fileSize(fd);
      const out = await scanOne(fd, size, seg.name, isLast, crc, maxRecordBytes, visit);
      crc = out.crc;
      if (isLast) result = { crc, last: seg, validEnd: out.validEnd, dirtyEnd: out.dirtyEnd, size, torn: out.torn };
    } finally {
      await closeFile(fd);
    }
  }
  if (result === undefined) throw new WalError("FileNotFound", "no segment to read");
  return result;
}

interface SegmentOutcome {
  crc: number;
  validEnd: number;
  dirtyEnd: number;
  torn: { offset: number; reason: string } | undefined;
}

async function scanOne(
  fd: number,
  size: number,
  file: string,
  isLast: boolean,
  startCrc: number,
  maxRecordBytes: number,
  visit: RecordVisitor,
): Promise<SegmentOutcome> {
  const reader = new BlockReader(fd, size);
  let crc = startCrc;
  let off = 0;
  // The log stops at `off`: decide whether that is a clean end, a torn tail or damage.
  const stop = async (reason: string | undefined, damage = false): Promise<SegmentOutcome> => {
    const dirtyEnd = off >= size ? off : await endOfNonZero(fd, off, size);
    if (reason === undefined && dirtyEnd === off) return { crc, validEnd: off, dirtyEnd, torn: undefined };
    const why = reason ?? "data after the end of the log";
    if (isLast && !damage && (await isTorn(fd, off, dirtyEnd, maxRecordBytes))) {
      return { crc, validEnd: off, dirtyEnd, torn: { offset: off, reason: why } };
    }
    const evidence = !isLast
      ? "in a segment that was complete before the next one began"
      : damage
        ? "which a torn write cannot produce"
        : "with valid data after it";
    throw new WalError("Corrupt", `${why}, ${evidence}: the log is damaged`, { file, offset: off });
  };
  for (;;) {
    if (off === size) return stop(undefined);
    if (off + FRAME_HEADER_BYTES > size) return stop("partial length field at the end of the file");
    const header = parseFrameHeader(await reader.view(off, FRAME_HEADER_BYTES), 0, maxRecordBytes);
    if (header.kind === "end") return stop(undefined);
    if (header.kind === "invalid") return stop(header.reason, header.recordBytes > maxRecordBytes);
    const dataStart = off + FRAME_HEADER_BYTES;
    const extentEnd = dataStart + header.recordBytes + header.padding;
    if (extentEnd > size) return stop("record runs past the end of the file");
    const body = await reader.view(dataStart, header.recordBytes);
    const rec = decodeRecord(body, 0, body.length);
    if (typeof rec === "string") return stop(`undecodable record: ${rec}`);
    if (rec.type === RecordType.Crc) {
      // The CRC carried into a segment must continue the chain; 0 means "first segment read".
      if (crc !== 0 && rec.crc !== crc) {
        throw new WalError("CrcMismatch", `segment starts with crc ${hex(rec.crc)}, the log before it ends with ${hex(crc)}`, { file, offset: off });
      }
      crc = rec.crc;
    } else {
      const next = crc32cUpdate(crc, rec.data);
      if (next !== rec.crc) return stop(`crc mismatch (record ${hex(rec.crc)}, computed ${hex(next)})`);
      crc = next;
    }
    visit(rec, { file, offset: off });
    off = extentEnd;
  }
}

/** The log stopped at `from`; non-zero bytes run to `dirtyEnd`. See the module comment. */
async function isTorn(fd: number, from: number, dirtyEnd: number, maxRecordBytes: number): Promise<boolean> {
  if (dirtyEnd <= from) return true;
  const buf = Buffer.allocUnsafe(dirtyEnd - from);
  await readAt(fd, buf, 0, buf.length, from);
  const resync = findValidFrame(buf, FRAME_HEADER_BYTES, maxRecordBytes);
  if (resync === undefined) return true;
  return hasZeroSector(buf, from, 0, resync);
}

const KNOWN_TYPES = new Set<number>(Object.values(RecordType));

/**
 * The first 8-aligned offset at or after `from` in `buf` where a frame
 * decodes with a known type and is followed by a frame chaining from its CRC,
 * or by the end of `buf` (the caller's data ends there; zeros follow).
 */
export function findValidFrame(buf: Buffer, from: number, maxRecordBytes: number): number | undefined {
  for (let p = from; p + FRAME_HEADER_BYTES <= buf.length; p += 8) {
    const first = frameAt(buf, p, maxRecordBytes);
    if (first === undefined) continue;
    if (first.end + FRAME_HEADER_BYTES > buf.length) return p;
    const h = parseFrameHeader(buf, first.end, maxRecordBytes);
    if (h.kind === "end") return p;
    const second = frameAt(buf, first.end, maxRecordBytes);
    if (second === undefined) continue;
    const chained = second.rec.type === RecordType.Crc ? second.rec.crc === first.rec.crc : crc32cUpdate(first.rec.crc, second.rec.data) === second.rec.crc;
    if (chained) return p;
  }
  return undefined;
}

function frameAt(buf: Buffer, p: number, maxRecordBytes: number): { rec: DecodedRecord; end: number } | undefined {
  const h = parseFrameHeader(buf, p, maxRecordBytes);
  if (h.kind !== "frame") return undefined;
  const end = p + FRAME_HEADER_BYTES + h.recordBytes + h.padding;
  if (end > buf.length) return undefined;
  const rec = decodeRecord(buf, p + FRAME_HEADER_BYTES, p + FRAME_HEADER_BYTES + h.recordBytes);
  if (typeof rec === "string" || !KNOWN_TYPES.has(rec.type)) return undefined;
  return { rec, end };
}

/**
 * True when some 512-byte-aligned sector's share of `buf[start, end)` is all
 * zeros (`buf[0]` sits at file offset `fileOffset`): a piece of a write that
 * never reached the disk.
 */
export function hasZeroSector(buf: Uint8Array, fileOffset: number, start: number, end: number): boolean {
  let a = start;
  while (a < end) {
    const b = Math.min(end, a + SECTOR_BYTES - ((fileOffset + a) % SECTOR_BYTES));
    if (isZero(buf, a, b)) return true;
    a = b;
  }
  return false;
}

function isZero(data: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (data[i] !== 0) return false;
  return true;
}

function hex(v: number): string {
  return `0x${v.toString(16).padStart(8, "0")}`;
}
