/**
 * `etcdutl snapshot restore`: a new member data dir (backend, WAL, raft
 * snapshot) from an etcd snapshot file — one of real etcd's or one of ours —
 * with the membership given on the command line.
 *
 * Done as etcd 3.6 does it: the file's SHA-256 trailer is checked first;
 * every bucket is copied into our backend except the membership, which is
 * rewritten for the new cluster; the consistent index becomes the number of
 * members at term 1 and the ConfState has them all as voters; the WAL holds
 * one committed AddNode per member. Everything is built in a temporary
 * directory beside the target and renamed into place at the end, so a
 * failure leaves nothing behind.
 * @module
 */
import { mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync } from "node:fs";
import { basename, dirname, join, relative, resolve } from "node:path";
import { nullLogger, type Logger } from "../../pkg/logger.js";
import { BoltFormatError, openBoltFile } from "../../storage/bbolt/reader.js";
import { backendPath, LmdbBackend, META_KEYS, type Bucket } from "../../storage/backend/index.js";
import { ConsistentIndex } from "../../storage/cindex/index.js";
import type { InitialMember } from "../config.js";
import { saveConfState } from "../membership/conf-state.js";
import { MembershipStore } from "../membership/membership-store.js";
import { copyBuckets } from "./copy-buckets.js";
import { NewClusterError, planNewCluster } from "./new-cluster.js";
import { writeRestoredLog } from "./raft-log.js";
import { bumpAndMarkCompacted, storeRevision } from "./revision-bump.js";
import { checkSnapshotFile, SnapshotFileError } from "./snapshot-file.js";

export interface RestoreOptions {
  /** The snapshot file (a bbolt database, normally followed by its SHA-256). */
  readonly snapshotPath: string;
  /** Must not exist yet (or be empty). */
  readonly dataDir: string;
  /** Default `<dataDir>/member/wal`. */
  readonly walDir?: string;
  /** This member's name; it must appear in `initialCluster`. */
  readonly name: string;
  readonly initialCluster: readonly InitialMember[];
  readonly initialClusterToken: string;
  readonly initialAdvertisePeerUrls: readonly string[];
  /** Accept a file without the SHA-256 trailer (a copied member/snap/db). */
  readonly skipHashCheck: boolean;
  /** Added to the store's revision (0n: none); etcd 3.6's --bump-revision. */
  readonly bumpRevision: bigint;
  /** With bumpRevision: mark the new revision compacted so watchers resume from it. */
  readonly markCompacted: boolean;
  /** Called as the database is copied, for a progress bar. */
  readonly onProgress?: (doneBytes: number, totalBytes: number) => void;
  /** Where the WAL and snapshotter log; default silent. */
  readonly logger?: Logger;
}

export interface RestoreResult {
  readonly memberId: bigint;
  readonly clusterId: bigint;
  /** The store's revision after the restore (bumped, if asked). */
  readonly revision: bigint;
  /** The raft index the new member starts from (the number of members), applied in the backend. */
  readonly consistentIndex: bigint;
  /** Whether the file carried a SHA-256 trailer (checked unless skipHashCheck). */
  readonly hashChecked: boolean;
  /** Buckets of the file unknown to etcd, left out. */
  readonly unknownBuckets: readonly string[];
}

/** A snapshot that cannot be restored: its message is what the operator reads. Nothing is left behind when it is thrown. */
export class RestoreError extends Error {
  override readonly name = "RestoreError";
}

/** Membership is rewritten for the new cluster; raft's position is the new log's. */
const REWRITTEN_BUCKETS: ReadonlySet<Bucket> = new Set(["members", "members_removed"]);
const REWRITTEN_META_KEYS = [META_KEYS.consistentIndex, META_KEYS.term, META_KEYS.confState];

function keepFromSnapshot(bucket: Bucket, key: Uint8Array): boolean {
  if (REWRITTEN_BUCKETS.has(bucket)) return false;
  if (bucket === "meta") return !REWRITTEN_META_KEYS.some((k) => k.equals(key));
  return true;
}

