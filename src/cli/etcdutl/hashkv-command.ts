/** `etcdutl hashkv <filename> [--rev N]`: a bbolt file (etcd's db or a snapshot) or our LMDB member/snap/db. @module */
import { basename, dirname } from "node:path";
import { BoltFormatError } from "../../storage/bbolt/index.js";
import { bigintFlag, CommandError, stringFlag, statProblem, type CommandContext } from "./context.js";
import { lockDataDir, DataDirInUseError } from "./data-dir-lock.js";
import { dbFormat } from "./db-file.js";
import { hashKvOfFile, KvHashError } from "./kv-hash.js";
import { formatKvHash, outputFormat } from "./printer.js";

export async function hashKvCommand(ctx: CommandContext, lockTimeoutNs: bigint): Promise<void> {
  const path = ctx.flags.args[0]!;
  const format = outputFormat(stringFlag(ctx.flags, "write-out"));
  const missing = statProblem(path);
  if (missing !== undefined) throw new CommandError(missing);
  const engine = dbFormat(path);
  if (engine === undefined) throw new CommandError("invalid database");
  // Our member/snap/db belongs to a member that may be running: hold its data dir's lock meanwhile.
  const dataDir = engine === "lmdb" && isMemberDb(path) ? dirname(dirname(dirname(path))) : undefined;
  try {
    const lock = dataDir === undefined ? undefined : await lockDataDir(dataDir, lockTimeoutNs);
    try {
      ctx.io.stdout(formatKvHash(format, await hashKvOfFile(path, engine, bigintFlag(ctx.flags, "rev"))));
    } finally {
      await lock?.release();
    }
  } catch (err) {
    if (err instanceof BoltFormatError || err instanceof KvHashError || err instanceof DataDirInUseError) throw new CommandError(err.message);
    throw err;
  }
}

function isMemberDb(path: string): boolean {
  return basename(path) === "db" && basename(dirname(path)) === "snap" && basename(dirname(dirname(path))) === "member";
}
