/**
 * Time as the core sees it. Core modules (lessor, compaction scheduling,
 * watch progress, token TTLs) read time only through a {@link Clock} they are
 * given; only the composition root creates the real one. Tests use
 * {@link ManualClock} and advance it instead of sleeping.
 * @module
 */

export interface Clock {
  /** Milliseconds on a monotonic timeline (not wall time); never goes back. */
  nowMs(): number;
  /** Milliseconds since the Unix epoch, for values shown to users (JWT exp, logs). */
  wallMs(): number;
}

/** The process clock: monotonic time from `performance.now()`, wall time from `Date.now()`. */
export class SystemClock implements Clock {
  nowMs(): number {
    return performance.now();
  }
  wallMs(): number {
    return Date.now();
  }
}

/** A clock that moves only when told to. */
export class ManualClock implements Clock {
  #nowMs: number;
  #wallOffsetMs: number;

  constructor(startMs = 0, wallStartMs = 1_700_000_000_000) {
    this.#nowMs = startMs;
    this.#wallOffsetMs = wallStartMs - startMs;
  }

  nowMs(): number {
    return this.#nowMs;
  }

  wallMs(): number {
    return this.#nowMs + this.#wallOffsetMs;
  }

  advance(ms: number): void {
    if (ms < 0) throw new RangeError("ManualClock cannot go back");
    this.#nowMs += ms;
  }
}
