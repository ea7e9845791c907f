/**
 * The sliding window of append messages sent to one follower and not yet
 * acknowledged. While the window is full the leader stops sending entries to
 * that follower (flow control); acknowledgements free it from the front.
 * @module
 */
import { invariant } from "../errors.js";
import { NO_LIMIT } from "../util.js";

export class Inflights {
  /** The largest number of in-flight messages. */
  readonly size: number;
  /** The largest total payload of in-flight messages (NO_LIMIT: none). */
  readonly maxBytes: number;
  #start = 0;
  #count = 0;
  #bytes = 0;
  // Ring buffers, grown lazily up to `size` so idle followers cost little.
  #indexes: bigint[] = [];
  #sizes: number[] = [];

  constructor(size: number, maxBytes: number = NO_LIMIT) {
    this.size = size;
    this.maxBytes = maxBytes;
  }

  clone(): Inflights {
    const c = new Inflights(this.size, this.maxBytes);
    c.#start = this.#start;
    c.#count = this.#count;
    c.#bytes = this.#bytes;
    c.#indexes = this.#indexes.slice();
    c.#sizes = this.#sizes.slice();
    return c;
  }

  /** Records a message whose last entry is `index` (indexes must increase). */
  add(index: bigint, bytes = 0): void {
    if (this.full()) invariant("cannot add into a Full inflights");
    let next = this.#start + this.#count;
    if (next >= this.size) next -= this.size;
    if (next >= this.#indexes.length) {
      // Still growing: next is always the append position here.
      this.#indexes.push(index);
      this.#sizes.push(bytes);
    } else {
      this.#indexes[next] = index;
      this.#sizes[next] = bytes;
    }
    this.#count++;
    this.#bytes += bytes;
  }

  /** Frees every message whose last index is <= `to`. */
  freeLE(to: bigint): void {
    if (this.#count === 0 || to < this.#indexes[this.#start]!) return;
    let idx = this.#start;
    let i = 0;
    let bytes = 0;
    for (; i < this.#count; i++) {
      if (to < this.#indexes[idx]!) break;
      bytes += this.#sizes[idx]!;
      if (++idx >= this.size) idx -= this.size;
    }
    this.#count -= i;
    this.#bytes -= bytes;
    this.#start = idx;
    // Reset the start when empty so the buffer does not keep wrapping.
    if (this.#count === 0) this.#start = 0;
  }

  /** Frees the oldest message. */
  freeFirstOne(): void {
    if (this.#count === 0) return;
    this.freeLE(this.#indexes[this.#start]!);
  }

  full(): boolean {
    return this.#count === this.size || (this.maxBytes !== NO_LIMIT && this.#bytes >= this.maxBytes);
  }

  count(): number {
    return this.#count;
  }

  bytes(): number {
    return this.#bytes;
  }

  reset(): void {
    this.#start = 0;
    this.#count = 0;
    this.#bytes = 0;
  }
}
