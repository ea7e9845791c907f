/**
 * The raft log as the state machine sees it: Storage (persisted) followed by
 * the unstable tail, plus the commit, applying and applied cursors.
 *
 * Invariants: applied <= applying <= committed <= lastIndex, and
 * firstIndex - 1 <= committed (a snapshot is always committed).
 * @module
 */
import type { Entry, Snapshot } from "../gen/raftpb/raft.js";
import { CompactedError, UnavailableError, invariant } from "./errors.js";
import { UnstableLog } from "./log-unstable.js";
import type { Storage } from "./storage.js";
import { limitSize, NO_LIMIT, snapIndex } from "./util.js";

export class RaftLog {
  readonly storage: Storage;
  readonly unstable: UnstableLog;
  /** The highest index known to be stored on a quorum. */
  committed: bigint;
  /** The highest index handed to the application in a Ready. */
  applying: bigint;
  /** The highest index the application has acknowledged applying. */
  applied: bigint;
  /** Byte budget for committed entries in one Ready. */
  readonly maxApplyingSize: number;

  constructor(storage: Storage, maxApplyingSize: number = NO_LIMIT) {
    this.storage = storage;
    this.maxApplyingSize = maxApplyingSize;
    const first = storage.firstIndex();
    const last = storage.lastIndex();
    this.unstable = new UnstableLog(last + 1n);
    // Everything up to the snapshot is committed and applied by definition.
    this.committed = first - 1n;
    this.applying = first - 1n;
    this.applied = first - 1n;
  }

  toString(): string {
    return `committed=${this.committed}, applied=${this.applied}, applying=${this.applying}, unstable.offset=${this.unstable.offset}, len(unstable.entries)=${this.unstable.entries.length}`;
  }

  /**
   * Appends the leader's entries after (index, logTerm) if our log matches
   * there, and moves commit up to min(committed, last new index). Returns the
   * last index of the appended range, or undefined on a mismatch.
   */
  maybeAppend(index: bigint, logTerm: bigint, committed: bigint, ents: Entry[]): bigint | undefined {
    if (!this.matchTerm(index, logTerm)) return undefined;
    const lastNew = index + BigInt(ents.length);
    const ci = this.findConflict(ents);
    if (ci !== 0n) {
      if (ci <= this.committed) invariant(`entry ${ci} conflict with committed entry [committed(${this.committed})]`);
      const skip = Number(ci - (index + 1n));
      this.append(skip === 0 ? ents : ents.slice(skip));
    }
    this.commitTo(committed < lastNew ? committed : lastNew);
    return lastNew;
  }

  /** Appends entries (truncating a conflicting unstable suffix); returns the new last index. */
  append(ents: readonly Entry[]): bigint {
    if (ents.length === 0) return this.lastIndex();
    const after = ents[0]!.Index - 1n;
    if (after < this.committed) invariant(`after(${after}) is out of range [committed(${this.committed})]`);
    this.unstable.truncateAndAppend(ents);
    return this.lastIndex();
  }

  /**
   * The index of the first entry in `ents` that is not in our log with the
   * same term (a conflict or a new entry), or 0 when all are present. The
   * entries must be contiguous.
   */
  findConflict(ents: readonly Entry[]): bigint {
    for (let i = 0; i < ents.length; i++) {
      const e = ents[i]!;
      if (!this.matchTerm(e.Index, e.Term)) return e.Index;
    }
    return 0n;
  }

  /**
   * The largest index <= `index` whose term is <= `term`, with that term. Used
   * to skip a whole divergent term per probe when a follower rejects an
   * append. An unknown term (compacted) is reported as 0 with its index.
   */
  findConflictByTerm(index: bigint, term: bigint): { index: bigint; term: bigint } {
    for (; index > 0n; index--) {
      const ours = this.term(index);
      if (ours === undefined) return { index, term: 0n };
      if (ours <= term) return { index, term: ours };
    }
    return { index: 0n, term: 0n };
  }

  /** The unstable entries (the same array; do not mutate). */
  unstableEntries(): Entry[] {
    return this.unstable.entries;
  }

  /**
   * Committed entries not yet handed out for applying, limited by
   * maxApplyingSize. None while a snapshot is pending (it must be applied first).
   */
  nextCommittedEnts(): Entry[] {
    if (this.hasPendingSnapshot()) return [];
    const lo = this.#nextApplyIndex();
    const hi = this.committed + 1n;
    if (lo >= hi) return [];
    return this.slice(lo, hi, this.maxApplyingSize);
  }

  hasNextCommittedEnts(): boolean {
    if (this.hasPendingSnapshot()) return false;
    return this.committed + 1n > this.#nextApplyIndex();
  }

