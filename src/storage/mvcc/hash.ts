/**
 * HashKV: etcd's `HashByRev`. A CRC-32C that starts with the bucket name
 * `key`, then every backend key and value of the `key` bucket whose main
 * revision is <= the hashed revision, skipping revisions <= the compact
 * revision that a compaction at the hashed revision would not keep (so a
 * compaction in progress and a finished one hash the same) — unless nothing
 * at all would be kept, in which case nothing is skipped (as in etcd).
 * @module
 */

import { EtcdError } from "../../pkg/errors.js";
import { Crc32c } from "../../pkg/crc32c.js";
import { bytesToRev, revIdOfKey } from "./revision.js";
import type { StoreCore } from "./store-core.js";
import type { HashKVResult } from "./types.js";

const KEY_BUCKET_NAME = Buffer.from("key");

export function hashByRev(core: StoreCore, rev: bigint): HashKVResult {
  const compactRev = core.compactMainRev;
  const currentRev = core.currentRev;
  if (rev > 0n && rev <= compactRev) throw new EtcdError("Compacted");
  if (rev > 0n && rev > currentRev) throw new EtcdError("FutureRev");
  const hashRev = rev === 0n ? currentRev : rev;
  const keep = core.index.keep(hashRev);
  const h = new Crc32c();
  h.update(KEY_BUCKET_NAME);
  core.backend.forEach("key", (key, value) => {
    const kr = bytesToRev(key);
    // Keys are in revision order: nothing after this one is <= hashRev.
    if (kr.main > hashRev) return false;
    if (kr.main <= compactRev && keep.size > 0 && !keep.has(revIdOfKey(key))) return true;
    h.update(key);
    h.update(value);
    return true;
  });
  return { hash: h.sum(), compactRevision: compactRev, hashRevision: hashRev, currentRevision: currentRev };
}
