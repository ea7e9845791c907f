/**
 * The batches committed while a defragmenting copy is being made, kept in
 * commit order so they can be replayed into the copy. Replaying is
 * idempotent per key (every write sets or deletes a whole key), so a log that
 * starts at or before the copy's snapshot — some batches are in both — still
 * brings the copy to the live state.
 *
 * Memory is bounded: the log counts the bytes of the keys and values it
 * holds and reports when it passes its limit; the owner then stops
 * committing until the copy has caught up.
 * @module
 */

import type { WriteBuffer } from "./write-buffer.js";

export class BatchLog {
  readonly limitBytes: number;
  #batches: WriteBuffer[] = [];
  #bytes = 0;
  /** Batches recorded since the log was made, taken or not. */
  recorded = 0;

  constructor(limitBytes: number) {
    this.limitBytes = limitBytes;
  }

  /** Appends a sealed batch; true when the log now holds more than its limit. */
  record(batch: WriteBuffer): boolean {
    this.#batches.push(batch);
    this.recorded++;
    for (const [, w] of batch.all()) this.#bytes += w.key.length + (w.value?.length ?? 0);
    return this.#bytes > this.limitBytes;
  }

  /** Bytes of keys and values not yet taken. */
  get bytes(): number {
    return this.#bytes;
  }

  get length(): number {
    return this.#batches.length;
  }

  /** Removes and returns every recorded batch, oldest first. */
  takeAll(): WriteBuffer[] {
    const taken = this.#batches;
    this.#batches = [];
    this.#bytes = 0;
    return taken;
  }
}
