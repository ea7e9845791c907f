/**
 * The history of one key in the in-memory index: a list of generations.
 * A generation runs from a put that created the key to the tombstone that
 * deleted it; the last generation is the live one (empty when the key is
 * currently deleted). Each generation lists the revisions of its changes.
 *
 * Example: put@1, put@2, delete@3, put@4, delete@5 gives
 *   [{1, 2, 3(t)}, {4, 5(t)}, {}]
 * Compacting at rev R drops, per key, every revision <= R except the
 * newest one (which still answers reads at R), and drops it too when it is
 * a tombstone; generations left empty go, and a key whose only generation
 * is empty goes from the index.
 * @module
 */

import { revGreater, revId, type Revision } from "./revision.js";

export class Generation {
  /** Number of puts in the generation (the version of its newest revision). */
  ver: bigint;
  /** Revision of the put that created the key. */
  created: Revision;
  revs: Revision[];

  constructor(created: Revision = ZERO_REV, ver = 0n, revs: Revision[] = []) {
    this.created = created;
    this.ver = ver;
    this.revs = revs;
  }

  isEmpty(): boolean {
    return this.revs.length === 0;
  }

  /** Index of the newest revision with main <= atRev, or -1. */
  newestAtOrBelow(atRev: bigint): number {
    for (let i = this.revs.length - 1; i >= 0; i--) {
      if (this.revs[i]!.main <= atRev) return i;
    }
    return -1;
  }
}

const ZERO_REV: Revision = { main: 0n, sub: 0n };

/** What a key looks like at some revision. */
export interface KeyAt {
  /** Revision of the change that is visible at that revision. */
  modified: Revision;
  created: Revision;
  version: bigint;
}

export class KeyIndex {
  /** The key as a latin1 string (one char per byte). */
  readonly key: string;
  modified: Revision = ZERO_REV;
  generations: Generation[] = [];
  /** Lease of the live value (0 when none or deleted); spares a backend read to find the old lease on overwrite. */
  lease = 0n;

  constructor(key: string) {
    this.key = key;
  }

  /** Appends a put at (main, sub). Revisions must grow. */
  put(main: bigint, sub: bigint): void {
    const r: Revision = { main, sub };
    if (!revGreater(r, this.modified)) {
      throw new Error(`key index: put at ${main}/${sub} not above ${this.modified.main}/${this.modified.sub}`);
    }
    this.modified = r;
    // Most keys hold one revision: build exact-size arrays instead of growing empty ones
    // (V8 would reserve 17 slots on the first push).
    if (this.generations.length === 0) {
      this.generations = [new Generation(r, 1n, [r])];
      return;
    }
    const g = this.generations[this.generations.length - 1]!;
    if (g.revs.length === 0) {
      g.created = r;
      g.revs = [r];
    } else if (g.revs.length < 8) {
      g.revs = g.revs.concat(r);
    } else {
      g.revs.push(r);
    }
    g.ver++;
  }

  /** Seeds an empty index entry from a stored KeyValue (restore). */
  restore(created: Revision, modified: Revision, ver: bigint): void {
    if (this.generations.length !== 0) throw new Error("key index: restore into a non-empty key");
    this.modified = modified;
    this.generations = [new Generation(created, ver, [modified])];
  }

  /**
   * Appends a tombstone at (main, sub) and opens a new empty generation.
   * False (and no change) when the key is already deleted.
   */
  tombstone(main: bigint, sub: bigint): boolean {
    if (this.isEmpty()) throw new Error(`key index: tombstone on an empty key ${JSON.stringify(this.key)}`);
    if (this.generations[this.generations.length - 1]!.isEmpty()) return false;
    this.put(main, sub);
    this.generations.push(new Generation());
    return true;
  }

  /** The key at revision `atRev`, or undefined when it did not exist then. */
  get(atRev: bigint): KeyAt | undefined {
    const g = this.#findGeneration(atRev);
    if (g === undefined) return undefined;
    const n = g.newestAtOrBelow(atRev);
    if (n === -1) return undefined;
    return { modified: g.revs[n]!, created: g.created, version: g.ver - BigInt(g.revs.length - n - 1) };
  }

