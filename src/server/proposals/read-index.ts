/**
 * Linearizable reads. A read may be served from the local store only after
 * the local applied index has reached an index the leader confirmed as
 * committed *after* the read arrived (raft's ReadIndex). Reads arriving
 * while a ReadIndex round is in flight join the next round, so one round —
 * one heartbeat quorum in a cluster — serves any number of reads.
 * @module
 */
import { EtcdError } from "../../pkg/errors.js";
import type { Cancellation } from "../api.js";
import { canceledByClient } from "./proposer.js";
import type { AppliedIndex } from "../apply/applied-index.js";
import type { ReadState } from "../raftnode/node.js";

export interface ReadIndexSource {
  /** Asks raft for the current commit index, tagged with `requestCtx`. */
  readIndex(requestCtx: Buffer): void;
  wake(): void;
}

interface Waiter {
  resolve(): void;
  reject(err: Error): void;
}

interface Round {
  ctx: Buffer;
  /** Ticks since the request was (re)sent to raft. */
  age: number;
  /** Ticks since the round started. */
  total: number;
  waiters: Waiter[];
}

export class LinearizableReads {
  readonly #source: ReadIndexSource;
  readonly #applied: AppliedIndex;
  #nextId = 1n;
  #inFlight: Round | undefined;
  #next: Waiter[] = [];
  #startScheduled = false;

  constructor(source: ReadIndexSource, applied: AppliedIndex) {
    this.#source = source;
    this.#applied = applied;
  }

  /**
   * Resolves when a read issued now may be served locally. The round starts
   * after the current I/O callbacks, so every read that arrived meanwhile
   * shares it (all of them arrived before the leader is asked). When
   * `signal` aborts first (the client gave up), the read stops waiting and
   * rejects; its place in the round is given up.
   */
  barrier(signal?: Cancellation): Promise<void> {
    if (signal?.aborted === true) return Promise.reject(canceledByClient());
    return new Promise((resolve, reject) => {
      let waiter: Waiter = { resolve, reject };
      if (signal !== undefined) {
        let settled = false;
        const onAbort = (): void => {
          settled = true;
          this.#drop(waiter);
          reject(canceledByClient());
        };
        signal.addEventListener("abort", onAbort, { once: true });
        const settle = (): boolean => {
          if (settled) return false;
          settled = true;
          signal.removeEventListener("abort", onAbort);
          return true;
        };
        waiter = {
          resolve: () => {
            if (settle()) resolve();
          },
          reject: (err) => {
            if (settle()) reject(err);
          },
        };
      }
      this.#next.push(waiter);
      if (this.#inFlight === undefined && !this.#startScheduled) {
        this.#startScheduled = true;
        setImmediate(() => {
          this.#startScheduled = false;
          if (this.#inFlight === undefined && this.#next.length > 0) this.#startRound();
        });
      }
    });
  }

  /** Reads waiting for a round to be sent or answered (a round being applied holds on to its reads apart). */
  get waiting(): number {
    return this.#next.length + (this.#inFlight?.waiters.length ?? 0);
  }

  /** Removes a read that gave up from the round it waits for, if it is still queued or in flight. */
  #drop(waiter: Waiter): void {
    for (const list of this.#inFlight === undefined ? [this.#next] : [this.#next, this.#inFlight.waiters]) {
      const i = list.indexOf(waiter);
      if (i >= 0) {
        list.splice(i, 1);
        return;
      }
    }
  }

  /** Read states from the Ready loop. */
  onReadStates(states: ReadState[]): void {
    for (const rs of states) {
      const round = this.#inFlight;
      if (round === undefined || !rs.requestCtx.equals(round.ctx)) continue;
      this.#inFlight = undefined;
      void this.#applied.wait(rs.index).then(() => {
        for (const w of round.waiters) w.resolve();
      });
      if (this.#next.length > 0) this.#startRound();
    }
  }

  /**
   * Called on every raft tick. Raft drops a ReadIndex request it cannot serve
   * (no leader yet, leader changed), so an unanswered round is re-sent after
   * `retryTicks` ticks, and given up after `timeoutTicks`.
   */
  onTick(retryTicks: number, timeoutTicks: number): void {
    const round = this.#inFlight;
    if (round === undefined) return;
    if (++round.total >= timeoutTicks) {
      // etcd answers reads it could not confirm in time with "request timed out".
      this.#inFlight = undefined;
      for (const w of round.waiters) w.reject(new EtcdError("Timeout"));
      if (this.#next.length > 0) this.#startRound();
      return;
    }
    if (++round.age < retryTicks) return;
    round.age = 0;
    this.#source.readIndex(round.ctx);
    this.#source.wake();
  }

  /** Fails the round in flight (its confirmation may come from a deposed leader); queued reads start a new one. */
  failInFlight(err: EtcdError): void {
    const round = this.#inFlight;
    if (round === undefined) return;
    this.#inFlight = undefined;
    for (const w of round.waiters) w.reject(err);
    if (this.#next.length > 0) this.#startRound();
  }

  /** Fails every pending read (leader change, stop) — callers see the given error. */
  failAll(err: EtcdError): void {
    const waiters = [...(this.#inFlight?.waiters ?? []), ...this.#next];
    this.#inFlight = undefined;
    this.#next = [];
    for (const w of waiters) w.reject(err);
  }

  #startRound(): void {
    const ctx = Buffer.alloc(8);
    ctx.writeBigUInt64BE(this.#nextId++);
    this.#inFlight = { ctx, age: 0, total: 0, waiters: this.#next };
    this.#next = [];
    this.#source.readIndex(ctx);
    this.#source.wake();
  }
}

