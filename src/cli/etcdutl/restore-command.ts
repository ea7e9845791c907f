/**
 * `etcdutl snapshot restore <filename>`: a new member data dir from an
 * etcd snapshot (real etcd's or ours), through src/server/restore, with
 * etcd's flags, checks, messages and log lines; a progress bar on stderr
 * when it is a terminal.
 * @module
 */
import { join } from "node:path";
import { parseEtcdUrls, EtcdUrlError } from "../../pkg/go-url.js";
import type { Logger } from "../../pkg/logger.js";
import { RestoreError, restoreSnapshot } from "../../server/restore/index.js";
import { parseInitialCluster } from "../etcd/bootstrap.js";
import { bigintFlag, boolFlag, CommandError, EXIT_BAD_ARGS, stringFlag, type CommandContext } from "./context.js";
import { progressReporter } from "./progress.js";

/** etcd's default initial memory map size, which its log line reports (LMDB grows its map as needed). */
const INITIAL_MMAP_SIZE = 10n * 1024n * 1024n * 1024n;

export async function snapshotRestoreCommand(ctx: CommandContext, log: Logger): Promise<void> {
  const { flags } = ctx;
  if (flags.args.length !== 1) throw new CommandError("snapshot restore requires exactly one argument", EXIT_BAD_ARGS);
  const snapshotPath = flags.args[0]!;
  const bumpRevision = bigintFlag(flags, "bump-revision");
  const markCompacted = boolFlag(flags, "mark-compacted");
  if ((bumpRevision === 0n && markCompacted) || (bumpRevision > 0n && !markCompacted)) {
    throw new CommandError("--mark-compacted required if --revision-bump > 0", EXIT_BAD_ARGS);
  }
  const name = stringFlag(flags, "name");
  const dataDir = stringFlag(flags, "data-dir") || `${name}.etcd`;
  const walDir = stringFlag(flags, "wal-dir") || join(dataDir, "member", "wal");
  let initialCluster;
  let peerUrls;
  try {
    peerUrls = parseEtcdUrls(stringFlag(flags, "initial-advertise-peer-urls")).map((u) => u.href);
    initialCluster = parseInitialCluster(stringFlag(flags, "initial-cluster")).map((m) => ({ name: m.name, peerUrls: m.peerUrls.map((u) => u.href) }));
  } catch (err) {
    if (err instanceof EtcdUrlError) throw new CommandError(err.message);
    throw err;
  }
  const where = { path: snapshotPath, "wal-dir": walDir, "data-dir": dataDir, "snap-dir": join(dataDir, "member", "snap"), "initial-memory-map-size": INITIAL_MMAP_SIZE };
  log.info(where, "restoring snapshot");
  const progress = ctx.io.stderrIsTty ? progressReporter((text) => ctx.io.stderr(text)) : undefined;
  try {
    await restoreSnapshot({
      snapshotPath,
      dataDir,
      walDir,
      name,
      initialCluster,
      initialClusterToken: stringFlag(flags, "initial-cluster-token"),
      initialAdvertisePeerUrls: peerUrls,
      skipHashCheck: boolFlag(flags, "skip-hash-check"),
      bumpRevision,
      markCompacted,
      ...(progress !== undefined ? { onProgress: progress.onProgress } : {}),
    });
  } catch (err) {
    if (err instanceof RestoreError) throw new CommandError(err.message);
    throw err;
  } finally {
    progress?.finish();
  }
  log.info(where, "restored snapshot");
}
