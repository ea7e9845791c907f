/**
 * A user's key permissions, merged: the union of its roles' READ and WRITE
 * grants as sorted, disjoint half-open byte intervals, so a check is one
 * binary search instead of a walk over every grant (etcd keeps an interval
 * tree per user; a merged list answers the same two questions).
 *
 * Interval rules are etcd's (auth/range_perm_cache.go, pkg/adt's
 * "bytes affine" order where an empty bound stands for +infinity):
 * - a grant with an empty range_end is the single key [key, key+"\0");
 * - a grant or a request with range_end "\0" runs to the end of the keyspace;
 * - READWRITE counts as both READ and WRITE;
 * - an empty key is +infinity in that order, so a grant starting at "" covers
 *   nothing and a request for key "" is never covered (etcdctl sends "\0"
 *   for "every key").
 * @module
 */
import { Permission_Type, type Permission } from "../gen/authpb/auth.js";

/** [start, end); `end` undefined: to the end of the keyspace. `start` is never empty. */
interface Interval {
  readonly start: Buffer;
  readonly end: Buffer | undefined;
}

export type Access = "read" | "write";

const ZERO = Buffer.from([0]);

/** The intervals of one access type, merged, with the two checks etcd makes. */
export class MergedIntervals {
  /** Sorted by start, disjoint and not touching (touching ones are merged). */
  readonly #intervals: readonly Interval[];

  private constructor(intervals: readonly Interval[]) {
    this.#intervals = intervals;
  }

  /** Merges `grants` (any order, overlapping or adjacent). */
  static of(grants: readonly Permission[]): MergedIntervals {
    const raw: Interval[] = [];
    for (const g of grants) {
      const ivl = grantInterval(g.key, g.rangeEnd);
      if (ivl !== undefined) raw.push(ivl);
    }
    raw.sort((a, b) => Buffer.compare(a.start, b.start));
    const merged: Interval[] = [];
    for (const ivl of raw) {
      const last = merged.at(-1);
      // Touching counts as contiguous, as in etcd's Contains (maxEnd < begin breaks it).
      if (last !== undefined && (last.end === undefined || Buffer.compare(ivl.start, last.end) <= 0)) {
        if (last.end !== undefined && (ivl.end === undefined || Buffer.compare(ivl.end, last.end) > 0)) {
          merged[merged.length - 1] = { start: last.start, end: ivl.end };
        }
        continue;
      }
      merged.push(ivl);
    }
    return new MergedIntervals(merged);
  }

  get size(): number {
    return this.#intervals.length;
  }

  /** True when `key` lies inside a granted interval (etcd's checkKeyPoint). */
  coversKey(key: Uint8Array): boolean {
    if (key.length === 0) return false;
    const ivl = this.#lastStartingAtOrBefore(key);
    return ivl !== undefined && before(key, ivl.end);
  }

  /**
   * True when the whole of [key, rangeEnd) is granted (etcd's
   * checkKeyInterval); rangeEnd "\0" means to the end of the keyspace.
   * An inverted range (rangeEnd ≤ key) selects no key; as in etcd's tree it
   * passes when one granted interval spans [rangeEnd, key].
   */
  coversRange(key: Uint8Array, rangeEnd: Uint8Array): boolean {
    if (key.length === 0) return false;
    const end = isZero(rangeEnd) ? undefined : Buffer.from(rangeEnd);
    if (end !== undefined && Buffer.compare(end, key) <= 0) {
      const ivl = this.#lastStartingBefore(end);
      return ivl !== undefined && before(key, ivl.end);
    }
    const ivl = this.#lastStartingAtOrBefore(key);
    if (ivl === undefined || !before(key, ivl.end)) return false;
    if (ivl.end === undefined) return true;
    return end !== undefined && Buffer.compare(end, ivl.end) <= 0;
  }

  /** The interval with the greatest start ≤ `key` (binary search). */
  #lastStartingAtOrBefore(key: Uint8Array): Interval | undefined {
    return this.#lastWhere((start) => Buffer.compare(start, key) <= 0);
  }

  /** The interval with the greatest start < `bound`. */
  #lastStartingBefore(bound: Uint8Array): Interval | undefined {
    return this.#lastWhere((start) => Buffer.compare(start, bound) < 0);
  }

  /** The last interval whose start satisfies `ok` (a predicate monotone over the sorted starts). */
  #lastWhere(ok: (start: Buffer) => boolean): Interval | undefined {
    let lo = 0;
    let hi = this.#intervals.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (ok(this.#intervals[mid]!.start)) lo = mid + 1;
      else hi = mid;
    }
    return lo === 0 ? undefined : this.#intervals[lo - 1];
  }
}

/** A user's merged READ and WRITE intervals. */
export class RangePermissions {
  readonly read: MergedIntervals;
  readonly write: MergedIntervals;

  constructor(grants: readonly Permission[]) {
    const reads = grants.filter((p) => p.permType === Permission_Type.READ || p.permType === Permission_Type.READWRITE);
    const writes = grants.filter((p) => p.permType === Permission_Type.WRITE || p.permType === Permission_Type.READWRITE);
    this.read = MergedIntervals.of(reads);
    this.write = MergedIntervals.of(writes);
  }

  /** etcd's isRangeOpPermitted: an empty rangeEnd checks the single key. */
  permits(access: Access, key: Uint8Array, rangeEnd: Uint8Array): boolean {
    const intervals = access === "read" ? this.read : this.write;
    return rangeEnd.length === 0 ? intervals.coversKey(key) : intervals.coversRange(key, rangeEnd);
  }
}

/** The interval a grant covers, or undefined when it covers nothing (an empty key). */
function grantInterval(key: Buffer, rangeEnd: Buffer): Interval | undefined {
  if (key.length === 0) return undefined;
  if (rangeEnd.length === 0) return { start: key, end: Buffer.concat([key, ZERO]) };
  if (isZero(rangeEnd)) return { start: key, end: undefined };
  // An inverted grant (end ≤ key) covers nothing in etcd's tree either.
  if (Buffer.compare(rangeEnd, key) <= 0) return undefined;
  return { start: key, end: rangeEnd };
}

/** `key` < `end`, where an undefined end is +infinity. */
function before(key: Uint8Array, end: Buffer | undefined): boolean {
  return end === undefined || Buffer.compare(key, end) < 0;
}

function isZero(bytes: Uint8Array): boolean {
  return bytes.length === 1 && bytes[0] === 0;
}
