/**
 * The server's periodic duties, all on the injected clock and started and
 * stopped together: raft ticks (with the ReadIndex retry and the proposal
 * deadline sweep), the lessor's expiry check, the leader monitor and the
 * backend's batch commit. Each duty keeps its own period; a test drives
 * them all by advancing a ManualClock.
 * @module
 */
import type { Cancel, Clock } from "../pkg/clock.js";

interface Duty {
  periodMs: number;
  run(): void;
}

export class Ticker {
  readonly #clock: Clock;
  readonly #duties: Duty[] = [];
  #running: Cancel[] = [];

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** Adds a duty run every `periodMs` once started. */
  every(periodMs: number, run: () => void): this {
    if (!(periodMs > 0)) throw new RangeError(`a periodic duty needs a positive period, got ${periodMs} ms`);
    this.#duties.push({ periodMs, run });
    return this;
  }

  start(): void {
    if (this.#running.length > 0) return;
    this.#running = this.#duties.map((d) => this.#clock.every(d.periodMs, d.run));
  }

  stop(): void {
    for (const cancel of this.#running) cancel();
    this.#running = [];
  }
}
