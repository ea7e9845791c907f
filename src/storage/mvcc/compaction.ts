/**
 * Physical compaction: after the index is compacted at rev R (synchronously,
 * in `KVStore.compact`), this job deletes from the `key` bucket every
 * revision <= R that the index no longer keeps, in batches of
 * `batchLimit` keys (etcd `--experimental-compaction-batch-limit`), each
 * committed on its own, yielding to other work between batches through the
 * injected scheduler. It ends by recording `finishedCompactRev` in `meta`
 * and committing. Jobs run one after another in request order.
 * @module
 */

import { META_KEYS } from "../backend/schema.js";
import { bytesToRev, mainRevPrefix, revIdOfKey, revToBytes } from "./revision.js";
import type { StoreCore } from "./store-core.js";
import type { Scheduler } from "./types.js";

export class Compactor {
  readonly #core: StoreCore;
  readonly #batchLimit: number;
  readonly #schedule: Scheduler;
  #chain: Promise<void> = Promise.resolve();

  constructor(core: StoreCore, batchLimit: number, schedule: Scheduler) {
    this.#core = core;
    this.#batchLimit = batchLimit;
    this.#schedule = schedule;
  }

  /** Queues the deletes for a compaction at `rev` keeping `keep`; resolves once they are durable. */
  enqueue(rev: bigint, keep: Set<string>): Promise<void> {
    const job = this.#chain.then(() => this.#run(rev, keep));
    this.#chain = job.catch(() => undefined);
    return job;
  }

  /** Resolves when every queued job has finished or stopped. */
  idle(): Promise<void> {
    return this.#chain;
  }

  async #run(rev: bigint, keep: Set<string>): Promise<void> {
    const core = this.#core;
    const backend = core.backend;
    const end = mainRevPrefix(rev + 1n);
    let start: Buffer | undefined;
    let deleted = 0;
    for (;;) {
      await this.#yield();
      // Stopping leaves scheduledCompactRev without finishedCompactRev: restore resumes the job.
      if (core.closed) return;
      const entries = backend.range("key", { start, end }, this.#batchLimit);
      for (const e of entries) {
        if (!keep.has(revIdOfKey(e.key))) {
          backend.delete("key", e.key);
          deleted++;
        }
      }
      if (entries.length < this.#batchLimit) {
        backend.put("meta", META_KEYS.finishedCompactRev, revToBytes({ main: rev, sub: 0n }));
        await backend.commit();
        core.log.info({ compactRevision: String(rev), deletedRevisions: deleted }, "finished scheduled compaction");
        return;
      }
      const last = bytesToRev(entries[entries.length - 1]!.key);
      start = revToBytes({ main: last.main, sub: last.sub + 1n });
      // Commit each batch instead of letting the deletes pile up in the write batch.
      await backend.commit();
    }
  }

  #yield(): Promise<void> {
    return new Promise((resolve) => this.#schedule(resolve));
  }
}
