/**
 * Auto compaction: the compactor `--auto-compaction-mode` and
 * `--auto-compaction-retention` ask for (compactor.ts has the contract).
 * @module
 */
import type { AutoCompactionSettings } from "../config.js";
import type { AutoCompactor, CompactorDeps } from "./compactor.js";
import { PeriodicCompactor } from "./periodic.js";
import { RevisionCompactor } from "./revision.js";

export type { AutoCompactor, CompactorDeps } from "./compactor.js";

/** The compactor `settings` ask for; none when auto compaction is off (absent, or a retention of 0, as etcd reads it). */
export function createAutoCompactor(settings: AutoCompactionSettings | undefined, deps: CompactorDeps): AutoCompactor | undefined {
  if (settings === undefined || settings.retention === 0) return undefined;
  switch (settings.mode) {
    case "periodic":
      return new PeriodicCompactor(settings.retention, deps);
    case "revision":
      return new RevisionCompactor(BigInt(settings.retention), deps);
  }
}
