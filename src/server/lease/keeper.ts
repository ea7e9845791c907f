/**
 * The leader's lease duties, as etcd's server runs them around its lessor:
 * - leadership: when this member becomes leader the lessor is promoted, but
 *   only after everything committed in earlier terms is applied (a ReadIndex
 *   round resolves exactly then) — etcd promotes when it applies the new
 *   leader's first, empty entry. Losing leadership demotes it at once.
 * - expiry: every tick (the server calls {@link LeaseKeeper.tick} every
 *   500 ms) up to rate/2 expired leases are queued and revoked THROUGH THE
 *   LOG, at most 16 proposals in flight; a lost revocation comes back from
 *   the lessor after its retry interval.
 * - checkpoints: due checkpoints go through the log in batches of 1000.
 * No timer lives here; the server owns the clock tick.
 * @module
 */
import { EtcdError, isEtcdError } from "../../pkg/errors.js";
import type { Logger } from "../../pkg/logger.js";
import type { Lessor } from "../../lease/index.js";
import type { ApplyResult } from "../apply/apply-result.js";
import type { RaftRequestBody } from "../proposals/proposer.js";
import {
  LEASE_CHECKPOINT_RATE,
  LEASE_REVOKE_RATE,
  MAX_CHECKPOINT_BATCH,
  MAX_PENDING_REVOKES,
  MAX_QUEUED_REVOKES,
} from "./settings.js";

export interface LeaseKeeperDeps {
  lessor: Lessor;
  propose(body: RaftRequestBody): Promise<ApplyResult>;
  /** Resolves once this member has applied everything committed before the call (a linearizable read barrier). */
  readBarrier(): Promise<void>;
  /** What a new leader adds to every deadline (one election timeout). */
  extendMs: number;
  logger: Logger;
  /** Called for each lease revoked because it expired (etcd_server_lease_expired_total). */
  onExpired?(): void;
}

interface PrimaryWaiter {
  resolve(): void;
  reject(err: Error): void;
}

export class LeaseKeeper {
  readonly #deps: LeaseKeeperDeps;
  #leader = false;
  /** Bumped on every leadership change; a promotion started in an older epoch is dropped. */
  #epoch = 0;
  #primaryWaiters: PrimaryWaiter[] = [];
  /** Expired leases waiting for a revoke proposal, in order, and the set of those queued or in flight. */
  #queue: bigint[] = [];
  readonly #pending = new Set<bigint>();
  #inFlight = 0;
  #stopped = false;

  constructor(deps: LeaseKeeperDeps) {
    this.#deps = deps;
  }

  get isLeader(): boolean {
    return this.#leader;
  }

  /** Revocations queued or in flight (for tests and metrics). */
  get pendingRevokes(): number {
    return this.#pending.size;
  }

