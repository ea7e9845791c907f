/**
 * Which range watchers cover a key: a set of half-open key intervals
 * [start, end) (end "" = no upper bound), each with the items registered on
 * it, answering "which intervals contain this key" (a stab query).
 *
 * Intervals are kept sorted by start with a running maximum of the ends, so
 * a stab walks back from the last interval starting at or before the key and
 * stops as soon as no earlier interval can reach it: O(log n + hits) for the
 * usual case of disjoint or nested prefixes. The sorted view is rebuilt
 * lazily after a change (adding and removing watchers is rare next to events).
 * Keys are latin1 strings, so string order is unsigned byte order.
 * @module
 */

interface Interval<T> {
  readonly start: string;
  /** undefined = unbounded. */
  readonly end: string | undefined;
  readonly items: Set<T>;
}

export class RangeIndex<T> {
  readonly #byStart = new Map<string, Map<string, Interval<T>>>();
  #sorted: Interval<T>[] | undefined = [];
  /** reach[i] = the largest end among sorted[0..i] (undefined = unbounded). */
  #reach: (string | undefined)[] = [];
  #count = 0;

  /** Number of distinct intervals. */
  get size(): number {
    return this.#count;
  }

  /** Registers `item` on [start, end); `end` "" means no upper bound. */
  add(start: string, end: string, item: T): void {
    let ends = this.#byStart.get(start);
    if (ends === undefined) {
      ends = new Map();
      this.#byStart.set(start, ends);
    }
    let iv = ends.get(end);
    if (iv === undefined) {
      iv = { start, end: end === "" ? undefined : end, items: new Set() };
      ends.set(end, iv);
      this.#count++;
      this.#sorted = undefined;
    }
    iv.items.add(item);
  }

  /** Removes `item` from [start, end); false when it was not there. */
  delete(start: string, end: string, item: T): boolean {
    const ends = this.#byStart.get(start);
    const iv = ends?.get(end);
    if (ends === undefined || iv === undefined || !iv.items.delete(item)) return false;
    if (iv.items.size === 0) {
      ends.delete(end);
      if (ends.size === 0) this.#byStart.delete(start);
      this.#count--;
      this.#sorted = undefined;
    }
    return true;
  }

  /** Calls `visit` with the items of every interval containing `key`. */
  stab(key: string, visit: (items: Set<T>) => void): void {
    if (this.#count === 0) return;
    const sorted = this.#view();
    for (let i = lastStartingAtOrBefore(sorted, key); i >= 0; i--) {
      const reach = this.#reach[i];
      if (reach !== undefined && reach <= key) return;
      const iv = sorted[i]!;
      if (iv.end === undefined || key < iv.end) visit(iv.items);
    }
  }

  /** True when some interval contains `key`. */
  contains(key: string): boolean {
    let found = false;
    this.stab(key, () => {
      found = true;
    });
    return found;
  }

  #view(): Interval<T>[] {
    if (this.#sorted !== undefined) return this.#sorted;
    const sorted: Interval<T>[] = [];
    for (const ends of this.#byStart.values()) for (const iv of ends.values()) sorted.push(iv);
    sorted.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
    const reach: (string | undefined)[] = new Array(sorted.length);
    let max: string | undefined = "";
    for (let i = 0; i < sorted.length; i++) {
      const end = sorted[i]!.end;
      if (max !== undefined && (end === undefined || end > max)) max = end;
      reach[i] = max;
    }
    this.#sorted = sorted;
    this.#reach = reach;
    return sorted;
  }
}

/** Index of the last interval whose start is <= key, or -1. */
function lastStartingAtOrBefore<T>(sorted: readonly Interval<T>[], key: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]!.start <= key) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}
