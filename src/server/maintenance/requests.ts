/** Maintenance requests: status, hashes. @module */
import type { Clock } from "../../pkg/clock.js";
import type {
  AlarmRequest,
  AlarmResponse,
  DefragmentResponse,
  DowngradeRequest,
  DowngradeResponse,
  HashKVRequest,
  HashKVResponse,
  HashResponse,
  MoveLeaderRequest,
  MoveLeaderResponse,
  SnapshotResponse,
  StatusResponse,
} from "../../gen/etcdserverpb/rpc.js";
import { EtcdError } from "../../pkg/errors.js";
import { AlarmType } from "../../gen/etcdserverpb/rpc.js";
import { type AlarmStore, describeAlarm } from "./alarms.js";
import { downgrade, DowngradeInfoStore, type DowngradeDeps } from "./downgrade.js";
import { streamSnapshot } from "./snapshot.js";
import type { Logger } from "../../pkg/logger.js";
import type { Proposer } from "../proposals/proposer.js";
import type { Backend } from "../../storage/backend/index.js";
import type { KVStore } from "../../storage/mvcc/index.js";
import { SERVER_VERSION } from "../../version.js";
import type { Cancellation, HeaderSource, MaintenanceApi } from "../api.js";
import { DEFAULT_QUOTA_BYTES } from "../config.js";

export interface RaftStatusView {
  lead: bigint;
  term: bigint;
  commit: bigint;
  applied: bigint;
}

export interface MaintenanceDeps {
  store: KVStore;
  backend: Backend;
  header: HeaderSource;
  quotaBytes: number;
  alarms: AlarmStore;
  proposer: Proposer;
  raftStatus(): RaftStatusView;
  /** Asks raft to hand leadership to `target` and resolves once it leads (rejects after `timeoutMs`). */
  transferLeadership(target: bigint, timeoutMs: number): Promise<void>;
  /** Whether `id` is a voting member (a learner cannot lead). */
  isVoter(id: bigint): boolean;
  memberId: bigint;
  requestTimeoutMs: number;
  /** The member's clock (Snapshot's pacing and timing); the system clock when absent. */
  clock?: Clock;
  /** Where Snapshot and Defragment log what they do, as etcd does. */
  logger?: Logger;
  /** A linearizable read barrier (ReadIndex): Downgrade reads the job only after it. */
  readBarrier(signal?: Cancellation): Promise<void>;
}

export class MaintenanceRequests implements MaintenanceApi {
  readonly #deps: MaintenanceDeps;
  readonly #downgrade: DowngradeDeps;

  constructor(deps: MaintenanceDeps) {
    this.#deps = deps;
    this.#downgrade = {
      store: new DowngradeInfoStore(deps.backend),
      header: deps.header,
      readBarrier: (signal) => deps.readBarrier(signal),
      propose: (body, signal) => deps.proposer.propose(body, signal),
    };
  }

  snapshot(signal: AbortSignal): AsyncIterable<SnapshotResponse> {
    return streamSnapshot({ backend: this.#deps.backend, logger: this.#deps.logger, clock: this.#deps.clock }, signal);
  }

  downgrade(req: DowngradeRequest, signal?: AbortSignal): Promise<DowngradeResponse> {
    return downgrade(this.#downgrade, req, signal);
  }

  async status(): Promise<StatusResponse> {
    const { backend, header } = this.#deps;
    const raft = this.#deps.raftStatus();
    const errors: string[] = [];
    if (raft.lead === 0n) errors.push("etcdserver: no leader");
    for (const a of this.#deps.alarms.get(AlarmType.NONE)) errors.push(describeAlarm(a));
    return {
      header: header.header(),
      version: SERVER_VERSION,
      dbSize: BigInt(backend.size()),
      leader: raft.lead,
      raftIndex: raft.commit,
      raftTerm: raft.term,
      raftAppliedIndex: raft.applied,
      errors,
      dbSizeInUse: BigInt(backend.sizeInUse()),
      isLearner: header.isLearner?.() ?? false,
      storageVersion: SERVER_VERSION,
      dbSizeQuota: BigInt(this.#deps.quotaBytes || DEFAULT_QUOTA_BYTES),
      downgradeInfo: this.#downgrade.store.info(),
    };
  }

  /** Every alarm action goes through the log, reads included, as in etcd. */
  async alarm(req: AlarmRequest, signal?: AbortSignal): Promise<AlarmResponse> {
    const result = await this.#deps.proposer.propose({ alarm: req }, signal);
    if (!result.ok) throw result.error;
    const resp = result.response as AlarmResponse;
    resp.header = this.#deps.header.header();
    return resp;
  }

  /** Only the leader moves leadership, and only to a voter (etcd's MoveLeader). */
  async moveLeader(req: MoveLeaderRequest): Promise<MoveLeaderResponse> {
    const d = this.#deps;
    if (d.raftStatus().lead !== d.memberId) throw new EtcdError("NotLeader");
    if (!d.isVoter(req.targetID)) throw new EtcdError("BadLeaderTransferee");
    await d.transferLeadership(req.targetID, d.requestTimeoutMs);
    return { header: d.header.header() };
  }

  async defragment(): Promise<DefragmentResponse> {
    const logger = this.#deps.logger;
    logger?.info({}, "starting defragment");
    try {
      await this.#deps.backend.defrag();
    } catch (err) {
      logger?.warn({ error: err instanceof Error ? err.message : String(err) }, "failed to defragment");
      throw err;
    }
    logger?.info({}, "finished defragment");
    // etcd answers Defragment with an empty message (no header).
    return { header: undefined };
  }

  async hash(): Promise<HashResponse> {
    const { hash, rev } = this.#deps.store.hash();
    return { header: this.#deps.header.header(rev), hash };
  }

  async hashKV(req: HashKVRequest): Promise<HashKVResponse> {
    const r = this.#deps.store.hashByRev(req.revision);
    return { header: this.#deps.header.header(r.currentRevision), hash: r.hash, compactRevision: r.compactRevision, hashRevision: r.hashRevision };
  }
}