  /** The raft role changed (from the Ready loop's soft state). */
  onLeadership(isLeader: boolean): void {
    if (this.#stopped || isLeader === this.#leader) return;
    this.#leader = isLeader;
    this.#epoch++;
    const { lessor, logger } = this.#deps;
    if (!isLeader) {
      lessor.demote();
      this.#queue = [];
      this.#pending.clear();
      this.#rejectWaiters(new EtcdError("NotLeader"));
      return;
    }
    const epoch = this.#epoch;
    this.#deps.readBarrier().then(
      () => {
        if (epoch !== this.#epoch || this.#stopped) return;
        lessor.promote(this.#deps.extendMs);
        logger.info({ leases: lessor.size, extendMs: this.#deps.extendMs }, "lessor promoted");
        const waiters = this.#primaryWaiters;
        this.#primaryWaiters = [];
        for (const w of waiters) w.resolve();
      },
      (err: unknown) => {
        // Only a stopping server fails the barrier; renewals waiting for the promotion fail with it.
        if (epoch !== this.#epoch || this.#stopped) return;
        logger.warn({ error: String(err) }, "lessor promotion failed");
        this.#rejectWaiters(isEtcdError(err) ? err : new EtcdError("NotLeader"));
      },
    );
  }

  /**
   * Resolves once the lessor is primary (right away when it is). Rejects
   * with `NotLeader` when this member is not the leader or stops being it
   * first, and with the signal's reason when aborted.
   */
  whenPrimary(signal?: AbortSignal): Promise<void> {
    if (this.#deps.lessor.isPrimary) return Promise.resolve();
    if (!this.#leader || this.#stopped) return Promise.reject(new EtcdError("NotLeader"));
    return new Promise<void>((resolve, reject) => {
      const waiter: PrimaryWaiter = {
        resolve: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        },
        reject: (err) => {
          signal?.removeEventListener("abort", onAbort);
          reject(err);
        },
      };
      const onAbort = (): void => {
        this.#primaryWaiters = this.#primaryWaiters.filter((w) => w !== waiter);
        reject(new EtcdError("Timeout"));
      };
      if (signal?.aborted) {
        onAbort();
        return;
      }
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#primaryWaiters.push(waiter);
    });
  }

  /** The periodic check (every 500 ms): queue and propose revocations, then checkpoints. */
  tick(): void {
    const { lessor } = this.#deps;
    if (this.#stopped || !lessor.isPrimary) return;
    if (this.#pending.size < MAX_QUEUED_REVOKES) {
      for (const id of lessor.findExpired(LEASE_REVOKE_RATE / 2)) {
        if (this.#pending.has(id)) continue;
        this.#pending.add(id);
        this.#queue.push(id);
      }
    }
    this.#pump();
    for (let i = 0; i < LEASE_CHECKPOINT_RATE / 2; i++) {
      const checkpoints = lessor.dueCheckpoints(MAX_CHECKPOINT_BATCH);
      if (checkpoints.length > 0) this.proposeCheckpoints(checkpoints);
      if (checkpoints.length < MAX_CHECKPOINT_BATCH) break;
    }
  }

  /** Proposes a LeaseCheckpointRequest; failures are logged (the next interval checkpoints again). */
  proposeCheckpoints(checkpoints: { ID: bigint; remainingTTL: bigint }[]): void {
    this.#deps.propose({ leaseCheckpoint: { checkpoints } }).then(
      (result) => {
        if (!result.ok) this.#deps.logger.warn({ error: result.error.message }, "lease checkpoint failed");
      },
      (err: unknown) => this.#deps.logger.warn({ error: String(err) }, "lease checkpoint failed"),
    );
  }

  stop(): void {
    this.#stopped = true;
    this.#queue = [];
    this.#rejectWaiters(new EtcdError("Stopped"));
  }

  #pump(): void {
    while (this.#inFlight < MAX_PENDING_REVOKES && this.#queue.length > 0 && !this.#stopped) {
      const id = this.#queue.shift()!;
      this.#inFlight++;
      // #revoke never rejects: it logs its own failures.
      void this.#revoke(id).finally(() => {
        this.#inFlight--;
        this.#pending.delete(id);
        this.#pump();
      });
    }
  }

  async #revoke(id: bigint): Promise<void> {
    try {
      const result = await this.#deps.propose({ leaseRevoke: { ID: id } });
      if (result.ok) this.#deps.onExpired?.();
      else if (result.error.kind !== "LeaseNotFound") {
        this.#deps.logger.warn({ "lease-id": id.toString(16).padStart(16, "0"), error: result.error.message }, "failed to revoke lease");
      }
    } catch (err) {
      this.#deps.logger.warn({ "lease-id": id.toString(16).padStart(16, "0"), error: String(err) }, "failed to revoke lease");
    }
  }

  #rejectWaiters(err: Error): void {
    const waiters = this.#primaryWaiters;
    this.#primaryWaiters = [];
    for (const w of waiters) w.reject(err);
  }
}
