/**
 * Periodic auto compaction (`--auto-compaction-mode periodic`): keep the
 * history of the last `retention` and discard what is older, as etcd's
 * v3compactor.Periodic does.
 *
 * The store's revision is sampled every tenth of min(retention, 1 h); the
 * oldest sample kept is the revision of one retention ago. The first
 * compaction comes one retention after the start, the later ones every
 * min(retention, 1 h) — each checked at a sample tick, so at most one tick
 * late — and each compacts to that oldest sample. A tick that finds the
 * same revision as the last compaction skips (nothing new to compact); a
 * failed compaction is tried again at the next tick with the then-oldest
 * sample. Samples are taken on every member, leader or not, so a new leader
 * compacts on the window it has been keeping.
 * @module
 */
import { attemptCompaction, Rounds, type AutoCompactor, type CompactorDeps } from "./compactor.js";

const HOUR_MS = 3_600_000;
/** etcd's retryDivisor: samples per min(retention, 1 h). */
const SAMPLES_PER_PERIOD = 10;

/** When a periodic compactor samples and compacts, from its retention (ms). */
export interface PeriodicSchedule {
  /** Between two samples, and between two attempts after a failure. */
  sampleEveryMs: number;
  /** Samples kept: the oldest is the revision of one retention ago. */
  samplesKept: number;
  /** From the start to the first compaction. */
  firstAfterMs: number;
  /** Between two compactions after the first. */
  thenEveryMs: number;
}

/** etcd's arithmetic (getRetryInterval, getRetentions, getCompactInterval). */
export function periodicSchedule(retentionMs: number): PeriodicSchedule {
  if (!(retentionMs > 0)) throw new RangeError(`periodic compaction needs a positive retention, got ${retentionMs} ms`);
  const periodMs = Math.min(retentionMs, HOUR_MS);
  const sampleEveryMs = periodMs / SAMPLES_PER_PERIOD;
  // Up to an hour that is exactly 10 intervals (+1 for the sample at the window's far end); computed so, float division could say 9.999….
  const samplesKept = retentionMs <= HOUR_MS ? SAMPLES_PER_PERIOD + 1 : Math.floor(retentionMs / sampleEveryMs) + 1;
  return { sampleEveryMs, samplesKept, firstAfterMs: retentionMs, thenEveryMs: periodMs };
}

export class PeriodicCompactor implements AutoCompactor {
  readonly #deps: CompactorDeps;
  readonly #retentionMs: number;
  readonly #schedule: PeriodicSchedule;
  readonly #rounds: Rounds;
  /** Oldest first; grows by one per tick up to `samplesKept` (never preallocated: a retention of years costs nothing up front). */
  #samples: bigint[] = [];
  #lastCompacted = 0n;
  #lastSuccessMs = 0;
  #waitMs: number;

  constructor(retentionMs: number, deps: CompactorDeps) {
    this.#deps = deps;
    this.#retentionMs = retentionMs;
    this.#schedule = periodicSchedule(retentionMs);
    this.#waitMs = this.#schedule.firstAfterMs;
    // Every tick samples, leader or not; only a leader compacts first.
    this.#rounds = new Rounds(deps.clock, this.#schedule.sampleEveryMs, async (leading) => {
      if (leading) await this.#maybeCompact();
      if (!this.#rounds.signal.aborted) this.#sample();
    });
  }

  start(): void {
    if (!this.#rounds.start()) return;
    this.#lastSuccessMs = this.#deps.clock.nowMs();
    this.#sample();
  }

  onLeadership(isLeader: boolean): void {
    this.#rounds.setLeading(isLeader);
  }

  stop(): void {
    this.#rounds.stop();
  }

  #sample(): void {
    this.#samples.push(this.#deps.currentRevision());
    if (this.#samples.length > this.#schedule.samplesKept) this.#samples.shift();
  }

  async #maybeCompact(): Promise<void> {
    const { clock } = this.#deps;
    const revision = this.#samples[0]!;
    if (clock.nowMs() - this.#lastSuccessMs < this.#waitMs || revision === this.#lastCompacted) return;
    // Only the first compaction waits a whole retention.
    this.#waitMs = this.#schedule.thenEveryMs;
    const outcome = await attemptCompaction(this.#deps, revision, this.#rounds.signal, {
      mode: "periodic",
      fields: { "compact-period-ms": this.#retentionMs },
      retryIntervalMs: this.#schedule.sampleEveryMs,
    });
    if (outcome !== "done") return;
    this.#lastCompacted = revision;
    this.#lastSuccessMs = clock.nowMs();
  }
}
