/**
 * Auto compaction (`--auto-compaction-mode`, `--auto-compaction-retention`),
 * as etcd's v3compactor runs it: a compactor lives on every member, keeps
 * its schedule there, and compacts only while its member leads (the server
 * reports each leadership change). A compaction is an ordinary `Compaction`
 * request proposed through the log, so every member compacts at the same
 * revision. The schedules themselves are in periodic.ts and revision.ts
 * (index.ts picks one); this module holds what both share: the interface,
 * the dependencies, and one compaction attempt with etcd's reading of its
 * outcome.
 * @module
 */
import type { Cancel, Clock } from "../../pkg/clock.js";
import { isEtcdError } from "../../pkg/errors.js";
import type { Logger } from "../../pkg/logger.js";
import type { Cancellation } from "../api.js";
import type { AutoCompactionSettings } from "../config.js";

/** A running auto compaction schedule. */
export interface AutoCompactor {
  /** Starts the schedule (the first period counts from here). */
  start(): void;
  /** This member became leader (compactions resume) or stopped leading (they pause; the schedule goes on). */
  onLeadership(isLeader: boolean): void;
  /** Ends the schedule and abandons a compaction in flight; nothing runs afterwards. */
  stop(): void;
}

export interface CompactorDeps {
  clock: Clock;
  /** The member's current store revision (etcd's RevGetter). */
  currentRevision(): bigint;
  /** Proposes a logical `Compaction` at `revision` through the log and settles once it is applied (the KV path's compact). */
  compact(revision: bigint, signal: Cancellation): Promise<unknown>;
  logger: Logger;
}

/**
 * The loop both schedules run: a round every `intervalMs` on the clock, the
 * next one armed when the last has finished (so rounds never overlap), told
 * whether this member leads, until `stop` — which also aborts `signal`, so a
 * compaction in flight is abandoned and nothing runs afterwards.
 */
export class Rounds {
  readonly #clock: Clock;
  readonly #intervalMs: number;
  readonly #round: (leading: boolean) => Promise<void> | void;
  readonly #abort = new AbortController();
  #leading = false;
  #started = false;
  #timer: Cancel | undefined;

  constructor(clock: Clock, intervalMs: number, round: (leading: boolean) => Promise<void> | void) {
    this.#clock = clock;
    this.#intervalMs = intervalMs;
    this.#round = round;
  }

  /** Aborted by {@link stop}. */
  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  /** Arms the first round; false (and nothing armed) when already started or stopped. */
  start(): boolean {
    if (this.#started || this.#abort.signal.aborted) return false;
    this.#started = true;
    this.#arm();
    return true;
  }

  setLeading(leading: boolean): void {
    this.#leading = leading;
  }

  stop(): void {
    this.#abort.abort();
    this.#timer?.();
    this.#timer = undefined;
  }

  #arm(): void {
    this.#timer = this.#clock.after(this.#intervalMs, () => void this.#run());
  }

  async #run(): Promise<void> {
    this.#timer = undefined;
    await this.#round(this.#leading);
    if (!this.#abort.signal.aborted) this.#arm();
  }
}

/**
 * How a compaction attempt ended:
 * - `done`: compacted, or the revision was already compacted ("required
 *   revision has been compacted" — someone got there first; etcd counts it
 *   as done too);
 * - `ahead`: the revision is not in this member's store yet ("required
 *   revision is a future revision"): nothing to compact now, tried again at
 *   the next interval;
 * - `failed`: anything else (leader lost, timeout …): logged, retried at
 *   the next interval;
 * - `stopped`: the compactor was stopped while it waited.
 */
export type CompactionOutcome = "done" | "ahead" | "failed" | "stopped";

/** What a schedule logs with each attempt, besides the revision (etcd's zap fields, durations in ms). */
export interface AttemptLog {
  /** "periodic" or "revision": etcd's messages name the mode ("starting auto periodic compaction"). */
  mode: AutoCompactionSettings["mode"];
  fields: Record<string, unknown>;
  retryIntervalMs: number;
}

/** One compaction at `revision`, logged as etcd logs it; never rejects. */
export async function attemptCompaction(deps: CompactorDeps, revision: bigint, signal: AbortSignal, log: AttemptLog): Promise<CompactionOutcome> {
  const { clock, logger } = deps;
  const fields = { revision: String(revision), ...log.fields };
  logger.info(fields, `starting auto ${log.mode} compaction`);
  const startedMs = clock.nowMs();
  try {
    await deps.compact(revision, signal);
  } catch (err) {
    if (signal.aborted) return "stopped";
    if (isEtcdError(err, "FutureRev")) {
      logger.info({ ...fields, error: String(err) }, `skipped auto ${log.mode} compaction`);
      return "ahead";
    }
    if (!isEtcdError(err, "Compacted")) {
      logger.warn({ ...fields, "retry-interval-ms": log.retryIntervalMs, error: String(err) }, `failed auto ${log.mode} compaction`);
      return "failed";
    }
  }
  if (signal.aborted) return "stopped";
  logger.info({ ...fields, "took-ms": Math.round(clock.nowMs() - startedMs) }, `completed auto ${log.mode} compaction`);
  return "done";
}
