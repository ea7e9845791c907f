/**
 * Tracks the applied index and lets callers wait until it reaches a value
 * (linearizable reads wait for the read index; snapshots and tests wait too).
 * @module
 */

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
    return new Promise((resolve) => {
      const w = { index, resolve };
      let i = this.#waiters.length;
      while (i > 0 && this.#waiters[i - 1]!.index > index) i--;
      this.#waiters.splice(i, 0, w);
    });
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
