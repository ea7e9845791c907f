/**
 * Warnings about what a remote did wrong (refused identity, corrupt frames,
 * connections cut), at most one line per kind per interval: anyone who can
 * reach the peer port can provoke them, and must not be able to flood the
 * log. A line carries how many like it were suppressed since the last one.
 * @module
 */
import type { Clock } from "../../pkg/clock.js";
import type { Logger } from "../../pkg/logger.js";

export const REMOTE_WARNING_INTERVAL_MS = 1_000;

export class RateLimitedLog {
  readonly #logger: Logger;
  readonly #clock: Pick<Clock, "nowMs">;
  readonly #intervalMs: number;
  /** Keyed by the message (a constant in our code, never remote text), so the map stays small. */
  readonly #last = new Map<string, { atMs: number; suppressed: number }>();

  constructor(logger: Logger, clock: Pick<Clock, "nowMs">, intervalMs = REMOTE_WARNING_INTERVAL_MS) {
    this.#logger = logger;
    this.#clock = clock;
    this.#intervalMs = intervalMs;
  }

  warn(fields: object, msg: string): void {
    const now = this.#clock.nowMs();
    const last = this.#last.get(msg);
    if (last !== undefined && now - last.atMs < this.#intervalMs) {
      last.suppressed++;
      return;
    }
    const suppressed = last?.suppressed ?? 0;
    this.#last.set(msg, { atMs: now, suppressed: 0 });
    this.#logger.warn(suppressed > 0 ? { ...fields, "suppressed-since-last": suppressed } : fields, msg);
  }
}
