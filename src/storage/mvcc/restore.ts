/**
 * Rebuilds the store's memory from the backend on open: the compact
 * revision (`finishedCompactRev`), the index (replaying the `key` bucket in
 * revision order), the current revision (the newest stored, at least the
 * compact revision), the lessor's key attachments, and any compaction that
 * was scheduled but not finished.
 * @module
 */

import { META_KEYS } from "../backend/schema.js";
import { keyString } from "../backend/write-buffer.js";
import { KeyIndex } from "./key-index.js";
import { decodeKeyValue } from "./kv-codec.js";
import { bytesToRev, isTombstoneKey } from "./revision.js";
import type { StoreCore } from "./store-core.js";

export interface RestoreResult {
  /** A compaction to resume (scheduled above the finished one), or undefined. */
  resumeCompactRev: bigint | undefined;
  keys: number;
  revisions: number;
}

export function restoreFromBackend(core: StoreCore): RestoreResult {
  const backend = core.backend;
  const finished = backend.get("meta", META_KEYS.finishedCompactRev);
  if (finished !== undefined) core.compactMainRev = bytesToRev(finished).main;
  const scheduledRaw = backend.get("meta", META_KEYS.scheduledCompactRev);
  const scheduled = scheduledRaw === undefined ? 0n : bytesToRev(scheduledRaw).main;

  let currentRev = 1n;
  let revisions = 0;
  const index = core.index;
  backend.forEach("key", (rawKey, rawValue) => {
    const r = bytesToRev(rawKey);
    const kv = decodeKeyValue(rawValue);
    const k = keyString(kv.key);
    currentRev = r.main;
    revisions++;
    const ki = index.keyIndex(k);
    if (isTombstoneKey(rawKey)) {
      // A tombstone of a key we never saw alive (its puts were compacted) changes nothing.
      if (ki !== undefined && !ki.isEmpty()) ki.tombstone(r.main, r.sub);
      if (ki !== undefined) ki.lease = 0n;
      return;
    }
    if (ki !== undefined) {
      ki.put(r.main, r.sub);
      ki.lease = kv.lease;
      return;
    }
    const fresh = new KeyIndex(k);
    fresh.restore({ main: kv.createRevision, sub: 0n }, r, kv.version);
    fresh.lease = kv.lease;
    index.insert(fresh);
  });
  // Compaction may have deleted every revision up to the compact revision: the store
  // was at least there. A scheduled compaction proves the same for its revision (etcd
  // would fail to resume it with "future revision" in that case and never finish it).
  let floor = core.compactMainRev > scheduled ? core.compactMainRev : scheduled;
  if (floor < 1n) floor = 1n;
  core.currentRev = currentRev < floor ? floor : currentRev;

  if (core.lessor !== undefined) {
    for (const ki of index.entries()) {
      if (ki.lease !== 0n && ki.isLive()) core.lessor.attach(ki.lease, Buffer.from(ki.key, "latin1"));
    }
  }
  return {
    resumeCompactRev: scheduled > 0n && scheduled > core.compactMainRev ? scheduled : undefined,
    keys: index.size,
    revisions,
  };
}