export async function restoreSnapshot(options: RestoreOptions): Promise<RestoreResult> {
  try {
    return await restore(options);
  } catch (err) {
    if (err instanceof RestoreError) throw err;
    if (err instanceof SnapshotFileError || err instanceof NewClusterError || err instanceof BoltFormatError) throw new RestoreError(err.message, { cause: err });
    throw new RestoreError(`restore failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

async function restore(options: RestoreOptions): Promise<RestoreResult> {
  const logger = options.logger ?? nullLogger;
  const cluster = planNewCluster(options);
  if ((options.bumpRevision === 0n && options.markCompacted) || (options.bumpRevision > 0n && !options.markCompacted)) {
    throw new RestoreError("--mark-compacted required if --revision-bump > 0");
  }
  if (options.bumpRevision < 0n) throw new RestoreError(`invalid --bump-revision ${options.bumpRevision}`);
  const dataDir = resolve(options.dataDir);
  if (!isAbsentOrEmpty(dataDir)) throw new RestoreError(`data-dir "${options.dataDir}" not empty or could not be read`);
  const walDir = options.walDir === undefined ? undefined : resolve(options.walDir);
  const walInsideData = walDir === undefined || !relative(dataDir, walDir).startsWith("..");
  if (options.walDir !== undefined && !isAbsentOrEmpty(walDir!)) throw new RestoreError(`wal-dir "${options.walDir}" exists`);

  const checked = await checkSnapshotFile(options.snapshotPath, options.skipHashCheck);
  const bolt = openBoltFile(options.snapshotPath, { limitBytes: checked.dbBytes });
  const staging = new Staging();
  try {
    const stagedData = staging.beside(dataDir);
    const stagedWal = walDir === undefined ? join(stagedData, "member", "wal") : walInsideData ? join(stagedData, relative(dataDir, walDir)) : staging.beside(walDir);
    const snapDir = join(stagedData, "member", "snap");
    mkdirSync(snapDir, { recursive: true, mode: 0o700 });
    const backend = new LmdbBackend({ path: backendPath(stagedData), logger });
    let revision: bigint;
    let unknownBuckets: readonly string[];
    let consistentIndex: bigint;
    try {
      ({ unknownBuckets } = await copyBuckets(bolt, backend, { keep: keepFromSnapshot, totalBytes: checked.dbBytes, onProgress: options.onProgress }));
      const membership = new MembershipStore(backend);
      for (const m of cluster.members) membership.add(m);
      if (options.bumpRevision > 0n) bumpAndMarkCompacted(backend, options.bumpRevision);
      const written = await writeRestoredLog(cluster, stagedWal, snapDir, logger);
      consistentIndex = written.hardState.commit;
      new ConsistentIndex(backend).set(consistentIndex, written.hardState.term);
      saveConfState(backend, written.confState);
      revision = storeRevision(backend);
      await backend.commit();
    } finally {
      await backend.close();
    }
    staging.commit();
    return { memberId: cluster.local.id, clusterId: cluster.clusterId, revision, consistentIndex, hashChecked: checked.hasHash && !options.skipHashCheck, unknownBuckets };
  } catch (err) {
    staging.abandon();
    throw err;
  } finally {
    bolt.close();
  }
}

function isAbsentOrEmpty(dir: string): boolean {
  try {
    if (!statSync(dir).isDirectory()) return false;
    return readdirSync(dir).length === 0;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "ENOENT";
  }
}

/**
 * Directories built under temporary names beside their targets, renamed
 * into place together by `commit` (an empty target directory is replaced),
 * or removed by `abandon`.
 */
class Staging {
  readonly #dirs: { staged: string; target: string }[] = [];
  /** Parents that did not exist and were made for the targets: removed again on failure. */
  readonly #madeParents: string[] = [];

  beside(target: string): string {
    const made = mkdirSync(dirname(target), { recursive: true, mode: 0o700 });
    if (made !== undefined) this.#madeParents.push(made);
    const staged = mkdtempSync(join(dirname(target), `.${basename(target)}.restoring-`));
    this.#dirs.push({ staged, target });
    return staged;
  }

  commit(): void {
    for (const { staged, target } of this.#dirs) renameSync(staged, target);
    this.#dirs.length = 0;
    this.#madeParents.length = 0;
  }

  abandon(): void {
    for (const { staged } of this.#dirs) rmSync(staged, { recursive: true, force: true });
    for (const made of this.#madeParents) rmSync(made, { recursive: true, force: true });
    this.#dirs.length = 0;
  }
}