  #nextApplyIndex(): bigint {
    const off = this.applying + 1n;
    const first = this.firstIndex();
    return off > first ? off : first;
  }

  /** The unstable snapshot if one is pending, else Storage's latest. */
  snapshot(): Snapshot {
    return this.unstable.snapshot ?? this.storage.snapshot();
  }

  hasPendingSnapshot(): boolean {
    return this.unstable.snapshot !== undefined;
  }

  firstIndex(): bigint {
    return this.unstable.maybeFirstIndex() ?? this.storage.firstIndex();
  }

  lastIndex(): bigint {
    return this.unstable.maybeLastIndex() ?? this.storage.lastIndex();
  }

  /**
   * The highest index of our log that is durable (so counts toward a quorum):
   * the end of Storage when no snapshot is pending. With a pending snapshot
   * nothing of the current log is known durable.
   */
  lastStableIndex(): bigint {
    return this.unstable.snapshot === undefined ? this.unstable.offset - 1n : 0n;
  }

  commitTo(toCommit: bigint): void {
    // Never decrease commit.
    if (this.committed < toCommit) {
      const last = this.lastIndex();
      if (last < toCommit) {
        invariant(`tocommit(${toCommit}) is out of range [lastIndex(${last})]. Was the raft log corrupted, truncated, or lost?`);
      }
      this.committed = toCommit;
    }
  }

  /** Entries up to `i` were handed out for applying. */
  acceptApplying(i: bigint): void {
    if (i > this.committed) invariant(`applying(${i}) is out of range [committed(${this.committed})]`);
    if (i > this.applying) this.applying = i;
  }

  appliedTo(i: bigint): void {
    if (i === 0n) return;
    if (this.committed < i || i < this.applied) {
      invariant(`applied(${i}) is out of range [prevApplied(${this.applied}), committed(${this.committed})]`);
    }
    this.applied = i;
    if (this.applying < i) this.applying = i;
  }

  stableTo(i: bigint, t: bigint): void {
    this.unstable.stableTo(i, t);
  }

  stableSnapTo(i: bigint): void {
    this.unstable.stableSnapTo(i);
  }

  lastTerm(): bigint {
    const t = this.term(this.lastIndex());
    if (t === undefined) invariant("unexpected error when getting the last term");
    return t;
  }

  /**
   * The term of entry `i`, or undefined when it is compacted away or beyond
   * the last index. The entry just before the first (the snapshot) is known.
   */
  term(i: bigint): bigint | undefined {
    const t = this.unstable.maybeTerm(i);
    if (t !== undefined) return t;
    const dummy = this.firstIndex() - 1n;
    if (i < dummy || i > this.lastIndex()) return undefined;
    try {
      return this.storage.term(i);
    } catch (err) {
      if (err instanceof CompactedError || err instanceof UnavailableError) return undefined;
      throw err;
    }
  }

  /** Entries from `i` to the end, at most `maxSize` bytes (at least one). */
  entries(i: bigint, maxSize: number = NO_LIMIT): Entry[] {
    const last = this.lastIndex();
    if (i > last) return [];
    return this.slice(i, last + 1n, maxSize);
  }

  /** The whole log from firstIndex (for tests and debugging). */
  allEntries(): Entry[] {
    try {
      return this.entries(this.firstIndex());
    } catch (err) {
      // A concurrent compaction raced us: try again.
      if (err instanceof CompactedError) return this.allEntries();
      throw err;
    }
  }

  /**
   * Whether a candidate whose last entry is (lastIndex, term) has a log at
   * least as up to date as ours (Raft §5.4.1).
   */
  isUpToDate(lastIndex: bigint, term: bigint): boolean {
    const ourTerm = this.lastTerm();
    return term > ourTerm || (term === ourTerm && lastIndex >= this.lastIndex());
  }

  matchTerm(i: bigint, term: bigint): boolean {
    return this.term(i) === term;
  }

  /**
   * Commits up to `maxIndex` if that entry is from `term` (the leader's
   * current term): entries of older terms are only committed indirectly.
   */
  maybeCommit(maxIndex: bigint, term: bigint): boolean {
    if (maxIndex > this.committed && this.term(maxIndex) === term) {
      this.commitTo(maxIndex);
      return true;
    }
    return false;
  }

  /** Replaces the log with a snapshot (everything up to it is committed). */
  restore(s: Snapshot): void {
    this.committed = snapIndex(s);
    this.unstable.restore(s);
  }

  /**
   * Entries [lo, hi), at most maxSize bytes but at least one. Throws
   * CompactedError when lo is below the first index.
   */
  slice(lo: bigint, hi: bigint, maxSize: number = NO_LIMIT): Entry[] {
    this.#checkOutOfBounds(lo, hi);
    if (lo === hi) return [];
    const uoff = this.unstable.offset;
    let ents: Entry[] = [];
    if (lo < uoff) {
      const storedHi = hi < uoff ? hi : uoff;
      let stored: Entry[];
      try {
        stored = this.storage.entries(lo, storedHi, maxSize);
      } catch (err) {
        if (err instanceof UnavailableError) invariant(`entries[${lo}:${storedHi}) is unavailable from storage`);
        throw err;
      }
      // Storage stopped early because of the size limit: that is the answer.
      if (BigInt(stored.length) < storedHi - lo) return stored;
      ents = stored;
    }
    if (hi > uoff) {
      const unstable = this.unstable.slice(lo > uoff ? lo : uoff, hi);
      ents = ents.length > 0 ? ents.concat(unstable) : unstable;
    }
    return limitSize(ents, maxSize);
  }

  #checkOutOfBounds(lo: bigint, hi: bigint): void {
    if (lo > hi) invariant(`invalid slice ${lo} > ${hi}`);
    const fi = this.firstIndex();
    if (lo < fi) throw new CompactedError();
    const length = this.lastIndex() + 1n - fi;
    if (hi > fi + length) invariant(`slice[${lo},${hi}) out of bound [${fi},${this.lastIndex()}]`);
  }
}
