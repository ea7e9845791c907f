/**
 * etcd 3.6's `--bump-revision N --mark-compacted`: the store's latest
 * revision moves N ahead (an empty entry at {latest+N, 0} in the key bucket,
 * which is how etcd 3.6 marks it) and that revision is scheduled as
 * compacted, so a watcher of the old cluster that resumes from an old
 * revision is told "compacted" instead of silently missing events, and
 * every new write gets a revision above any the clients have seen.
 * @module
 */
import type { Backend } from "../../storage/backend/index.js";
import { META_KEYS } from "../../storage/backend/index.js";
import { bytesToRev, compareRev, revToBytes, type Revision } from "../../storage/mvcc/index.js";

/** The newest revision in the key bucket ({0, 0} for an empty store). */
export function latestRevision(backend: Backend): Revision {
  let latest: Revision = { main: 0n, sub: 0n };
  backend.forEach("key", (k) => {
    const r = bytesToRev(k);
    if (compareRev(r, latest) > 0) latest = r;
  });
  return latest;
}

/** Writes the bumped revision and schedules its compaction; returns the new latest main revision. */
export function bumpAndMarkCompacted(backend: Backend, amount: bigint): bigint {
  const bumped = latestRevision(backend).main + amount;
  const rev = revToBytes({ main: bumped, sub: 0n });
  backend.put("key", rev, Buffer.alloc(0));
  backend.put("meta", META_KEYS.scheduledCompactRev, rev);
  return bumped;
}

/** The revision the store will report once opened: its newest entry, or a compaction above it (as mvcc's restore decides). */
export function storeRevision(backend: Backend): bigint {
  let rev = latestRevision(backend).main;
  for (const key of [META_KEYS.finishedCompactRev, META_KEYS.scheduledCompactRev]) {
    const stored = backend.get("meta", key);
    if (stored !== undefined && stored.length >= 8) {
      const main = bytesToRev(stored).main;
      if (main > rev) rev = main;
    }
  }
  return rev;
}
