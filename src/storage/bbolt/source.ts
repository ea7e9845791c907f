/**
 * What a bbolt file holds, as the writer takes it and the reader gives it:
 * top-level buckets in the unsigned byte order of their names, each with its
 * entries in the unsigned byte order of their keys. etcd uses no nested
 * buckets, so neither do we.
 * @module
 */

/** One top-level bucket. */
export interface BucketContents {
  /** The bucket's name as bytes (etcd's names are ASCII: "key", "meta", …). */
  readonly name: Uint8Array;
  /**
   * The entries, keys strictly ascending in unsigned byte order. May be
   * called more than once; every call yields the same entries (a consistent
   * view), so a writer can measure in one pass and write in another.
   * Yielded buffers may be reused once the next entry is asked for.
   */
  entries(): Iterable<readonly [key: Uint8Array, value: Uint8Array]>;
}

/** A whole database: its buckets, names strictly ascending. Same repeatability rule as {@link BucketContents.entries}. */
export interface BucketSource {
  buckets(): Iterable<BucketContents>;
}
