/**
 * The three corruption checks of etcd (`server/etcdserver/corrupt.go`),
 * as rules over hashes — no sockets, no timers: what they need comes in
 * through {@link CheckerDeps}, so a test drives them with fakes.
 *
 * - {@link CorruptionChecker.initialCheck}: before a restarted member
 *   serves, its hash against every peer's at its own revision; a peer at the
 *   same compact revision with another hash stops the start.
 * - {@link CorruptionChecker.periodicCheck} (leader): the leader's hash
 *   against every follower's; raises CORRUPT for the follower etcd blames.
 * - {@link CorruptionChecker.compactHashCheck} (leader): the hashes recorded
 *   at compactions against the peers' for the same compaction; the members
 *   outside the majority get CORRUPT (all of them, as member 0, without one).
 * @module
 */
import type { Logger } from "../../pkg/logger.js";
import { formatId } from "../membership/ids.js";
import type { PeerHashKV } from "../transport/index.js";
import type { CompactionHash } from "./compaction-hashes.js";
import { describeFailure, type PeerHashResult } from "./peer-hashes.js";

export interface CheckerDeps {
  memberId: bigint;
  /** This member's HashKV at `revision` (0: the current one). */
  localHash(revision: bigint): PeerHashKV;
  /** Every peer's HashKV at `revision` (peers without a URL left out). */
  peerHashes(revision: bigint): Promise<PeerHashResult[]>;
  /** Resolves once this member has applied all that was committed when it was called (a ReadIndex round). */
  linearizableBarrier(): Promise<void>;
  /** Raises CORRUPT for `memberId` (0: the whole cluster) through the log. */
  triggerCorruptAlarm(memberId: bigint): void;
  /** The hashes recorded at compactions, newest first. */
  compactionHashes(): CompactionHash[];
  /** Milliseconds each peer request may take (logged). */
  requestTimeoutMs: number;
  logger: Logger;
}

/** The initial check found a peer whose data differs: the member must not start. */
export class InitialCorruptionError extends Error {
  constructor(memberId: bigint) {
    super(`${formatId(memberId)} found data inconsistency with peers`);
    this.name = "InitialCorruptionError";
  }
}

export class CorruptionChecker {
  readonly #deps: CheckerDeps;
  /** The newest compaction revision whose hash the whole cluster agreed on. */
  #latestRevisionChecked = 0n;

  constructor(deps: CheckerDeps) {
    this.#deps = deps;
  }

  /** Throws {@link InitialCorruptionError} when a peer at the same compact revision has another hash. */
  async initialCheck(): Promise<void> {
    const { memberId, logger } = this.#deps;
    const local = formatId(memberId);
    logger.info({ "local-member-id": local, timeout: `${this.#deps.requestTimeoutMs}ms` }, "starting initial corruption check");
    const h = this.#deps.localHash(0n);
    const peers = await this.#deps.peerHashes(h.hashRevision);
    const mine = {
      "local-member-id": local,
      "local-member-revision": String(h.hashRevision),
      "local-member-compact-revision": String(h.compactRevision),
      "local-member-hash": h.hash,
    };
    let mismatches = 0;
    for (const p of peers) {
      const theirs = { "remote-peer-id": formatId(p.id), "remote-peer-endpoints": p.peerUrls };
      if (p.ok) {
        if (p.hash.hash === h.hash) continue;
        const fields = {
          ...mine,
          ...theirs,
          "remote-peer-revision": String(p.hash.currentRevision),
          "remote-peer-compact-revision": String(p.hash.compactRevision),
          "remote-peer-hash": p.hash.hash,
        };
        if (p.hash.compactRevision === h.compactRevision) {
          logger.warn(fields, "found different hash values from remote peer");
          mismatches++;
        } else {
          logger.warn(fields, "found different compact revision values from remote peer");
        }
        continue;
      }
      const fields = { ...mine, ...theirs, error: describeFailure(p.failure) };
      switch (p.failure.kind) {
        case "future-revision":
          logger.warn(fields, "cannot fetch hash from slow remote peer");
          break;
        case "compacted":
          logger.warn(fields, "cannot fetch hash from remote peer; local member is behind");
          break;
        case "cluster-id-mismatch":
          logger.warn(fields, "cluster ID mismatch");
          break;
        case "other":
          // Unreachable peers were logged by the request ("failed hash kv request") and are skipped.
          break;
      }
    }
    if (mismatches > 0) throw new InitialCorruptionError(memberId);
    logger.info({ "local-member-id": local }, "initial corruption checking passed; no corruption");
  }

