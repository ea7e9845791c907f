/**
 * Everything lease-related the server composes, behind one object so the
 * server's own wiring stays a few lines: the lessor (built BEFORE the mvcc
 * store, whose restore re-attaches leased keys to it), the leader's duties,
 * the request paths, and the apply hook for the dispatcher.
 * @module
 */
import type { Clock } from "../../pkg/clock.js";
import { IdGenerator } from "../../pkg/id-generator.js";
import type { Logger } from "../../pkg/logger.js";
import { Lessor, type LessorMetrics } from "../../lease/index.js";
import type { Backend } from "../../storage/backend/index.js";
import type { KVStore } from "../../storage/mvcc/index.js";
import type { HeaderSource, LeaseApi } from "../api.js";
import type { ApplyResult } from "../apply/apply-result.js";
import { LeaseKeeper } from "./keeper.js";
import { LeaseRequests, type LeaseForwarder } from "./requests.js";
import { DEFAULT_LEASE_SETTINGS, LEASE_REVOKE_RATE, leaseExtensionMs, minLeaseTtlSeconds, type LeaseSettings } from "./settings.js";
import type { RaftRequestBody } from "../proposals/proposer.js";
import type { Quota } from "../maintenance/quota.js";

export interface ServerLeasesDeps {
  settings?: LeaseSettings;
  heartbeatIntervalMs: number;
  electionTimeoutMs: number;
  requestTimeoutMs: number;
  memberId: bigint;
  backend: Backend;
  clock: Clock;
  logger: Logger;
  /** The mvcc store; called only after construction (the store is built after the lessor). */
  store(): KVStore;
  propose(body: RaftRequestBody, signal?: AbortSignal): Promise<ApplyResult>;
  /** A linearizable read barrier: resolves once everything committed before the call is applied. */
  readBarrier(): Promise<void>;
  header: HeaderSource;
  committedIndex(): bigint;
  appliedIndex(): bigint;
  waitApplied(index: bigint): Promise<void>;
  quota: Quota;
  raiseNoSpace(): Promise<void>;
  /** The cluster version ("3.6.0"); from 3.6 on checkpoints are always persisted. */
  clusterVersion(): string | undefined;
  metrics?: LessorMetrics;
  onExpired?(): void;
  forwarder?: LeaseForwarder;
}

/** True for "3.6.0" and later. */
export function atLeast36(version: string | undefined): boolean {
  if (version === undefined) return false;
  const [major, minor] = version.split(".").map((p) => Number.parseInt(p, 10));
  if (major === undefined || minor === undefined || Number.isNaN(major) || Number.isNaN(minor)) return false;
  return major > 3 || (major === 3 && minor >= 6);
}

export class ServerLeases {
  readonly lessor: Lessor;
  readonly keeper: LeaseKeeper;
  readonly api: LeaseApi;

  constructor(deps: ServerLeasesDeps) {
    const settings = deps.settings ?? DEFAULT_LEASE_SETTINGS;
    const logger = deps.logger;
    this.lessor = new Lessor({
      backend: deps.backend,
      clock: deps.clock,
      minTtlSeconds: minLeaseTtlSeconds(deps.heartbeatIntervalMs, deps.electionTimeoutMs),
      // etcd retries a lost revocation after its request timeout.
      expiredRetryMs: deps.requestTimeoutMs,
      revokeRatePerSecond: LEASE_REVOKE_RATE,
      persistCheckpoints: () => settings.checkpointPersist || atLeast36(deps.clusterVersion()),
      deleter: () => deps.store().write(),
      logger,
      ...(settings.checkpointIntervalMs !== undefined ? { checkpointIntervalMs: settings.checkpointIntervalMs } : {}),
      ...(deps.metrics !== undefined ? { metrics: deps.metrics } : {}),
    });
    this.keeper = new LeaseKeeper({
      lessor: this.lessor,
      propose: (body) => deps.propose(body),
      readBarrier: deps.readBarrier,
      extendMs: leaseExtensionMs(deps.heartbeatIntervalMs, deps.electionTimeoutMs),
      logger,
      ...(deps.onExpired !== undefined ? { onExpired: deps.onExpired } : {}),
    });
    if (settings.checkpoint) this.lessor.setCheckpointer((checkpoints) => this.keeper.proposeCheckpoints(checkpoints));
    this.api = new LeaseRequests({
      lessor: this.lessor,
      keeper: this.keeper,
      propose: deps.propose,
      header: deps.header,
      ids: new IdGenerator(deps.memberId, deps.clock.wallMs()),
      quota: deps.quota,
      raiseNoSpace: deps.raiseNoSpace,
      committedIndex: deps.committedIndex,
      appliedIndex: deps.appliedIndex,
      waitApplied: deps.waitApplied,
      requestTimeoutMs: deps.requestTimeoutMs,
      ...(deps.forwarder !== undefined ? { forwarder: deps.forwarder } : {}),
    });
    logger.info({ leases: this.lessor.size, checkpoint: settings.checkpoint, minTtlSeconds: this.lessor.minTtlSeconds }, "restored lease store");
  }

  /** The raft role changed. */
  onLeadership(isLeader: boolean): void {
    this.keeper.onLeadership(isLeader);
  }

  /** The server calls this every LEASE_TICK_MS. */
  tick(): void {
    this.keeper.tick();
  }

  stop(): void {
    this.keeper.stop();
    this.lessor.stop();
  }
}
