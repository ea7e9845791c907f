/**
 * `--bootstrap-defrag-threshold-megabytes` (etcd 3.6's `maybeDefragBackend`):
 * at start, before the member serves, the backend is defragmented when that
 * frees at least the threshold (file size minus the pages in use).
 * @module
 */
import type { Logger } from "../../pkg/logger.js";
import { humanBytes } from "../../pkg/human-bytes.js";
import type { LmdbBackend } from "../../storage/backend/index.js";

/** Defragments `backend` when its free space is at least `thresholdBytes`; 0 turns the check off, as in etcd. */
export async function defragAtStart(backend: LmdbBackend, thresholdBytes: number, logger: Logger): Promise<void> {
  if (thresholdBytes === 0) return;
  const size = backend.size();
  const sizeInUse = backend.sizeInUse();
  if (size - sizeInUse < thresholdBytes) {
    logger.info(
      {
        "current-db-size-bytes": size,
        "current-db-size": humanBytes(size),
        "current-db-size-in-use-bytes": sizeInUse,
        "current-db-size-in-use": humanBytes(sizeInUse),
        "bootstrap-defrag-threshold-bytes": thresholdBytes,
        "bootstrap-defrag-threshold": humanBytes(thresholdBytes),
      },
      "Skipping defragmentation",
    );
    return;
  }
  await backend.defrag();
}
