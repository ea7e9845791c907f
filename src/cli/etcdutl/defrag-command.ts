/**
 * `etcdutl defrag --data-dir <dir>`: compacts a stopped member's database
 * file (our LMDB backend's compacting copy), with etcd's log lines; a
 * member running on the data dir makes it refuse.
 * @module
 */
import type { Logger } from "../../pkg/logger.js";
import { backendPath, LmdbBackend } from "../../storage/backend/index.js";
import { CommandError, stringFlag, statProblem, type CommandContext } from "./context.js";
import { DataDirInUseError, lockDataDir } from "./data-dir-lock.js";
import { dbFormat } from "./db-file.js";
import { formatGoDuration } from "../../pkg/go-duration.js";
import { humanBytes } from "../../pkg/human-bytes.js";

export async function defragCommand(ctx: CommandContext, lockTimeoutNs: bigint, log: Logger): Promise<void> {
  const dataDir = stringFlag(ctx.flags, "data-dir");
  const failed = (reason: string): CommandError => new CommandError(`Failed to defragment etcd data[${dataDir}] (${reason})`);
  const path = backendPath(dataDir);
  const missing = statProblem(path);
  if (missing !== undefined) throw failed(missing);
  let engine;
  try {
    engine = dbFormat(path);
  } catch (err) {
    if (err instanceof CommandError) throw failed(err.message);
    throw err;
  }
  if (engine === "bbolt") throw failed(`${path} is real etcd's bbolt file: run "etcdutl migrate-from-etcd --data-dir ${dataDir}" first`);
  if (engine === undefined) throw failed("invalid database");
  let lock;
  try {
    lock = await lockDataDir(dataDir, lockTimeoutNs);
  } catch (err) {
    if (err instanceof DataDirInUseError) throw failed(err.message);
    throw err;
  }
  try {
    const backend = new LmdbBackend({ path });
    try {
      const before = { size: backend.size(), inUse: backend.sizeInUse() };
      log.info(
        {
          path,
          "current-db-size-bytes": before.size,
          "current-db-size": humanBytes(before.size),
          "current-db-size-in-use-bytes": before.inUse,
          "current-db-size-in-use": humanBytes(before.inUse),
        },
        "defragmenting",
      );
      const started = process.hrtime.bigint();
      await backend.defrag();
      const took = process.hrtime.bigint() - started;
      const after = { size: backend.size(), inUse: backend.sizeInUse() };
      log.info(
        {
          path,
          "current-db-size-bytes-diff": after.size - before.size,
          "current-db-size-bytes": after.size,
          "current-db-size": humanBytes(after.size),
          "current-db-size-in-use-bytes-diff": after.inUse - before.inUse,
          "current-db-size-in-use-bytes": after.inUse,
          "current-db-size-in-use": humanBytes(after.inUse),
          took: formatGoDuration(took),
        },
        "finished defragmenting directory",
      );
    } finally {
      await backend.close();
    }
  } finally {
    await lock.release();
  }
}
