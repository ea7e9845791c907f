/**
 * Who leads, as this member's raft node last reported it, and the moves of
 * leadership the server makes itself: a transfer asked for by MoveLeader
 * (resolves when the target leads — each soft state is checked, no polling —
 * or fails with etcd's "leader transfer timed out" after the timeout counted
 * on the clock), and the hand-over of a leader removed from the cluster to
 * its most caught-up voter.
 * @module
 */
import type { Clock } from "../../pkg/clock.js";
import { EtcdError } from "../../pkg/errors.js";
import type { Logger } from "../../pkg/logger.js";
import { RaftRole, type SoftState } from "./node.js";

/** What leadership moves need of the raft node (RawNode fits). */
export interface LeadershipRaft {
  transferLeader(transferee: bigint): void;
  /** On a leader, each member's replication progress; undefined elsewhere. */
  status(): { progress?: ReadonlyMap<bigint, { match: bigint }> | undefined; config: { voters: readonly bigint[] } };
}

export interface LeadershipDeps {
  memberId: bigint;
  raft: LeadershipRaft;
  /** Kicks the Ready loop after asking raft for something. */
  wake(): void;
  clock: Clock;
  logger: Logger;
}

interface TransferWaiter {
  target: bigint;
  resolve(): void;
  reject(err: Error): void;
}

export class Leadership {
  readonly #deps: LeadershipDeps;
  #lead = 0n;
  #isLeader = false;
  #leaderKnown: (() => void)[] = [];
  readonly #transfers = new Set<TransferWaiter>();
  #stopped = false;

  constructor(deps: LeadershipDeps) {
    this.#deps = deps;
  }

  /** The leader's id; 0 while none is known. */
  get leader(): bigint {
    return this.#lead;
  }

  get hasLeader(): boolean {
    return this.#lead !== 0n;
  }

  /** True while this member is the raft leader. */
  get isLeader(): boolean {
    return this.#isLeader;
  }

  /** Raft's soft state changed; returns the leader known before. */
  observe(state: SoftState): bigint {
    const previous = this.#lead;
    this.#lead = state.lead;
    this.#isLeader = state.raftState === RaftRole.Leader;
    if (state.lead === 0n) return previous;
    const waiting = this.#leaderKnown;
    this.#leaderKnown = [];
    for (const resolve of waiting) resolve();
    for (const w of [...this.#transfers]) if (w.target === state.lead) w.resolve();
    return previous;
  }

  /** Resolves once some leader is known. */
  whenLeaderKnown(): Promise<void> {
    if (this.#lead !== 0n) return Promise.resolve();
    return new Promise((resolve) => this.#leaderKnown.push(resolve));
  }

  /** Hands leadership to `target`; resolves when it leads, rejects after `timeoutMs` (etcd's MoveLeader). */
  transfer(target: bigint, timeoutMs: number): Promise<void> {
    if (this.#lead === target) return Promise.resolve();
    if (this.#stopped) return Promise.reject(new EtcdError("TimeoutLeaderTransfer"));
    return new Promise<void>((resolve, reject) => {
      const waiter: TransferWaiter = {
        target,
        resolve: () => {
          this.#transfers.delete(waiter);
          cancelTimeout();
          resolve();
        },
        reject: (err) => {
          this.#transfers.delete(waiter);
          cancelTimeout();
          reject(err);
        },
      };
      const cancelTimeout = this.#deps.clock.after(timeoutMs, () => waiter.reject(new EtcdError("TimeoutLeaderTransfer")));
      this.#transfers.add(waiter);
      this.#deps.raft.transferLeader(target);
      this.#deps.wake();
    });
  }

  /**
   * A removed leader would otherwise keep leading until it stops, then leave
   * the others an election timeout without a leader (proposals forwarded to
   * it meanwhile are lost): hand leadership to the most caught-up voter now.
   */
  handOver(): void {
    const status = this.#deps.raft.status();
    if (status.progress === undefined) return;
    let best: { id: bigint; match: bigint } | undefined;
    for (const [id, p] of status.progress) {
      if (id === this.#deps.memberId || !status.config.voters.includes(id)) continue;
      if (best === undefined || p.match > best.match) best = { id, match: p.match };
    }
    if (best === undefined) return;
    this.#deps.logger.info({ transferee: best.id.toString(16) }, "handing leadership over before leaving the cluster");
    this.#deps.raft.transferLeader(best.id);
    this.#deps.wake();
  }

  /** Transfers still waiting fail as timed out (as etcd's do when the server stops). */
  stop(): void {
    this.#stopped = true;
    for (const w of [...this.#transfers]) w.reject(new EtcdError("TimeoutLeaderTransfer"));
  }
}
