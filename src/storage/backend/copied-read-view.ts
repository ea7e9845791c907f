/**
 * A {@link BackendReadView} over entries copied out at open: the memory
 * backend's view. Keys and values are shared with the backend, not copied —
 * the backend never modifies a stored buffer, it only replaces entries.
 * @module
 */

import type { BucketContents } from "../bbolt/source.js";
import type { BackendReadView } from "./backend.js";
import type { Bucket } from "./schema.js";
import { ReadViewClosedError } from "./read-view-error.js";

export type CopiedBucket = readonly (readonly [key: Buffer, value: Buffer])[];

export class CopiedReadView implements BackendReadView {
  /** Buckets in the unsigned byte order of their names, entries in key order. */
  readonly #buckets: readonly (readonly [Bucket, CopiedBucket])[];
  #closed = false;

  constructor(buckets: readonly (readonly [Bucket, CopiedBucket])[]) {
    this.#buckets = buckets;
  }

  *buckets(): Iterable<BucketContents> {
    for (const [name, entries] of this.#buckets) {
      yield { name: Buffer.from(name), entries: () => this.#entries(entries) };
    }
  }

  close(): void {
    this.#closed = true;
  }

  *#entries(entries: CopiedBucket): Iterable<readonly [Uint8Array, Uint8Array]> {
    for (const entry of entries) {
      if (this.#closed) throw new ReadViewClosedError("closed");
      yield entry;
    }
  }
}
