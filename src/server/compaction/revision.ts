/**
 * Revision auto compaction (`--auto-compaction-mode revision`): keep the
 * last `retention` revisions, as etcd's v3compactor.Revision does. Every
 * 5 minutes (counted from the end of the previous round) the leader
 * compacts to current − retention; a round skips when that is not positive
 * or is where the last compaction went (nothing new), and a failed round is
 * simply tried again at the next one.
 * @module
 */
import { attemptCompaction, Rounds, type AutoCompactor, type CompactorDeps } from "./compactor.js";

/** etcd's revInterval: one round every 5 minutes, whatever the retention. */
export const REVISION_ROUND_MS = 5 * 60_000;

export class RevisionCompactor implements AutoCompactor {
  readonly #deps: CompactorDeps;
  readonly #retention: bigint;
  readonly #rounds: Rounds;
  #lastCompacted = 0n;

  constructor(retention: bigint, deps: CompactorDeps) {
    if (retention <= 0n) throw new RangeError(`revision compaction needs a positive retention, got ${retention}`);
    this.#deps = deps;
    this.#retention = retention;
    this.#rounds = new Rounds(deps.clock, REVISION_ROUND_MS, (leading) => (leading ? this.#maybeCompact() : undefined));
  }

  start(): void {
    this.#rounds.start();
  }

  onLeadership(isLeader: boolean): void {
    this.#rounds.setLeading(isLeader);
  }

  stop(): void {
    this.#rounds.stop();
  }

  async #maybeCompact(): Promise<void> {
    const revision = this.#deps.currentRevision() - this.#retention;
    if (revision <= 0n || revision === this.#lastCompacted) return;
    const outcome = await attemptCompaction(this.#deps, revision, this.#rounds.signal, {
      mode: "revision",
      fields: { "revision-compaction-retention": String(this.#retention) },
      retryIntervalMs: REVISION_ROUND_MS,
    });
    if (outcome === "done") this.#lastCompacted = revision;
  }
}
