/**
 * The consistent index: raft index and term of the last applied entry,
 * stored in the `meta` bucket under etcd's keys (`consistent_index`,
 * `term`, 8-byte big-endian) in the SAME backend batch as the writes that
 * entry made. A batch is atomic, so after a restart the stored index tells
 * exactly which entries are in the backend and none is applied twice.
 *
 * The value is written by a pre-commit hook, once per batch, as etcd 3.5
 * does: batches are sealed only between entries, so the value at seal time
 * is exactly the last entry the batch holds.
 * @module
 */

import type { Backend, BackendWriter } from "../backend/backend.js";
import { META_KEYS } from "../backend/schema.js";

export interface AppliedPosition {
  index: bigint;
  term: bigint;
}

function encodeU64(v: bigint): Buffer {
  const b = Buffer.allocUnsafe(8);
  b.writeBigUInt64BE(v);
  return b;
}

function decodeU64(b: Buffer | undefined): bigint {
  if (b === undefined || b.length !== 8) return 0n;
  return b.readBigUInt64BE(0);
}

export class ConsistentIndex {
  readonly #backend: Backend;
  #index: bigint;
  #term: bigint;
  /** True when the values changed since they were last written into a batch. */
  #dirty = false;
  readonly #removeHook: () => void;

  /** Loads the stored index and term (0 and 0 on a fresh backend) and hooks into the backend's commits. */
  constructor(backend: Backend) {
    this.#backend = backend;
    this.#index = decodeU64(backend.get("meta", META_KEYS.consistentIndex));
    this.#term = decodeU64(backend.get("meta", META_KEYS.term));
    this.#removeHook = backend.addPreCommitHook((w) => this.#save(w));
  }

  get(): AppliedPosition {
    return { index: this.#index, term: this.#term };
  }

  /**
   * Records that the entry (index, term) is applied — both keys go into the
   * batch when it is sealed — then lets the backend commit if the batch is
   * full. Call it after the entry's own writes, in the same synchronous
   * section, so the batch boundary falls between entries. Going back is
   * refused.
   */
  set(index: bigint, term: bigint): void {
    if (index < this.#index) {
      throw new RangeError(`consistent index going back: ${index} < ${this.#index}`);
    }
    if (index < 0n || term < 0n || index >= 1n << 64n || term >= 1n << 64n) {
      throw new RangeError(`consistent index out of range: index ${index}, term ${term}`);
    }
    this.#index = index;
    this.#term = term;
    this.#dirty = true;
    this.#backend.commitIfFull();
  }

  /** Stops writing into the backend's batches (when the backend is replaced). */
  detach(): void {
    this.#removeHook();
  }

  #save(w: BackendWriter): void {
    if (!this.#dirty) return;
    w.put("meta", META_KEYS.consistentIndex, encodeU64(this.#index));
    w.put("meta", META_KEYS.term, encodeU64(this.#term));
    this.#dirty = false;
  }

  /**
   * Re-reads the stored values (after the backend was replaced, e.g. by a
   * snapshot restore).
   */
  reload(): AppliedPosition {
    this.#index = decodeU64(this.#backend.get("meta", META_KEYS.consistentIndex));
    this.#term = decodeU64(this.#backend.get("meta", META_KEYS.term));
    this.#dirty = false;
    return this.get();
  }
}
