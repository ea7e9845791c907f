/**
 * A member's corruption checks put together: the checker over this member's
 * store, its peers and the log; the leader's periodic rounds on the server's
 * {@link Ticker}; the hashes recorded at compactions; the answer to a peer's
 * `GET /members/hashkv`. One round of a kind runs at a time (a slow peer
 * makes a round long, never two at once), only while this member leads, and
 * nothing runs or raises an alarm once the member stops.
 * @module
 */
import { AlarmRequest_AlarmAction, AlarmType } from "../../gen/etcdserverpb/rpc.js";
import type { Logger } from "../../pkg/logger.js";
import type { TlsClientSettings } from "../../tls/index.js";
import type { CorruptionCheckSettings } from "../config.js";
import type { Member } from "../membership/member.js";
import type { RaftRequestBody } from "../proposals/codec.js";
import type { Ticker } from "../ticker.js";
import type { PeerHashKV } from "../transport/index.js";
import { CorruptionChecker } from "./checker.js";
import { CompactionHashes, hashForPeer, recordAroundCompaction, type HashSource } from "./compaction-hashes.js";
import { fetchPeerHashes } from "./peer-hashes.js";

export interface CorruptionMonitorDeps {
  settings: CorruptionCheckSettings;
  memberId: bigint;
  clusterId: bigint;
  store: HashSource;
  /** The cluster's members (this one included), as applied. */
  members(): readonly Member[];
  isLeader(): boolean;
  linearizableBarrier(): Promise<void>;
  propose(body: RaftRequestBody): Promise<unknown>;
  requestTimeoutMs: number;
  /** This member's peer client certificate, for https peer URLs. */
  tls?: TlsClientSettings;
  logger: Logger;
}

export class CorruptionMonitor {
  readonly checker: CorruptionChecker;
  readonly #deps: CorruptionMonitorDeps;
  readonly #hashes = new CompactionHashes();
  readonly #running = new Set<"periodic" | "compact">();
  #stopped = false;

  constructor(deps: CorruptionMonitorDeps) {
    this.#deps = deps;
    const { memberId, clusterId, requestTimeoutMs, logger } = deps;
    this.checker = new CorruptionChecker({
      memberId,
      requestTimeoutMs,
      logger,
      localHash: (revision) => {
        if (this.#stopped) throw new Error("the member is stopping");
        return deps.store.hashByRev(revision);
      },
      peerHashes: (revision) => {
        const peers = deps.members().filter((m) => m.id !== memberId);
        return fetchPeerHashes(peers, revision, { clusterId, memberId, timeoutMs: requestTimeoutMs, logger, ...(deps.tls !== undefined ? { tls: deps.tls } : {}) });
      },
      linearizableBarrier: () => deps.linearizableBarrier(),
      triggerCorruptAlarm: (id) => this.#raiseCorrupt(id),
      compactionHashes: () => this.#hashes.newestFirst(),
    });
  }

  /** Whether a restarted member must pass the initial check before it serves. */
  get initialCheckEnabled(): boolean {
    return this.#deps.settings.initialCheck;
  }

  /** Adds the leader's rounds the settings ask for to the server's periodic duties. */
  schedule(ticker: Ticker): void {
    const { periodicCheckIntervalMs, compactHashCheck, compactHashCheckIntervalMs } = this.#deps.settings;
    const log = this.#deps.logger;
    if (periodicCheckIntervalMs > 0) {
      log.info({ "local-member-id": this.#deps.memberId.toString(16), interval: `${periodicCheckIntervalMs}ms` }, "enabled corruption checking");
      ticker.every(periodicCheckIntervalMs, () => this.#round("periodic", () => this.checker.periodicCheck(), "failed to check hash KV"));
    }
    if (compactHashCheck && compactHashCheckIntervalMs > 0) {
      log.info({ "local-member-id": this.#deps.memberId.toString(16), interval: `${compactHashCheckIntervalMs}ms` }, "enabled compaction hash check");
      ticker.every(compactHashCheckIntervalMs, () => this.#round("compact", () => this.checker.compactHashCheck(), "failed to check compaction hashes"));
    }
  }

  /** The answer to a peer's `GET /members/hashkv`. */
  hashForPeer(revision: bigint): PeerHashKV {
    return hashForPeer(this.#deps.store, this.#hashes, revision);
  }

  /**
   * Applies a compaction through `apply`; with the CompactHashCheck gate on,
   * records the hash the compaction check compares.
   */
  aroundCompaction<R extends { ok: boolean }>(revision: bigint, apply: () => R): R {
    if (!this.#deps.settings.compactHashCheck) return apply();
    return recordAroundCompaction(this.#deps.store, this.#hashes, revision, apply, this.#deps.logger);
  }

  /** Rounds in flight finish without touching the store or raising alarms. */
  stop(): void {
    this.#stopped = true;
  }

  #round(kind: "periodic" | "compact", run: () => Promise<void>, failure: string): void {
    if (this.#stopped || this.#running.has(kind) || !this.#deps.isLeader()) return;
    this.#running.add(kind);
    run()
      .catch((err: unknown) => {
        if (!this.#stopped) this.#deps.logger.warn({ error: err instanceof Error ? err.message : String(err) }, failure);
      })
      .finally(() => this.#running.delete(kind));
  }

  #raiseCorrupt(memberId: bigint): void {
    if (this.#stopped) return;
    this.#deps.logger.warn({ "member-id": memberId.toString(16) }, "raising the CORRUPT alarm");
    this.#deps
      .propose({ alarm: { action: AlarmRequest_AlarmAction.ACTIVATE, memberID: memberId, alarm: AlarmType.CORRUPT } })
      .catch((err: unknown) => {
        if (!this.#stopped) this.#deps.logger.warn({ error: err instanceof Error ? err.message : String(err) }, "failed to raise the CORRUPT alarm");
      });
  }
}
