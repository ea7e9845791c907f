/**
 * Reconnect delays: exponential from `minMs` to `maxMs`, with jitter drawn
 * from an injected {@link Random} so that members restarting together do not
 * redial in lock step. Pure: it computes delays, the caller owns the timer.
 * @module
 */
import type { Random } from "../../pkg/random.js";

export interface BackoffOptions {
  minMs: number;
  maxMs: number;
  /** Each delay is multiplied by a factor in [1 - jitter, 1]; 0 disables jitter. */
  jitter: number;
}

export class Backoff {
  readonly #options: BackoffOptions;
  readonly #random: Random;
  #failures = 0;

  constructor(options: BackoffOptions, random: Random) {
    if (options.minMs <= 0 || options.maxMs < options.minMs) throw new RangeError("backoff: need 0 < minMs <= maxMs");
    if (options.jitter < 0 || options.jitter >= 1) throw new RangeError("backoff: jitter must be in [0, 1)");
    this.#options = options;
    this.#random = random;
  }

  /** Failures since the last success. */
  get failures(): number {
    return this.#failures;
  }

  /** Records a failure and returns how long to wait before the next attempt. */
  nextDelayMs(): number {
    const { minMs, maxMs, jitter } = this.#options;
    const base = Math.min(maxMs, minMs * 2 ** Math.min(this.#failures, 30));
    this.#failures++;
    if (jitter === 0) return base;
    const scale = 1 - jitter * (this.#random.intn(1_000_000) / 1_000_000);
    return Math.max(1, Math.round(base * scale));
  }

  /** A success: the next failure starts again from `minMs`. */
  reset(): void {
    this.#failures = 0;
  }
}
