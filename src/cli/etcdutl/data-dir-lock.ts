/**
 * Keeps etcdutl off a data dir whose member is running. Our member holds
 * the lock of its WAL directory (`member/wal/wal.lock`, src/wal's
 * DirLock) while it runs; etcdutl takes the same lock for as long as it
 * works on the data dir, so neither a running member nor one started
 * meanwhile shares the files with it. Like etcd's file lock on the bbolt
 * file, it waits up to `--timeout` (0: for ever).
 * @module
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { DirLock } from "../../wal/dir-lock.js";
import { WalError } from "../../wal/errors.js";

/** The data dir is in use: the message names the process holding it. */
export class DataDirInUseError extends Error {
  override readonly name = "DataDirInUseError";
}

export interface DataDirLock {
  release(): Promise<void>;
}

const RETRY_MS = 100;

/** Takes the lock of `<dataDir>/member/wal`, waiting up to `timeoutNs` nanoseconds (0n: no limit). A data dir without that WAL dir has nothing to lock. */
export async function lockDataDir(dataDir: string, timeoutNs: bigint): Promise<DataDirLock> {
  const walDir = join(dataDir, "member", "wal");
  if (!existsSync(walDir)) return { release: () => Promise.resolve() };
  const deadline = timeoutNs === 0n ? Infinity : Date.now() + Number(timeoutNs / 1_000_000n);
  for (;;) {
    try {
      return await DirLock.acquire(walDir);
    } catch (err) {
      if (!(err instanceof WalError) || err.kind !== "Locked") throw err;
      if (Date.now() + RETRY_MS > deadline) throw new DataDirInUseError(`data dir ${dataDir} is in use by a running member (${err.message})`);
    }
    await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
  }
}
