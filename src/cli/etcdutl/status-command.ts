/** `etcdutl snapshot status <filename>`. @module */
import { BoltFormatError, openBoltFile } from "../../storage/bbolt/index.js";
import { CommandError, EXIT_BAD_ARGS, stringFlag, statProblem, type CommandContext } from "./context.js";
import { boltBytes, dbFormat } from "./db-file.js";
import { formatStatus, outputFormat } from "./printer.js";
import { snapshotStatus, SnapshotContentError } from "./snapshot-status.js";

export function snapshotStatusCommand(ctx: CommandContext): void {
  const args = ctx.flags.args;
  if (args.length !== 1) throw new CommandError("snapshot status requires exactly one argument", EXIT_BAD_ARGS);
  const path = args[0]!;
  const missing = statProblem(path);
  if (missing !== undefined) throw new CommandError(missing);
  const format = outputFormat(stringFlag(ctx.flags, "write-out"));
  if (dbFormat(path) === "lmdb") throw new CommandError(`${path} is an etcd-ts data file (LMDB), not a snapshot; take one with "etcdctl snapshot save"`);
  try {
    const file = openBoltFile(path, { limitBytes: boltBytes(path) });
    try {
      ctx.io.stdout(formatStatus(format, snapshotStatus(file, file.size)));
    } finally {
      file.close();
    }
  } catch (err) {
    if (err instanceof BoltFormatError || err instanceof SnapshotContentError) throw new CommandError(err.message);
    throw err;
  }
}
