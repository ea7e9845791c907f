/**
 * Time as the core sees it. Core modules (lessor, compaction scheduling,
 * watch progress, token TTLs, the server's periodic duties) read time and
 * schedule work only through a {@link Clock} they are given; only the
 * composition root creates the real one. Tests use {@link ManualClock} and
 * advance it instead of sleeping: its timers fire when it is advanced past
 * them, in time order, never on their own.
 * @module
 */

/** Stops a scheduled callback; calling it again (or after a one-shot fired) does nothing. */
export type Cancel = () => void;

export interface Clock {
  /** Milliseconds on a monotonic timeline (not wall time); never goes back. */
  nowMs(): number;
  /** Milliseconds since the Unix epoch, for values shown to users (JWT exp, logs). */
  wallMs(): number;
  /** Runs `fn` once, `ms` from now. */
  after(ms: number, fn: () => void): Cancel;
  /** Runs `fn` every `ms` (the first run `ms` from now) until cancelled. */
  every(ms: number, fn: () => void): Cancel;
}

/** The process clock: monotonic time from `performance.now()`, wall time from `Date.now()`, Node's timers. */
export class SystemClock implements Clock {
  nowMs(): number {
    return performance.now();
  }
  wallMs(): number {
    return Date.now();
  }
  after(ms: number, fn: () => void): Cancel {
    const timer = setTimeout(fn, ms);
    return () => clearTimeout(timer);
  }
  every(ms: number, fn: () => void): Cancel {
    const timer = setInterval(fn, ms);
    return () => clearInterval(timer);
  }
}

interface ManualTimer {
  dueMs: number;
  /** 0 for a one-shot. */
  periodMs: number;
  fn: () => void;
  /** Order of scheduling: timers due at the same time fire in the order they were set. */
  seq: number;
  cancelled: boolean;
}

/** A clock that moves only when told to. */
export class ManualClock implements Clock {
  #nowMs: number;
  #wallOffsetMs: number;
  #timers: ManualTimer[] = [];
  #seq = 0;

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

  after(ms: number, fn: () => void): Cancel {
    return this.#schedule(ms, 0, fn);
  }

  every(ms: number, fn: () => void): Cancel {
    if (!(ms > 0)) throw new RangeError("ManualClock.every needs a positive period");
    return this.#schedule(ms, ms, fn);
  }

  /** Timers waiting to fire. */
  get pendingTimers(): number {
    return this.#timers.length;
  }

  /**
   * Moves time forward by `ms`, firing every timer that falls due on the
   * way, earliest first; while a callback runs, `nowMs()` reads its due
   * time. A timer set by a callback fires in the same advance if it falls due.
   */
  advance(ms: number): void {
    if (ms < 0) throw new RangeError("ManualClock cannot go back");
    const target = this.#nowMs + ms;
    for (;;) {
      const next = this.#next(target);
      if (next === undefined) break;
      this.#nowMs = next.dueMs;
      if (next.periodMs > 0) next.dueMs += next.periodMs;
      else this.#remove(next);
      next.fn();
    }
    this.#nowMs = target;
  }

  #schedule(ms: number, periodMs: number, fn: () => void): Cancel {
    const timer: ManualTimer = { dueMs: this.#nowMs + Math.max(0, ms), periodMs, fn, seq: this.#seq++, cancelled: false };
    this.#timers.push(timer);
    return () => {
      if (timer.cancelled) return;
      timer.cancelled = true;
      this.#remove(timer);
    };
  }

  /** The earliest timer due at or before `limitMs`. */
  #next(limitMs: number): ManualTimer | undefined {
    let best: ManualTimer | undefined;
    for (const t of this.#timers) {
      if (t.dueMs > limitMs) continue;
      if (best === undefined || t.dueMs < best.dueMs || (t.dueMs === best.dueMs && t.seq < best.seq)) best = t;
    }
    return best;
  }

  #remove(timer: ManualTimer): void {
    const i = this.#timers.indexOf(timer);
    if (i >= 0) this.#timers.splice(i, 1);
  }
}
