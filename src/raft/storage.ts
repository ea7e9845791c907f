/**
 * The log storage raft reads from. Raft never writes to it: the application
 * appends entries, sets the hard state and installs snapshots as it processes
 * each Ready (see README.md). {@link MemoryStorage} is the reference
 * implementation, used by tests, the benchmark, and as the in-memory cache in
 * front of a WAL.
 * @module
 */
import type { ConfState, Entry, HardState, Snapshot } from "../gen/raftpb/raft.js";
import {
  CompactedError,
  SnapshotOutOfDateError,
  UnavailableError,
  invariant,
} from "./errors.js";
import { emptyHardState, emptySnapshot, limitSize, makeEntry, NO_LIMIT, snapConfState, snapIndex, snapTerm } from "./util.js";

/**
 * Read access to the persisted log. Errors are thrown as typed values:
 * - {@link CompactedError} when an index is at or below the compaction point;
 * - {@link UnavailableError} when an index is beyond the last entry;
 * - `SnapshotTemporarilyUnavailableError` from `snapshot()` while one is being
 *   made (raft then retries later).
 */
export interface Storage {
  /** The persisted HardState and the ConfState of the latest snapshot. */
  initialState(): { hardState: HardState; confState: ConfState };
  /**
   * Entries in [lo, hi). `maxSize` caps the total size, but at least one
   * entry is returned when any is available.
   */
  entries(lo: bigint, hi: bigint, maxSize?: number): Entry[];
  /** The term of entry `i`; `i` may be firstIndex()-1 (the snapshot's term). */
  term(i: bigint): bigint;
  /** The index of the last entry (the snapshot index when no entries follow it). */
  lastIndex(): bigint;
  /** The index of the first entry still available (snapshot index + 1). */
  firstIndex(): bigint;
  /** The most recent snapshot. */
  snapshot(): Snapshot;
}

/**
 * A Storage backed by an array. `ents[0]` is a dummy entry holding the index
 * and term of the last compaction point (the snapshot), so every lookup is an
 * offset from it.
 */
export class MemoryStorage implements Storage {
  #hardState: HardState = emptyHardState();
  #snapshot: Snapshot = emptySnapshot();
  #ents: Entry[] = [makeEntry({})];

  /**
   * `confState` sets the membership of an empty log (a group created without
   * bootstrap entries, as tests and a restored member do).
   */
  constructor(init?: { confState?: ConfState }) {
    if (init?.confState !== undefined) {
      this.#snapshot = { data: this.#snapshot.data, metadata: { confState: init.confState, index: 0n, term: 0n } };
    }
  }

  initialState(): { hardState: HardState; confState: ConfState } {
    return { hardState: { ...this.#hardState }, confState: snapConfState(this.#snapshot) };
  }

  /** The last HardState saved (a copy). */
  hardState(): HardState {
    return { ...this.#hardState };
  }

  setHardState(hs: HardState): void {
    this.#hardState = { term: hs.term, vote: hs.vote, commit: hs.commit };
  }

  entries(lo: bigint, hi: bigint, maxSize: number = NO_LIMIT): Entry[] {
    const offset = this.#ents[0]!.Index;
    if (lo <= offset) throw new CompactedError();
    const last = this.#lastIndex();
    if (hi > last + 1n) invariant(`entries' hi(${hi}) is out of bound lastindex(${last})`);
    if (this.#ents.length === 1) throw new UnavailableError();
    const ents = this.#ents.slice(Number(lo - offset), Number(hi - offset));
    return limitSize(ents, maxSize);
  }

  term(i: bigint): bigint {
    const offset = this.#ents[0]!.Index;
    if (i < offset) throw new CompactedError();
    const k = Number(i - offset);
    if (k >= this.#ents.length) throw new UnavailableError();
    return this.#ents[k]!.Term;
  }

  lastIndex(): bigint {
    return this.#lastIndex();
  }

  firstIndex(): bigint {
    return this.#ents[0]!.Index + 1n;
  }

  snapshot(): Snapshot {
    return this.#snapshot;
  }

  /** Replaces everything with `snap` (entries after it are dropped). */
  applySnapshot(snap: Snapshot): void {
    if (snapIndex(this.#snapshot) >= snapIndex(snap)) throw new SnapshotOutOfDateError();
    this.#snapshot = snap;
    this.#ents = [makeEntry({ Index: snapIndex(snap), Term: snapTerm(snap) })];
  }

  /**
   * Records a snapshot of the applied state at index `i` (which must be in the
   * log) and returns it. Does not compact; call {@link compact} separately,
   * usually leaving some entries behind for slow followers.
   */
  createSnapshot(i: bigint, cs: ConfState | undefined, data: Buffer): Snapshot {
    if (i <= snapIndex(this.#snapshot)) throw new SnapshotOutOfDateError();
    const offset = this.#ents[0]!.Index;
    const last = this.#lastIndex();
    if (i > last) invariant(`snapshot ${i} is out of bound lastindex(${last})`);
    const term = this.#ents[Number(i - offset)]!.Term;
    const confState = cs ?? snapConfState(this.#snapshot);
    this.#snapshot = { data, metadata: { confState, index: i, term } };
    return this.#snapshot;
  }

  /** Discards entries up to and including `compactIndex`. */
  compact(compactIndex: bigint): void {
    const offset = this.#ents[0]!.Index;
    if (compactIndex <= offset) throw new CompactedError();
    const last = this.#lastIndex();
    if (compactIndex > last) invariant(`compact ${compactIndex} is out of bound lastindex(${last})`);
    const k = Number(compactIndex - offset);
    const head = this.#ents[k]!;
    const ents = this.#ents.slice(k);
    ents[0] = makeEntry({ Index: head.Index, Term: head.Term });
    this.#ents = ents;
  }

  /**
   * Appends entries, replacing any existing suffix they overlap (entries must
   * be contiguous with, or overlap, the current log). Entries at or below the
   * compaction point are ignored.
   */
  append(entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    const first = this.firstIndex();
    const firstNew = entries[0]!.Index;
    const lastNew = firstNew + BigInt(entries.length) - 1n;
    if (lastNew < first) return;
    let from = 0;
    if (first > firstNew) from = Number(first - firstNew);
    const start = entries[from]!.Index;
    const offset = Number(start - this.#ents[0]!.Index);
    const ents = this.#ents;
    if (ents.length > offset) {
      ents.length = offset;
    } else if (ents.length < offset) {
      invariant(`missing log entry [last: ${this.#lastIndex()}, append at: ${start}]`);
    }
    for (let i = from; i < entries.length; i++) ents.push(entries[i]!);
  }

  #lastIndex(): bigint {
    return this.#ents[0]!.Index + BigInt(this.#ents.length) - 1n;
  }
}
