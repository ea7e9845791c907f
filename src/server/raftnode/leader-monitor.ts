/**
 * etcd's monitorLeader, once per member: checked every election timeout,
 * and after {@link MAX_NO_LEADER_CHECKS} checks in a row without a leader
 * every stream that required one (`hasleader` metadata: watch, lease
 * keepalive and election observe streams, through the API's leader
 * interceptor) is told, so its client moves to a
 * member that has a leader. Streams subscribe; nothing here owns a timer —
 * the server's ticker calls {@link LeaderMonitor.check}.
 * @module
 */
import { nullLogger, type Logger } from "../../pkg/logger.js";

/** Election timeouts without a leader after which streams that required one are ended (etcd's maxNoLeaderCnt). */
export const MAX_NO_LEADER_CHECKS = 3;

export class LeaderMonitor {
  readonly #hasLeader: () => boolean;
  readonly #log: Logger;
  readonly #listeners = new Set<() => void>();
  #checksWithoutLeader = 0;

  constructor(hasLeader: () => boolean, logger: Logger = nullLogger) {
    this.#hasLeader = hasLeader;
    this.#log = logger;
  }

  /**
   * One check. Once the member has been without a leader for
   * {@link MAX_NO_LEADER_CHECKS} checks in a row — and at every check after
   * that until one is known — each subscriber is told. Returns how many were.
   */
  check(): number {
    if (this.#hasLeader()) {
      this.#checksWithoutLeader = 0;
      return 0;
    }
    if (++this.#checksWithoutLeader < MAX_NO_LEADER_CHECKS) return 0;
    const told = [...this.#listeners];
    for (const listener of told) listener();
    if (told.length > 0) this.#log.warn({ streams: told.length }, "ended streams that require a leader: none for three election timeouts");
    return told.length;
  }

  /** Calls `listener` whenever a check finds the leader lost (see {@link check}); returns the unsubscribe function. */
  onLeaderLost(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
