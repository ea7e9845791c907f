/**
 * `etcdutl migrate-from-etcd --data-dir <dir>` (ours; etcd's etcdutl has
 * no such command): converts a stopped real etcd member's data dir in
 * place, so that our etcd starts on it.
 * @module
 */
import type { Logger } from "../../pkg/logger.js";
import { migrateDataDir, RestoreError } from "../../server/restore/index.js";
import { backendPath } from "../../storage/backend/index.js";
import { CommandError, stringFlag, statProblem, type CommandContext } from "./context.js";
import { DataDirInUseError, lockDataDir } from "./data-dir-lock.js";
import { progressReporter } from "./progress.js";

export async function migrateCommand(ctx: CommandContext, lockTimeoutNs: bigint, log: Logger): Promise<void> {
  const dataDir = stringFlag(ctx.flags, "data-dir");
  const walDir = stringFlag(ctx.flags, "wal-dir");
  const missing = statProblem(backendPath(dataDir));
  if (missing !== undefined) throw new CommandError(missing);
  let lock;
  try {
    lock = await lockDataDir(dataDir, lockTimeoutNs);
  } catch (err) {
    if (err instanceof DataDirInUseError) throw new CommandError(err.message);
    throw err;
  }
  const progress = ctx.io.stderrIsTty ? progressReporter((text) => ctx.io.stderr(text)) : undefined;
  try {
    log.info({ "data-dir": dataDir }, "migrating data dir from etcd");
    const result = await migrateDataDir({
      dataDir,
      ...(walDir !== "" ? { walDir } : {}),
      ...(progress !== undefined ? { onProgress: progress.onProgress } : {}),
    });
    progress?.finish();
    log.info(
      { "data-dir": dataDir, revision: result.revision, "consistent-index": result.consistentIndex, "kept-original-at": result.keptOriginalAt },
      "migrated data dir from etcd",
    );
  } catch (err) {
    progress?.finish();
    if (err instanceof RestoreError) throw new CommandError(err.message);
    throw err;
  } finally {
    await lock.release();
  }
}
