/**
 * Pending writes of one batch, per bucket, with the helpers that overlay them
 * on the engine's committed data: point lookups and ordered walks that merge
 * the batch (newest layer wins) with a base iterator.
 *
 * Keys are indexed by their latin1 string (one char per byte) so lookups are
 * plain Map hits and string order equals unsigned byte order.
 * @module
 */

import type { Bucket } from "./schema.js";
import { MAX_KEY_BYTES, type BackendReader, type Entry, type KeyRange } from "./backend.js";

/** One pending write: `value === null` is a delete. */
export interface PendingWrite {
  readonly key: Buffer;
  readonly value: Buffer | null;
}

export function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function keyString(key: Uint8Array): string {
  return toBuffer(key).toString("latin1");
}

function checkKey(key: Uint8Array): void {
  if (key.length === 0 || key.length > MAX_KEY_BYTES) {
    throw new RangeError(`backend: key length ${key.length} outside 1..${MAX_KEY_BYTES}`);
  }
}

class BucketWrites {
  readonly writes = new Map<string, PendingWrite>();
  /** Keys in ascending order, or null when they must be re-sorted. */
  #sorted: string[] | null = [];
  /** Smallest and largest key written: a cheap "cannot be here" test before the string lookup. */
  min: Buffer | undefined;
  max: Buffer | undefined;

  set(k: string, w: PendingWrite): void {
    if (this.min === undefined || Buffer.compare(w.key, this.min) < 0) this.min = w.key;
    if (this.max === undefined || Buffer.compare(w.key, this.max) > 0) this.max = w.key;
    const fresh = !this.writes.has(k);
    this.writes.set(k, w);
    if (!fresh || this.#sorted === null) return;
    // Revision keys arrive in increasing order: keep the sorted list by appending.
    const last = this.#sorted.length === 0 ? undefined : this.#sorted[this.#sorted.length - 1];
    if (last === undefined || last < k) this.#sorted.push(k);
    else this.#sorted = null;
  }

  sortedKeys(): string[] {
    if (this.#sorted === null) this.#sorted = [...this.writes.keys()].sort();
    return this.#sorted;
  }
}

/** The writes of one batch. */
export class WriteBuffer {
  readonly #buckets = new Map<Bucket, BucketWrites>();
  /** Number of put/delete calls (etcd counts every call, not distinct keys). */
  ops = 0;

  put(bucket: Bucket, key: Uint8Array, value: Uint8Array): void {
    checkKey(key);
    const k = toBuffer(key);
    this.#bucket(bucket).set(keyString(k), { key: k, value: toBuffer(value) });
    this.ops++;
  }

  delete(bucket: Bucket, key: Uint8Array): void {
    checkKey(key);
    const k = toBuffer(key);
    this.#bucket(bucket).set(keyString(k), { key: k, value: null });
    this.ops++;
  }

  /** The pending write of `key`, or undefined when this batch does not touch it. */
  lookup(bucket: Bucket, key: string): PendingWrite | undefined {
    return this.#buckets.get(bucket)?.writes.get(key);
  }

  /** False when this batch certainly has no write of `key` (outside its key span). */
  mayHave(bucket: Bucket, key: Uint8Array): boolean {
    const b = this.#buckets.get(bucket);
    if (b === undefined || b.min === undefined || b.max === undefined) return false;
    return Buffer.compare(key, b.min) >= 0 && Buffer.compare(key, b.max) <= 0;
  }

  /** Writes of `bucket` inside `range`, in ascending key order. */
  inRange(bucket: Bucket, range: KeyRange | undefined): PendingWrite[] {
    const b = this.#buckets.get(bucket);
    if (b === undefined || b.writes.size === 0) return [];
    const keys = b.sortedKeys();
    const start = range?.start === undefined ? undefined : keyString(range.start);
    const end = range?.end === undefined ? undefined : keyString(range.end);
    let i = start === undefined ? 0 : lowerBound(keys, start);
    const out: PendingWrite[] = [];
    for (; i < keys.length; i++) {
      const k = keys[i]!;
      if (end !== undefined && k >= end) break;
      out.push(b.writes.get(k)!);
    }
    return out;
  }

  /** Every write, bucket by bucket (in insertion order): what a commit applies. */
  *all(): Generator<[Bucket, PendingWrite]> {
    for (const [bucket, b] of this.#buckets) {
      for (const w of b.writes.values()) yield [bucket, w];
    }
  }

  #bucket(bucket: Bucket): BucketWrites {
    let b = this.#buckets.get(bucket);
    if (b === undefined) {
      b = new BucketWrites();
      this.#buckets.set(bucket, b);
    }
    return b;
  }
}

function lowerBound(keys: readonly string[], key: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid]! < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Looks `key` up in the layers, newest first: a Buffer (written), null
 * (deleted) or undefined (no layer touches it; ask the engine).
 */
export function lookupLayers(layers: readonly WriteBuffer[], bucket: Bucket, key: Uint8Array): Buffer | null | undefined {
  let k: string | undefined;
  for (let i = layers.length - 1; i >= 0; i--) {
    const layer = layers[i]!;
    if (!layer.mayHave(bucket, key)) continue;
    k ??= keyString(key);
    const w = layer.lookup(bucket, k);
    if (w !== undefined) return w.value;
  }
  return undefined;
}

/** The pending writes of all layers inside `range`, newest winning, in key order. */
export function overlayInRange(layers: readonly WriteBuffer[], bucket: Bucket, range: KeyRange | undefined): PendingWrite[] {
  if (layers.length === 0) return [];
  if (layers.length === 1) return layers[0]!.inRange(bucket, range);
  const merged = new Map<string, PendingWrite>();
  for (const layer of layers) {
    for (const w of layer.inRange(bucket, range)) merged.set(keyString(w.key), w);
  }
  return [...merged.keys()].sort().map((k) => merged.get(k)!);
}

/**
 * Walks `base` (the engine's committed entries, in key order) merged with
 * `overlay` (pending writes in key order): a pending write replaces the
 * engine's entry of the same key, a pending delete hides it.
 */
export function mergeWalk(
  overlay: readonly PendingWrite[],
  base: (visit: (key: Buffer, value: Buffer) => boolean | void) => void,
  visit: (key: Buffer, value: Buffer) => boolean | void,
): void {
  if (overlay.length === 0) {
    base(visit);
    return;
  }
  let oi = 0;
  let stopped = false;
  /** Emits a pending write unless it is a delete; false once the visitor asked to stop. */
  const emitPending = (w: PendingWrite): boolean => {
    if (w.value !== null && visit(w.key, w.value) === false) stopped = true;
    return !stopped;
  };
  base((key, value) => {
    while (oi < overlay.length) {
      const w = overlay[oi]!;
      const c = Buffer.compare(w.key, key);
      if (c > 0) break;
      oi++;
      // c === 0: the batch rewrote or deleted this engine entry; it replaces it.
      if (!emitPending(w) || c === 0) return !stopped;
    }
    if (visit(key, value) === false) stopped = true;
    return !stopped;
  });
  for (; !stopped && oi < overlay.length; oi++) emitPending(overlay[oi]!);
}

/** `BackendReader.range` in terms of its `forEach`: up to `limit` entries (0: all), in key order. */
export function collectRange(reader: Pick<BackendReader, "forEach">, bucket: Bucket, range: KeyRange | undefined, limit: number): Entry[] {
  const out: Entry[] = [];
  reader.forEach(
    bucket,
    (key, value) => {
      out.push({ key, value });
      return limit <= 0 || out.length < limit;
    },
    range,
  );
  return out;
}
