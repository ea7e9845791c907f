/**
 * The buckets of the backend and the well-known keys of the `meta` bucket, in
 * one place. Names are etcd's own (bbolt bucket names), so a later bbolt
 * snapshot export/import maps bucket for bucket and `Maintenance.Hash`
 * walks the same names in the same order.
 * @module
 */

/** Every bucket, in the unsigned byte order of their names (the order bbolt and our hash walk them). */
export const BUCKETS = [
  "alarm",
  "auth",
  "authRoles",
  "authUsers",
  "cluster",
  "key",
  "lease",
  "members",
  "members_removed",
  "meta",
] as const;

export type Bucket = (typeof BUCKETS)[number];

export function isBucket(name: string): name is Bucket {
  return (BUCKETS as readonly string[]).includes(name);
}

/** Keys of the `meta` bucket. */
export const META_KEYS = {
  /** Raft index of the last applied entry, 8-byte big-endian. */
  consistentIndex: Buffer.from("consistent_index"),
  /** Raft term of the last applied entry, 8-byte big-endian (etcd 3.5+). */
  term: Buffer.from("term"),
  /** Revision (17-byte revision key) of the last compaction that was requested. */
  scheduledCompactRev: Buffer.from("scheduledCompactRev"),
  /** Revision (17-byte revision key) of the last compaction whose deletes are done. */
  finishedCompactRev: Buffer.from("finishedCompactRev"),
  /** Raft's membership configuration as of the consistent index, etcd's ConfState JSON (etcd 3.5+). */
  confState: Buffer.from("confState"),
} as const;

/** A bucket/key pair left out of {@link Backend.hash}. */
export interface IgnoreKey {
  bucket: Bucket;
  key: Uint8Array;
}

/**
 * What Maintenance.Hash leaves out, as etcd does: the consistent index and
 * term change with raft bookkeeping that users do not control.
 */
export const DEFAULT_HASH_IGNORES: readonly IgnoreKey[] = [
  { bucket: "meta", key: META_KEYS.consistentIndex },
  { bucket: "meta", key: META_KEYS.term },
];
