/**
 * The in-memory index of every key: key -> {@link KeyIndex}. A `Map` on the
 * latin1 key string gives O(1) point lookups; an {@link OrderedMap} (B+tree)
 * on the same strings gives ordered range scans. Both hold the same objects.
 *
 * Range bounds here are latin1 strings: `end === undefined` is the single
 * key, `end === ""` is every key >= key, otherwise [key, end).
 * @module
 */

import { OrderedMap } from "../btree/ordered-map.js";
import { KeyIndex, type KeyAt } from "./key-index.js";
import { compareRev, type Revision } from "./revision.js";

export interface IndexedKey {
  ki: KeyIndex;
  at: KeyAt;
}

export class TreeIndex {
  readonly #byKey = new Map<string, KeyIndex>();
  readonly #ordered = new OrderedMap<KeyIndex>();

  /** Keys in the index (live or with history). */
  get size(): number {
    return this.#byKey.size;
  }

  keyIndex(key: string): KeyIndex | undefined {
    return this.#byKey.get(key);
  }

  get(key: string, atRev: bigint): KeyAt | undefined {
    return this.#byKey.get(key)?.get(atRev);
  }

  /** Records a put of `key` at `r`, creating the key's entry if needed. */
  put(key: string, r: Revision): KeyIndex {
    let ki = this.#byKey.get(key);
    if (ki === undefined) {
      ki = new KeyIndex(key);
      this.#byKey.set(key, ki);
      this.#ordered.set(key, ki);
    }
    ki.put(r.main, r.sub);
    return ki;
  }

  /** Records a delete of a live `key` at `r`; throws when the key is not live. */
  tombstone(key: string, r: Revision): KeyIndex {
    const ki = this.#byKey.get(key);
    if (ki === undefined || !ki.tombstone(r.main, r.sub)) {
      throw new Error(`tree index: tombstone of a missing key ${JSON.stringify(key)}`);
    }
    return ki;
  }

  /** Adds a prepared entry (restore). */
  insert(ki: KeyIndex): void {
    this.#byKey.set(ki.key, ki);
    this.#ordered.set(ki.key, ki);
  }

  /**
   * Visits the keys of the range that exist at `atRev`, in key order, with
   * their state at `atRev`. Stops when `visit` returns false.
   */
  visitRange(key: string, end: string | undefined, atRev: bigint, visit: (ki: KeyIndex, at: KeyAt) => boolean | void): void {
    if (end === undefined) {
      const ki = this.#byKey.get(key);
      const at = ki?.get(atRev);
      if (ki !== undefined && at !== undefined) visit(ki, at);
      return;
    }
    if (end !== "" && end <= key) return;
    this.#ordered.forEachInRange(key, end === "" ? undefined : end, (_k, ki) => {
      const at = ki.get(atRev);
      if (at === undefined) return true;
      return visit(ki, at);
    });
  }

  /** The keys of the range that exist at `atRev`, with their state at `atRev`. */
  range(key: string, end: string | undefined, atRev: bigint): IndexedKey[] {
    const out: IndexedKey[] = [];
    this.visitRange(key, end, atRev, (ki, at) => {
      out.push({ ki, at });
    });
    return out;
  }

  /** Every revision of the range at or after `since`, sorted (for watch catch-up). */
  rangeSince(key: string, end: string | undefined, since: bigint): Revision[] {
    if (end === undefined) return this.#byKey.get(key)?.since(since) ?? [];
    const out: Revision[] = [];
    if (end !== "" && end <= key) return out;
    this.#ordered.forEachInRange(key, end === "" ? undefined : end, (_k, ki) => {
      for (const r of ki.since(since)) out.push(r);
    });
    return out.sort(compareRev);
  }

  /** Compacts every key at `atRev`; returns the ids of the revisions <= atRev that stay. */
  compact(atRev: bigint): Set<string> {
    const keep = new Set<string>();
    const emptied: string[] = [];
    for (const ki of this.#byKey.values()) {
      ki.compact(atRev, keep);
      if (ki.isEmpty()) emptied.push(ki.key);
    }
    for (const key of emptied) {
      this.#byKey.delete(key);
      this.#ordered.delete(key);
    }
    return keep;
  }

  /** What {@link compact} at `atRev` would keep, without compacting (HashKV). */
  keep(atRev: bigint): Set<string> {
    const keep = new Set<string>();
    for (const ki of this.#byKey.values()) ki.keep(atRev, keep);
    return keep;
  }

  /** Every key entry in key order (tests, restore checks). */
  entries(): KeyIndex[] {
    const out: KeyIndex[] = [];
    this.#ordered.forEach((_k, ki) => {
      out.push(ki);
    });
    return out;
  }
}
