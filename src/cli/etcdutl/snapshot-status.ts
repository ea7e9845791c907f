/**
 * `etcdutl snapshot status`: the figures etcd's `snapshot.Status` computes
 * from a bbolt file — a CRC-32C over every bucket name, key and value in
 * file order, the main revision of the `key` bucket's last key, the number
 * of keys alive at the end of the history, bbolt's tx.Size(), and the
 * storage version kept in `meta` (etcd 3.6+; empty for older files).
 * @module
 */
import { crc32cUpdate } from "../../pkg/crc32c.js";
import type { BucketSource } from "../../storage/bbolt/index.js";
import { bytesToRev, decodeKeyValue, isTombstoneKey } from "../../storage/mvcc/index.js";

export interface SnapshotStatus {
  readonly hash: number;
  readonly revision: bigint;
  readonly totalKey: number;
  readonly totalSize: number;
  /** The storage version, e.g. "3.6.0"; "" when the file has none. */
  readonly version: string;
}

/** A file whose content is not what etcd stores: the message says which bucket and key. */
export class SnapshotContentError extends Error {
  override readonly name = "SnapshotContentError";
}

const KEY_BUCKET = Buffer.from("key");
const META_BUCKET = Buffer.from("meta");
const STORAGE_VERSION_KEY = Buffer.from("storageVersion");
const REVISION_KEY_BYTES = 17;

/** The status of the database in `source`, whose bbolt size is `totalSize`. */
export function snapshotStatus(source: BucketSource, totalSize: number): SnapshotStatus {
  let hash = 0;
  let revision = 0n;
  let version = "";
  // Live user keys, as latin1 strings of their bytes: a put adds, a tombstone removes.
  const liveKeys = new Set<string>();
  for (const bucket of source.buckets()) {
    const name = Buffer.from(bucket.name);
    hash = crc32cUpdate(hash, name);
    const isKeyBucket = name.equals(KEY_BUCKET);
    const isMeta = name.equals(META_BUCKET);
    for (const [key, value] of bucket.entries()) {
      hash = crc32cUpdate(crc32cUpdate(hash, key), value);
      if (isMeta && Buffer.from(key).equals(STORAGE_VERSION_KEY)) version = semverText(Buffer.from(value).toString("utf8"));
      if (!isKeyBucket) continue;
      if (key.length < REVISION_KEY_BYTES) throw new SnapshotContentError(`cannot parse revision key: ${JSON.stringify(Buffer.from(key).toString("latin1"))}`);
      revision = bytesToRev(key).main;
      let userKey: string;
      try {
        userKey = Buffer.from(decodeKeyValue(view(value)).key).toString("latin1");
      } catch (err) {
        throw new SnapshotContentError(`cannot unmarshal value, key: ${JSON.stringify(Buffer.from(key).toString("latin1"))}: ${err instanceof Error ? err.message : String(err)}`);
      }
      if (isTombstoneKey(key)) liveKeys.delete(userKey);
      else liveKeys.add(userKey);
    }
  }
  return { hash, revision, totalKey: liveKeys.size, totalSize, version };
}

/** `bytes` as a Buffer without copying them. */
function view(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * The version as etcd prints it after a lenient semver parse
 * (Masterminds' NewVersion: "3.6" is 3.6.0, a leading "v" is dropped);
 * "" for text that is no version.
 */
export function semverText(text: string): string {
  const m = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/.exec(text);
  if (m === null) return "";
  const n = (s: string | undefined): string => String(BigInt(s ?? "0"));
  return `${n(m[1])}.${n(m[2])}.${n(m[3])}${m[4] ?? ""}${m[5] ?? ""}`;
}
