/**
 * The events one watcher gets in one delivery, cut only at revision
 * boundaries: once a batch holds `maxRevisions` distinct revisions or
 * `maxBytes` of events, the next revision is left out and remembered as
 * `moreRev` (where the watcher continues). A single revision is never split.
 * @module
 */

import type { Event } from "../../../gen/mvccpb/kv.js";

/** Rough in-memory/wire size of an event: what the byte limits count. */
export function eventBytes(ev: Event): number {
  const kv = ev.kv;
  if (kv === undefined) return 16;
  return kv.key.length + kv.value.length + 48;
}

export class EventBatch {
  readonly events: Event[] = [];
  /** Distinct revisions in `events`. */
  revisions = 0;
  bytes = 0;
  /** 0 while the batch is open; else the first revision that did not fit. */
  moreRev = 0n;
  #lastRev = -1n;
  readonly #maxRevisions: number;
  readonly #maxBytes: number;

  constructor(maxRevisions: number, maxBytes: number) {
    this.#maxRevisions = maxRevisions;
    this.#maxBytes = maxBytes;
  }

  get full(): boolean {
    return this.moreRev !== 0n;
  }

  /** Adds an event of revision `rev` (non-decreasing across calls); false once the batch is closed. */
  add(ev: Event, rev: bigint): boolean {
    if (this.moreRev !== 0n) return false;
    if (rev !== this.#lastRev) {
      if (this.revisions >= this.#maxRevisions || (this.revisions > 0 && this.bytes >= this.#maxBytes)) {
        this.moreRev = rev;
        return false;
      }
      this.revisions++;
      this.#lastRev = rev;
    }
    this.events.push(ev);
    this.bytes += eventBytes(ev);
    return true;
  }

  /** A batch holding exactly these events (one revision of live events). */
  static of(events: readonly Event[]): EventBatch {
    const b = new EventBatch(1, Number.MAX_SAFE_INTEGER);
    for (const ev of events) {
      b.events.push(ev);
      b.bytes += eventBytes(ev);
    }
    b.revisions = events.length > 0 ? 1 : 0;
    return b;
  }
}
