/**
 * A token bucket on an injected clock: `burst` tokens at most, refilled at
 * `perSecond`. Used to let a client do something now and then (reset a
 * running stream, send a frame that does no work) but not without end.
 * Refill is computed when a token is taken, so an idle bucket costs nothing.
 * @module
 */
import type { Clock } from "../../pkg/clock.js";

export class TokenBucket {
  readonly #clock: Clock;
  readonly #burst: number;
  readonly #perMs: number;
  #tokens: number;
  #refilledAtMs: number;

  constructor(clock: Clock, burst: number, perSecond: number) {
    this.#clock = clock;
    this.#burst = burst;
    this.#perMs = perSecond / 1000;
    this.#tokens = burst;
    this.#refilledAtMs = clock.nowMs();
  }

  /** Takes one token; false when the bucket is empty. */
  take(): boolean {
    const now = this.#clock.nowMs();
    this.#tokens = Math.min(this.#burst, this.#tokens + (now - this.#refilledAtMs) * this.#perMs);
    this.#refilledAtMs = now;
    if (this.#tokens < 1) return false;
    this.#tokens--;
    return true;
  }
}
