/**
 * Tracks the applied index and lets callers wait until it reaches a value
 * (linearizable reads wait for the read index; snapshots and tests wait too).
 * @module
 */
import type { Cancellation } from "../api.js";

interface Waiter {
  index: bigint;
  resolve(): void;
}

export class AppliedIndex {
  #applied: bigint;
  /** Kept ordered by index; arrivals are almost always in order, so inserts are at the end. */
  #waiters: Waiter[] = [];

  constructor(initial: bigint) {
    this.#applied = initial;
  }

  get value(): bigint {
    return this.#applied;
  }

  /** Resolves once the applied index is at least `index`. */
  wait(index: bigint): Promise<void> {
    if (index <= this.#applied) return Promise.resolve();
    return new Promise((resolve) => this.#insert({ index, resolve }));
  }

  /**
   * Like {@link wait}, but a caller that gives up takes its waiter out and
   * gets `onCancel()`'s error: an index a client named (a simple token's)
   * may never be reached, and an abandoned waiter must not stay forever.
   */
  waitUnless(index: bigint, signal: Cancellation, onCancel: () => Error): Promise<void> {
    if (index <= this.#applied) return Promise.resolve();
    if (signal.aborted) return Promise.reject(onCancel());
    return new Promise((resolve, reject) => {
      const abort = (): void => {
        const i = this.#waiters.indexOf(w);
        if (i >= 0) this.#waiters.splice(i, 1);
        reject(onCancel());
      };
      const w: Waiter = {
        index,
        resolve: () => {
          signal.removeEventListener("abort", abort);
          resolve();
        },
      };
      this.#insert(w);
      signal.addEventListener("abort", abort, { once: true });
    });
  }

  #insert(w: Waiter): void {
    let i = this.#waiters.length;
    while (i > 0 && this.#waiters[i - 1]!.index > w.index) i--;
    this.#waiters.splice(i, 0, w);
  }

  advance(index: bigint): void {
    if (index <= this.#applied) return;
    this.#applied = index;
    let n = 0;
    while (n < this.#waiters.length && this.#waiters[n]!.index <= index) n++;
    if (n === 0) return;
    const ready = this.#waiters.splice(0, n);
    for (const w of ready) w.resolve();
  }
}