  /**
   * The leader's round: hash, ask the followers at that revision, then hash
   * again after a ReadIndex round (the store may have moved meanwhile). A
   * follower ahead of the leader, or compacted past it, is blamed; so is one
   * at the leader's first compact revision with another hash. Only the first
   * finding raises the alarm, as in etcd.
   */
  async periodicCheck(): Promise<void> {
    const { logger } = this.#deps;
    const h = this.#deps.localHash(0n);
    const peers = await this.#deps.peerHashes(h.hashRevision);
    await this.#deps.linearizableBarrier();
    const h2 = this.#deps.localHash(0n);

    let alarmed = false;
    const mismatch = (id: bigint): void => {
      if (alarmed) return;
      alarmed = true;
      this.#deps.triggerCorruptAlarm(id);
    };

    if (h2.hash !== h.hash && h2.hashRevision === h.hashRevision && h2.compactRevision === h.compactRevision) {
      logger.warn(
        {
          "revision-1": String(h.hashRevision),
          "compact-revision-1": String(h.compactRevision),
          "hash-1": h.hash,
          "revision-2": String(h2.hashRevision),
          "compact-revision-2": String(h2.compactRevision),
          "hash-2": h2.hash,
        },
        "found hash mismatch",
      );
      mismatch(this.#deps.memberId);
    }

    let checked = 0;
    for (const p of peers) {
      if (!p.ok) continue;
      checked++;
      const follower = formatId(p.id);
      if (p.hash.currentRevision > h2.hashRevision) {
        logger.warn(
          { "leader-revision": String(h2.hashRevision), "follower-revision": String(p.hash.currentRevision), "follower-peer-id": follower },
          "revision from follower must be less than or equal to leader's",
        );
        mismatch(p.id);
      }
      if (p.hash.compactRevision > h2.compactRevision) {
        logger.warn(
          { "leader-compact-revision": String(h2.compactRevision), "follower-compact-revision": String(p.hash.compactRevision), "follower-peer-id": follower },
          "compact revision from follower must be less than or equal to leader's",
        );
        mismatch(p.id);
      }
      if (p.hash.compactRevision === h.compactRevision && p.hash.hash !== h.hash) {
        logger.warn(
          {
            "leader-compact-revision": String(h2.compactRevision),
            "leader-hash": h.hash,
            "follower-compact-revision": String(p.hash.compactRevision),
            "follower-hash": p.hash.hash,
            "follower-peer-id": follower,
          },
          "same compact revision then hashes must match",
        );
        mismatch(p.id);
      }
    }
    logger.info({ "number-of-peers-checked": checked }, "finished peer corruption check");
  }

  /**
   * Walks the recorded compaction hashes not yet agreed on, newest first,
   * until one is checked against every peer (or a mismatch is found).
   */
  async compactHashCheck(): Promise<void> {
    const { logger, memberId } = this.#deps;
    logger.info({ "local-member-id": formatId(memberId), timeout: `${this.#deps.requestTimeoutMs}ms` }, "starting compact hash check");
    const hashes = this.#deps.compactionHashes().filter((h) => h.hashRevision > this.#latestRevisionChecked);
    for (const [i, hash] of hashes.entries()) {
      const peers = await this.#deps.peerHashes(hash.hashRevision);
      if (peers.length === 0) continue;
      if (this.#checkPeerHashes(hash, peers)) {
        logger.info({ "number-of-hashes-checked": i + 1 }, "finished compaction hash check");
        return;
      }
    }
    logger.info({ "number-of-hashes-checked": hashes.length }, "finished compaction hash check");
  }

  /** True when this revision is settled (agreed by all, or alarms raised); false when some peer could not be compared. */
  #checkPeerHashes(leaderHash: CompactionHash, peers: readonly PeerHashResult[]): boolean {
    const { logger, memberId } = this.#deps;
    const leader = formatId(memberId);
    const byHash = new Map<number, bigint[]>([[leaderHash.hash, [memberId]]]);
    let checked = 0;
    for (const p of peers) {
      if (!p.ok || p.hash.compactRevision !== leaderHash.compactRevision) {
        const reason = !p.ok
          ? "no response"
          : `the peer's CompactRevision ${p.hash.compactRevision} doesn't match leader's CompactRevision ${leaderHash.compactRevision}`;
        logger.warn({ "number-of-peers": peers.length, "leader-id": leader, "peer-id": formatId(p.id), reason }, "Skipped peer's hash");
        continue;
      }
      checked++;
      const ids = byHash.get(p.hash.hash);
      if (ids === undefined) byHash.set(p.hash.hash, [p.id]);
      else ids.push(p.id);
    }

    if (byHash.size === 1) {
      if (checked === peers.length) {
        logger.info(
          { "number-of-peers-checked": checked, revision: String(leaderHash.hashRevision), compactRevision: String(leaderHash.compactRevision) },
          "successfully checked hash on whole cluster",
        );
        if (leaderHash.hashRevision > this.#latestRevisionChecked) this.#latestRevisionChecked = leaderHash.hashRevision;
        return true;
      }
      logger.warn(
        {
          "number-of-peers-checked": checked,
          "number-of-peers": peers.length,
          revision: String(leaderHash.hashRevision),
          compactRevision: String(leaderHash.compactRevision),
        },
        "skipped revision in compaction hash check; was not able to check all peers",
      );
      return false;
    }

    // A mismatch: the members holding the majority's hash are right, the others get the alarm.
    const quorum = Math.floor((peers.length + 1) / 2) + 1;
    let majority: number | undefined;
    for (const [hash, ids] of byHash) {
      if (ids.length >= quorum) {
        majority = hash;
        break;
      }
    }
    const leaderFields = {
      "leader-id": leader,
      "leader-revision": String(leaderHash.hashRevision),
      "leader-compact-revision": String(leaderHash.compactRevision),
      "leader-hash": leaderHash.hash,
    };
    if (majority === undefined) {
      logger.error(leaderFields, "Detected compaction hash mismatch but cannot identify the corrupted members, so intentionally set the memberID as 0");
      this.#deps.triggerCorruptAlarm(0n);
    } else {
      byHash.delete(majority);
    }
    for (const [hash, ids] of byHash) {
      if (majority !== undefined) for (const id of ids) this.#deps.triggerCorruptAlarm(id);
      logger.error(
        { ...leaderFields, "peer-hash": hash, "peer-ids": ids.map(formatId), "quorum-exist": majority !== undefined },
        "Detected compaction hash mismatch",
      );
    }
    return true;
  }
}
