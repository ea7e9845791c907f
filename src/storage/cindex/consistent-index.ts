/**
 * The consistent index: raft index and term of the last applied entry,
 * stored in the `meta` bucket under etcd's keys (`consistent_index`,
 * `term`, 8-byte big-endian) in the SAME backend batch as the writes that
 * entry made. A batch is atomic, so after a restart the stored index tells
 * exactly which entries are in the backend and none is applied twice.
 * @module
 */

import type { Backend } from "../backend/backend.js";
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

  /** Loads the stored index and term (0 and 0 on a fresh backend). */
  constructor(backend: Backend) {
    this.#backend = backend;
    this.#index = decodeU64(backend.get("meta", META_KEYS.consistentIndex));
    this.#term = decodeU64(backend.get("meta", META_KEYS.term));
  }

  get(): AppliedPosition {
    return { index: this.#index, term: this.#term };
  }

  /**
   * Records that the entry (index, term) is applied: writes both keys into
   * the pending batch, then lets the backend commit if the batch is full.
   * Call it after the entry's own writes, in the same synchronous section,
   * so the batch boundary falls between entries. Going back is refused.
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
    this.#backend.put("meta", META_KEYS.consistentIndex, encodeU64(index));
    this.#backend.put("meta", META_KEYS.term, encodeU64(term));
    this.#backend.commitIfFull();
  }

  /**
   * Re-reads the stored values (after the backend was replaced, e.g. by a
   * snapshot restore).
   */
  reload(): AppliedPosition {
    this.#index = decodeU64(this.#backend.get("meta", META_KEYS.consistentIndex));
    this.#term = decodeU64(this.#backend.get("meta", META_KEYS.term));
    return this.get();
  }
}
