/**
 * The tail of the log that the application has not yet persisted: entries
 * (and possibly an incoming snapshot) handed out in a Ready and not yet
 * acknowledged by advance(). Indexes below `offset` live in Storage.
 * @module
 */
import type { Entry, Snapshot } from "../gen/raftpb/raft.js";
import { invariant } from "./errors.js";
import { snapIndex, snapTerm } from "./util.js";

export class UnstableLog {
  /** An incoming snapshot not yet persisted; it precedes `entries`. */
  snapshot: Snapshot | undefined = undefined;
  /** Entries not yet persisted; entries[k] has index offset + k. */
  entries: Entry[] = [];
  offset: bigint;

  constructor(offset: bigint) {
    this.offset = offset;
  }

  /** The first index if a snapshot is pending (its index + 1). */
  maybeFirstIndex(): bigint | undefined {
    return this.snapshot === undefined ? undefined : snapIndex(this.snapshot) + 1n;
  }

  /** The last index held here, if any. */
  maybeLastIndex(): bigint | undefined {
    const n = this.entries.length;
    if (n !== 0) return this.offset + BigInt(n) - 1n;
    return this.snapshot === undefined ? undefined : snapIndex(this.snapshot);
  }

  /** The term of entry `i` if this log knows it. */
  maybeTerm(i: bigint): bigint | undefined {
    if (i < this.offset) {
      if (this.snapshot !== undefined && snapIndex(this.snapshot) === i) return snapTerm(this.snapshot);
      return undefined;
    }
    const k = i - this.offset;
    if (k >= BigInt(this.entries.length)) return undefined;
    return this.entries[Number(k)]!.Term;
  }

  /**
   * Entries up to (i, t) reached stable storage. Ignored when the entry was
   * since replaced (a different term at i) or is already stable.
   */
  stableTo(i: bigint, t: bigint): void {
    const gt = this.maybeTerm(i);
    if (gt === undefined) return;
    if (gt === t && i >= this.offset) {
      const n = Number(i + 1n - this.offset);
      this.entries = n >= this.entries.length ? [] : this.entries.slice(n);
      this.offset = i + 1n;
    }
  }

  /** The pending snapshot with index `i` reached stable storage. */
  stableSnapTo(i: bigint): void {
    if (this.snapshot !== undefined && snapIndex(this.snapshot) === i) this.snapshot = undefined;
  }

  /** Replaces the whole unstable state with a snapshot. */
  restore(s: Snapshot): void {
    this.offset = snapIndex(s) + 1n;
    this.entries = [];
    this.snapshot = s;
  }

  /** Appends entries, truncating any conflicting suffix first. */
  truncateAndAppend(ents: readonly Entry[]): void {
    const after = ents[0]!.Index;
    const n = BigInt(this.entries.length);
    if (after === this.offset + n) {
      // The common case: a contiguous append.
      for (let i = 0; i < ents.length; i++) this.entries.push(ents[i]!);
    } else if (after <= this.offset) {
      // The new entries start at or before our first one: replace everything.
      this.offset = after;
      this.entries = ents.slice();
    } else {
      // Keep [offset, after) and append the rest.
      const kept = this.slice(this.offset, after);
      for (let i = 0; i < ents.length; i++) kept.push(ents[i]!);
      this.entries = kept;
    }
  }

  /** A copy of entries [lo, hi). */
  slice(lo: bigint, hi: bigint): Entry[] {
    this.#checkBounds(lo, hi);
    return this.entries.slice(Number(lo - this.offset), Number(hi - this.offset));
  }

  #checkBounds(lo: bigint, hi: bigint): void {
    if (lo > hi) invariant(`invalid unstable.slice ${lo} > ${hi}`);
    const upper = this.offset + BigInt(this.entries.length);
    if (lo < this.offset || hi > upper) invariant(`unstable.slice[${lo},${hi}) out of bound [${this.offset},${upper}]`);
  }
}
