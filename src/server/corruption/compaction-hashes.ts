/**
 * The hashes taken at compactions (etcd 3.6's `hashStorage`): when a
 * compaction to revision C is applied, the key space up to C as it stands
 * just before — revisions at or below the previous compaction already
 * reduced to what that one kept — is hashed and remembered, keyed by C.
 * Every member applies the same compactions at the same points of the log,
 * so every member records the same hash for C unless its data differs; the
 * compaction hash check compares them. The newest ten are kept, as in etcd.
 *
 * etcd hashes while it deletes, in the compaction's batches; we hash the
 * same bytes in one pass just before the compaction is applied, which
 * costs the apply loop one read of the key bucket per compaction — so it
 * is done only with the CompactHashCheck gate on.
 * @module
 */
import { isEtcdError } from "../../pkg/errors.js";
import type { Logger } from "../../pkg/logger.js";
import type { PeerHashKV } from "../transport/index.js";

/** etcd's hashStorageMaxSize. */
export const MAX_COMPACTION_HASHES = 10;

/** A hash recorded at a compaction: `hashRevision` is the compaction's revision, `compactRevision` the one before it. */
export interface CompactionHash {
  hash: number;
  compactRevision: bigint;
  hashRevision: bigint;
}

export class CompactionHashes {
  /** Ascending by hashRevision. */
  #hashes: CompactionHash[] = [];

  record(h: CompactionHash): void {
    this.#hashes = this.#hashes.filter((x) => x.hashRevision !== h.hashRevision);
    this.#hashes.push(h);
    this.#hashes.sort((a, b) => (a.hashRevision < b.hashRevision ? -1 : a.hashRevision > b.hashRevision ? 1 : 0));
    if (this.#hashes.length > MAX_COMPACTION_HASHES) this.#hashes = this.#hashes.slice(-MAX_COMPACTION_HASHES);
  }

  /** The hash recorded for a compaction to `revision`, if any. */
  at(revision: bigint): CompactionHash | undefined {
    return this.#hashes.find((h) => h.hashRevision === revision);
  }

  /** The recorded hashes, newest compaction first. */
  newestFirst(): CompactionHash[] {
    return [...this.#hashes].reverse();
  }
}

/** What the recorder needs of the store. */
export interface HashSource {
  /** HashKV at `revision` (0: current); throws EtcdError Compacted / FutureRev. */
  hashByRev(revision: bigint): PeerHashKV;
  readonly rev: bigint;
}

/**
 * Answers a peer's HashKV request as etcd 3.6 does: a revision a compaction
 * was recorded at gets the recorded hash (the key space below it is gone),
 * any other is hashed now.
 */
export function hashForPeer(store: HashSource, hashes: CompactionHashes, revision: bigint): PeerHashKV {
  const recorded = hashes.at(revision);
  if (recorded !== undefined && revision !== 0n) return { ...recorded, currentRevision: store.rev };
  return store.hashByRev(revision);
}

/**
 * Runs `apply` (the compaction to `revision`) and, once it succeeded,
 * records the hash taken just before it. A compaction the store refuses
 * (compacted, future revision) records nothing.
 */
export function recordAroundCompaction<R extends { ok: boolean }>(
  store: HashSource,
  hashes: CompactionHashes,
  revision: bigint,
  apply: () => R,
  logger: Logger,
): R {
  let before: PeerHashKV | undefined;
  try {
    before = store.hashByRev(revision);
  } catch (err) {
    if (!isEtcdError(err)) throw err;
  }
  const result = apply();
  if (result.ok && before !== undefined) {
    const h = { hash: before.hash, compactRevision: before.compactRevision, hashRevision: before.hashRevision };
    hashes.record(h);
    logger.info({ hash: h.hash, revision: String(h.hashRevision), "compact-revision": String(h.compactRevision) }, "storing new hash");
  }
  return result;
}
