/**
 * Turns the records of a run of segments into raft's persisted state: the
 * metadata, the last hard state, and the entries after a snapshot marker,
 * with raft's log truncation applied (an entry whose index is at or below
 * the last one read replaces the tail from that index on).
 * @module
 */
import { Entry, HardState } from "../gen/raftpb/raft.js";
import type { ConfState } from "../gen/raftpb/raft.js";
import { Snapshot as WalSnapshotCodec } from "../gen/walpb/record.js";
import { WalError } from "./errors.js";
import type { SegmentName } from "./names.js";
import { RecordType } from "./record.js";
import type { DecodedRecord } from "./record.js";
import { scanSegments } from "./scan.js";
import type { RecordPosition, ScanResult } from "./scan.js";

/** A snapshot marker: the log continues after (index, term). */
export interface WalSnapshot {
  index: bigint;
  term: bigint;
  confState?: ConfState | undefined;
}

export interface ReplayResult {
  metadata: Buffer;
  hardState: HardState;
  /** Entries with index above the snapshot, consecutive, in order. */
  entries: Entry[];
  /** Highest index seen in an entry or snapshot marker: names the next segment. */
  lastIndex: bigint;
  scan: ScanResult;
}

export async function replay(dir: string, segments: readonly SegmentName[], start: WalSnapshot, maxRecordBytes: number): Promise<ReplayResult> {
  let metadata: Buffer | undefined;
  let hardState: HardState = { term: 0n, vote: 0n, commit: 0n };
  const entries: Entry[] = [];
  let lastIndex = 0n;
  let matched = false;

  const visit = (rec: DecodedRecord, at: RecordPosition): void => {
    switch (rec.type) {
      case RecordType.Entry: {
        const e = decodeOrThrow(() => Entry.decode(rec.data), "entry", at);
        if (e.Index > start.index) {
          const pos = e.Index - start.index - 1n;
          if (pos > BigInt(entries.length)) {
            const last = start.index + BigInt(entries.length);
            throw new WalError("EntryGap", `entry ${e.Index} does not follow entry ${last}`, at);
          }
          entries.length = Number(pos);
          entries.push(e);
        }
        lastIndex = e.Index;
        return;
      }
      case RecordType.State:
        hardState = decodeOrThrow(() => HardState.decode(rec.data), "hard state", at);
        return;
      case RecordType.Metadata:
        if (metadata !== undefined && !metadata.equals(rec.data)) {
          throw new WalError("MetadataConflict", "segments carry different metadata", at);
        }
        metadata ??= Buffer.from(rec.data);
        return;
      case RecordType.Snapshot: {
        const s = decodeOrThrow(() => WalSnapshotCodec.decode(rec.data), "snapshot marker", at);
        if (s.index === start.index) {
          if (s.term !== start.term) {
            throw new WalError("SnapshotMismatch", `snapshot marker at index ${s.index} has term ${s.term}, expected ${start.term}`, at);
          }
          matched = true;
        }
        if (s.index > lastIndex) lastIndex = s.index;
        return;
      }
      case RecordType.Crc:
        return;
      default:
        throw new WalError("UnknownRecordType", `unknown record type ${rec.type}`, at);
    }
  };

  const scan = await scanSegments(dir, segments, maxRecordBytes, visit);
  if (!matched) {
    throw new WalError("SnapshotNotFound", `no snapshot marker at index ${start.index} term ${start.term}`, { file: segments[0]?.name });
  }
  return { metadata: metadata ?? Buffer.alloc(0), hardState, entries, lastIndex, scan };
}

/**
 * Every snapshot marker in the segments whose index is at or below the last
 * committed index (a marker above it may belong to a snapshot that was never
 * fully saved). The newest snapshot file matching one of them is the one to
 * restore from.
 */
export async function readSnapshotMarkers(dir: string, segments: readonly SegmentName[], maxRecordBytes: number): Promise<WalSnapshot[]> {
  const markers: WalSnapshot[] = [];
  let commit = 0n;
  await scanSegments(dir, segments, maxRecordBytes, (rec, at) => {
    if (rec.type === RecordType.Snapshot) {
      const s = decodeOrThrow(() => WalSnapshotCodec.decode(rec.data), "snapshot marker", at);
      markers.push({ index: s.index, term: s.term, confState: s.confState });
    } else if (rec.type === RecordType.State) {
      commit = decodeOrThrow(() => HardState.decode(rec.data), "hard state", at).commit;
    }
  });
  return markers.filter((m) => m.index <= commit);
}

function decodeOrThrow<T>(decode: () => T, what: string, at: RecordPosition): T {
  try {
    return decode();
  } catch (cause) {
    // The CRC matched, so these are the bytes that were written: a writer bug, not disk damage.
    throw new WalError("Corrupt", `${what} record does not decode`, { ...at, cause });
  }
}
