/**
 * Segment file names: `<seq>-<index>.wal`, both 16 lower-case hex digits.
 * `seq` counts segments from 0; `index` is the raft index the first entry
 * written into the segment was expected to have (the last entry index + 1 at
 * the time it was cut). Lexical order of names is their order in the log.
 * @module
 */
import { hex16 } from "../pkg/hex.js";

export interface SegmentName {
  name: string;
  seq: bigint;
  index: bigint;
}

const WAL_NAME = /^([0-9a-f]{16})-([0-9a-f]{16})\.wal$/;

export function segmentFileName(seq: bigint, index: bigint): string {
  return `${hex16(seq)}-${hex16(index)}.wal`;
}

export function parseSegmentName(name: string): SegmentName | undefined {
  const m = WAL_NAME.exec(name);
  if (m === null) return undefined;
  return { name, seq: BigInt(`0x${m[1]!}`), index: BigInt(`0x${m[2]!}`) };
}

/** The segment names among `names`, sorted in log order. */
export function segmentNames(names: readonly string[]): SegmentName[] {
  const out: SegmentName[] = [];
  for (const n of names) {
    const parsed = parseSegmentName(n);
    if (parsed !== undefined) out.push(parsed);
  }
  return out.sort((a, b) => (a.seq < b.seq ? -1 : a.seq > b.seq ? 1 : 0));
}

/**
 * Position of the last segment whose first index is at or below `index`:
 * the segment a reader starting after a snapshot at `index` must begin with.
 * -1 when every segment starts above it.
 */
export function searchIndex(segments: readonly SegmentName[], index: bigint): number {
  for (let i = segments.length - 1; i >= 0; i--) {
    if (segments[i]!.index <= index) return i;
  }
  return -1;
}

/** True when the sequence numbers are consecutive (no segment is missing). */
export function isContiguous(segments: readonly SegmentName[]): boolean {
  for (let i = 1; i < segments.length; i++) {
    if (segments[i]!.seq !== segments[i - 1]!.seq + 1n) return false;
  }
  return true;
}
