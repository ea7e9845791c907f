/**
 * Everything lease-related the server composes, in two steps because of
 * the one true cycle with the mvcc store: {@link buildLessor} makes the
 * lessor BEFORE the store (whose restore re-attaches leased keys to it; the
 * lessor deletes a revoked lease's keys through the store it is handed
 * later), and {@link ServerLeases} then adds the leader's duties and the
 * request paths around it.
 * @module
 */
import type { AuthInfo } from "../../auth/index.js";
import type { AuthGate } from "../auth/gate.js";
import type { Clock } from "../../pkg/clock.js";
import { EtcdError } from "../../pkg/errors.js";
import { IdGenerator } from "../../pkg/id-generator.js";
import type { Logger } from "../../pkg/logger.js";
import { Lessor, type LessorMetrics, type RangeDeleter } from "../../lease/index.js";
import type { Backend } from "../../storage/backend/index.js";
import type { HeaderSource, LeaseApi } from "../api.js";
import type { ApplyResult } from "../apply/apply-result.js";
import { LeaseKeeper } from "./keeper.js";
import { LeaseRequests, type LeaseForwarder } from "./requests.js";
import { APPLY_WAIT_TIMEOUT_MS, LEASE_REVOKE_RATE, leaseExtensionMs, minLeaseTtlSeconds, type LeaseSettings } from "./settings.js";
import type { RaftRequestBody } from "../proposals/proposer.js";
import type { Quota } from "../maintenance/quota.js";

/** The timing the lease numbers derive from (the server's configuration). */
export interface LeaseTiming {
  heartbeatIntervalMs: number;
  electionTimeoutMs: number;
  requestTimeoutMs: number;
}

export interface LessorDeps extends LeaseTiming {
  settings: LeaseSettings;
  backend: Backend;
  clock: Clock;
  logger: Logger;
  /** Opens a write on the mvcc store (built after the lessor) to delete a revoked lease's keys. */
  deleter: RangeDeleter;
  /** The cluster version ("3.6.0"); from 3.6 on checkpoints are always persisted. */
  clusterVersion(): string | undefined;
  metrics?: LessorMetrics;
}

/** True for "3.6.0" and later. */
export function atLeast36(version: string | undefined): boolean {
  if (version === undefined) return false;
  const [major, minor] = version.split(".").map((p) => Number.parseInt(p, 10));
  if (major === undefined || minor === undefined || Number.isNaN(major) || Number.isNaN(minor)) return false;
  return major > 3 || (major === 3 && minor >= 6);
}

/** The lessor with etcd's numbers for this configuration. */
export function buildLessor(deps: LessorDeps): Lessor {
  const settings = deps.settings;
  return new Lessor({
    backend: deps.backend,
    clock: deps.clock,
    minTtlSeconds: minLeaseTtlSeconds(deps.heartbeatIntervalMs, deps.electionTimeoutMs),
    // etcd retries a lost revocation after its request timeout.
    expiredRetryMs: deps.requestTimeoutMs,
    revokeRatePerSecond: LEASE_REVOKE_RATE,
    persistCheckpoints: () => settings.checkpointPersist || atLeast36(deps.clusterVersion()),
    deleter: deps.deleter,
    logger: deps.logger,
    ...(settings.checkpointIntervalMs !== undefined ? { checkpointIntervalMs: settings.checkpointIntervalMs } : {}),
    ...(deps.metrics !== undefined ? { metrics: deps.metrics } : {}),
  });
}

export interface ServerLeasesDeps extends LeaseTiming {
  /** Who may do what (AUTH_OFF when absent). */
  auth?: AuthGate;
  lessor: Lessor;
  settings: LeaseSettings;
  memberId: bigint;
  clock: Clock;
  logger: Logger;
  /** Proposes `body` as `auth` (the resolved caller, absent with auth off). */
  propose(body: RaftRequestBody, signal?: AbortSignal, auth?: AuthInfo): Promise<ApplyResult>;
  /** A linearizable read barrier: resolves once everything committed before the call is applied. */
  readBarrier(): Promise<void>;
  header: HeaderSource;
  committedIndex(): bigint;
  appliedIndex(): bigint;
  /** Resolves once the applied index reaches `index` (no timeout of its own). */
  waitApplied(index: bigint): Promise<void>;
  quota: Quota;
  raiseNoSpace(): Promise<void>;
  onExpired?(): void;
  forwarder?: LeaseForwarder;
}

export class ServerLeases {
  readonly lessor: Lessor;
  readonly keeper: LeaseKeeper;
  readonly api: LeaseApi;

  constructor(deps: ServerLeasesDeps) {
    const { settings, logger, clock } = deps;
    this.lessor = deps.lessor;
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
      ...(deps.auth !== undefined ? { auth: deps.auth } : {}),
      lessor: this.lessor,
      keeper: this.keeper,
      propose: deps.propose,
      header: deps.header,
      ids: new IdGenerator(deps.memberId, clock.wallMs()),
      quota: deps.quota,
      raiseNoSpace: deps.raiseNoSpace,
      committedIndex: deps.committedIndex,
      appliedIndex: deps.appliedIndex,
      waitApplied: (index) => waitWithin(deps.waitApplied(index), APPLY_WAIT_TIMEOUT_MS, clock),
      requestTimeoutMs: deps.requestTimeoutMs,
      clock,
      ...(deps.forwarder !== undefined ? { forwarder: deps.forwarder } : {}),
    });
    logger.info({ leases: this.lessor.size, checkpoint: settings.checkpoint, minTtlSeconds: this.lessor.minTtlSeconds }, "restored lease store");
  }

  /** The raft role changed. */
  onLeadership(isLeader: boolean): void {
    this.keeper.onLeadership(isLeader);
  }

  /** The server's ticker calls this every LEASE_TICK_MS. */
  tick(): void {
    this.keeper.tick();
  }

  stop(): void {
    this.keeper.stop();
    this.lessor.stop();
  }
}

/** etcd's waitAppliedIndex: `applied` settles, or "timed out waiting for the applied index" after `timeoutMs` on the clock. */
function waitWithin(applied: Promise<void>, timeoutMs: number, clock: Clock): Promise<void> {
  return new Promise((resolve, reject) => {
    const cancel = clock.after(timeoutMs, () => reject(new EtcdError("TimeoutWaitAppliedIndex")));
    applied.then(
      () => {
        cancel();
        resolve();
      },
      (err: unknown) => {
        cancel();
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}