  /**
   * Revisions at or after `since` (main), oldest first; of several changes
   * in one main revision only the last is returned (what a watcher sees).
   */
  since(since: bigint): Revision[] {
    const gens = this.generations;
    let gi = gens.length - 1;
    for (; gi > 0; gi--) {
      const g = gens[gi]!;
      if (g.isEmpty()) continue;
      if (since > g.created.main || (since === g.created.main && 0n > g.created.sub)) break;
    }
    const out: Revision[] = [];
    let last = -1n;
    for (; gi < gens.length; gi++) {
      for (const r of gens[gi]!.revs) {
        if (r.main < since) continue;
        if (r.main === last) {
          out[out.length - 1] = r;
          continue;
        }
        out.push(r);
        last = r.main;
      }
    }
    return out;
  }

  /**
   * Compacts at `atRev`: drops revisions <= atRev except the newest (which
   * is added to `keep`), and that one too when it ends its generation.
   */
  compact(atRev: bigint, keep: Set<string>): void {
    if (this.isEmpty()) throw new Error(`key index: compact on an empty key ${JSON.stringify(this.key)}`);
    let { genIdx, revIdx } = this.#findCompactPoint(atRev, keep);
    const g = this.generations[genIdx]!;
    if (!g.isEmpty()) {
      if (revIdx !== -1) g.revs = g.revs.slice(revIdx);
      // Only the tombstone is left of a finished generation: it goes too.
      if (g.revs.length === 1 && genIdx !== this.generations.length - 1) {
        keep.delete(revId(g.revs[0]!));
        genIdx++;
      }
    }
    if (genIdx > 0) this.generations = this.generations.slice(genIdx);
  }

  /** Adds to `keep` what {@link compact} at `atRev` would keep, without changing anything. */
  keep(atRev: bigint, keep: Set<string>): void {
    if (this.isEmpty()) return;
    const { genIdx, revIdx } = this.#findCompactPoint(atRev, keep);
    const g = this.generations[genIdx]!;
    if (!g.isEmpty() && revIdx === g.revs.length - 1 && genIdx !== this.generations.length - 1) {
      keep.delete(revId(g.revs[revIdx]!));
    }
  }

  /** True when the key has no revision left (only the empty live generation). */
  isEmpty(): boolean {
    return this.generations.length === 1 && this.generations[0]!.isEmpty();
  }

  /** The current generation when the key exists now, else undefined. */
  liveGeneration(): Generation | undefined {
    const last = this.generations[this.generations.length - 1];
    return last !== undefined && last.revs.length > 0 ? last : undefined;
  }

  /** True when the key exists now (its live generation has revisions). */
  isLive(): boolean {
    const last = this.generations[this.generations.length - 1];
    return last !== undefined && !last.isEmpty();
  }

  /**
   * The first generation that still matters at `atRev` (one whose tombstone
   * is after atRev, or the live one) and the index of its newest revision
   * <= atRev, which is recorded in `keep`.
   */
  #findCompactPoint(atRev: bigint, keep: Set<string>): { genIdx: number; revIdx: number } {
    const gens = this.generations;
    let genIdx = 0;
    while (genIdx < gens.length - 1) {
      const g = gens[genIdx]!;
      if (g.revs[g.revs.length - 1]!.main > atRev) break;
      genIdx++;
    }
    const revIdx = gens[genIdx]!.newestAtOrBelow(atRev);
    if (revIdx !== -1) keep.add(revId(gens[genIdx]!.revs[revIdx]!));
    return { genIdx, revIdx };
  }

  /** The generation the key was in at `atRev`, or undefined when it was deleted or not yet created. */
  #findGeneration(atRev: bigint): Generation | undefined {
    const gens = this.generations;
    const last = gens.length - 1;
    for (let gi = last; gi >= 0; gi--) {
      const g = gens[gi]!;
      if (g.revs.length === 0) continue;
      if (gi !== last && g.revs[g.revs.length - 1]!.main <= atRev) return undefined;
      if (g.revs[0]!.main <= atRev) return g;
    }
    return undefined;
  }
}
