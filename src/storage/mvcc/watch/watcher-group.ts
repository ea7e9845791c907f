/**
 * A set of watchers indexed for "who watches this key": a map for
 * single-key watchers and a {@link RangeIndex} for range watchers (etcd's
 * watcherGroup with its interval tree).
 * @module
 */

import { RangeIndex } from "./range-index.js";
import type { Watcher } from "./watcher.js";

export class WatcherGroup {
  readonly #all = new Set<Watcher>();
  readonly #byKey = new Map<string, Set<Watcher>>();
  readonly #ranges = new RangeIndex<Watcher>();

  get size(): number {
    return this.#all.size;
  }

  has(w: Watcher): boolean {
    return this.#all.has(w);
  }

  add(w: Watcher): void {
    if (this.#all.has(w)) throw new Error(`watch: watcher ${w.id} added to a group twice`);
    this.#all.add(w);
    if (w.end === undefined) {
      let set = this.#byKey.get(w.key);
      if (set === undefined) {
        set = new Set();
        this.#byKey.set(w.key, set);
      }
      set.add(w);
    } else {
      this.#ranges.add(w.key, w.end, w);
    }
  }

  /** Removes `w`; false when it was not in the group. */
  delete(w: Watcher): boolean {
    if (!this.#all.delete(w)) return false;
    if (w.end === undefined) {
      const set = this.#byKey.get(w.key);
      if (set !== undefined) {
        set.delete(w);
        if (set.size === 0) this.#byKey.delete(w.key);
      }
    } else {
      this.#ranges.delete(w.key, w.end, w);
    }
    return true;
  }

  /** True when some watcher of the group covers `key`. */
  contains(key: string): boolean {
    return this.#byKey.has(key) || this.#ranges.contains(key);
  }

  /** Visits every watcher covering `key` (each once). */
  forEachCovering(key: string, visit: (w: Watcher) => void): void {
    const single = this.#byKey.get(key);
    if (single !== undefined) for (const w of single) visit(w);
    this.#ranges.stab(key, (items) => {
      for (const w of items) visit(w);
    });
  }

  /** Watchers in insertion order. */
  [Symbol.iterator](): IterableIterator<Watcher> {
    return this.#all.values();
  }
}
