/**
 * `etcdutl migrate-from-etcd`: turns a stopped real etcd member's data dir
 * (bbolt `member/snap/db`, WAL, raft snapshots) into ours in place. The WAL
 * and the `.snap` files are already in etcd's format, which our server
 * reads; only the database is converted, into our LMDB backend at the same
 * path, with etcd's original kept beside it as `db.etcd-bbolt`.
 *
 * etcd 3.4 keeps no ConfState in its backend; our restart needs it (raft
 * starts from the configuration as of the consistent index). etcd 3.5 fills
 * it on its first start by replaying the WAL's conf changes into raft; the
 * members bucket holds the result of exactly those changes as of the
 * consistent index, so the ConfState is derived from it (voters and
 * learners). The `term` key is left for the first applied entry to write,
 * as etcd 3.5 does.
 * @module
 */
import { spawnSync } from "node:child_process";
import { closeSync, existsSync, openSync, readSync, renameSync, rmSync } from "node:fs";
import type { ConfState } from "../../gen/raftpb/raft.js";
import { BoltFormatError, openBoltFile, type BoltFile } from "../../storage/bbolt/reader.js";
import { backendPath, DB_FORMAT_HEAD_BYTES, dbFormatOf, LmdbBackend, META_KEYS } from "../../storage/backend/index.js";
import { ConsistentIndex } from "../../storage/cindex/index.js";
import { Wal } from "../../wal/wal.js";
import { defaultWalDir } from "../bootstrap/bootstrap.js";
import { saveConfState } from "../membership/conf-state.js";
import { MembershipStore } from "../membership/membership-store.js";
import { copyBuckets } from "./copy-buckets.js";
import { RestoreError } from "./restore.js";
import { storeRevision } from "./revision-bump.js";

export interface MigrateOptions {
  /** The member's --data-dir (real etcd's, stopped). */
  readonly dataDir: string;
  /** The member's --wal-dir when it is not `<dataDir>/member/wal`. */
  readonly walDir?: string;
  /** Called as the database is converted, for a progress bar. */
  readonly onProgress?: (doneBytes: number, totalBytes: number) => void;
}

export interface MigrateResult {
  /** The store's revision and the consistent index found in the database. */
  readonly revision: bigint;
  readonly consistentIndex: bigint;
  /** Where etcd's original bbolt file was kept. */
  readonly keptOriginalAt: string;
  /** The ConfState written (derived from the members bucket), or undefined when the database already had one (etcd 3.5+). */
  readonly filledConfState: ConfState | undefined;
  /** Buckets of the file unknown to etcd 3.4/3.5, left out. */
  readonly unknownBuckets: readonly string[];
}

/** Suffix of etcd's original database once converted. */
export const ORIGINAL_SUFFIX = ".etcd-bbolt";
/** flock(1)'s exit status when the lock is held (we choose it). */
const LOCK_HELD_STATUS = 75;

export async function migrateDataDir(options: MigrateOptions): Promise<MigrateResult> {
  const dbPath = backendPath(options.dataDir);
  const keptOriginalAt = `${dbPath}${ORIGINAL_SUFFIX}`;
  const walDir = options.walDir ?? defaultWalDir(options.dataDir);
  if (existsSync(keptOriginalAt)) throw new RestoreError(`data-dir "${options.dataDir}" was already migrated (${keptOriginalAt} exists)`);
  if (!existsSync(dbPath)) throw new RestoreError(`data-dir "${options.dataDir}" has no member database (${dbPath}): not an etcd member's data dir`);
  if (!Wal.exists(walDir)) throw new RestoreError(`data-dir "${options.dataDir}" has no WAL in ${walDir}: not an etcd member's data dir`);
  const format = dbFormatOf(readHead(dbPath));
  if (format === "lmdb") throw new RestoreError(`data-dir "${options.dataDir}" is already ours (${dbPath} is not a bbolt file)`);
  if (format !== "bbolt") throw new RestoreError(`${dbPath} is not a bbolt database (invalid magic number)`);
  if (isLocked(dbPath)) throw new RestoreError(`${dbPath} is locked by a running etcd: stop the member first`);

  let bolt: BoltFile;
  try {
    bolt = openBoltFile(dbPath);
  } catch (err) {
    if (err instanceof BoltFormatError) throw new RestoreError(`${dbPath}: ${err.message}`, { cause: err });
    throw err;
  }
  const stagedPath = `${dbPath}.migrating`;
  const staged = new LmdbBackend({ path: stagedPath });
  const removeStaged = (): void => {
    rmSync(stagedPath, { force: true });
    rmSync(`${stagedPath}-lock`, { force: true });
  };
  let result: Omit<MigrateResult, "keptOriginalAt">;
  try {
    const copied = await copyBuckets(bolt, staged, { keep: () => true, totalBytes: bolt.size, onProgress: options.onProgress });
    const filledConfState = staged.get("meta", META_KEYS.confState) === undefined ? confStateFromMembers(new MembershipStore(staged)) : undefined;
    if (filledConfState !== undefined) saveConfState(staged, filledConfState);
    await staged.commit();
    result = { revision: storeRevision(staged), consistentIndex: new ConsistentIndex(staged).get().index, filledConfState, unknownBuckets: copied.unknownBuckets };
  } catch (err) {
    await staged.close().catch(() => undefined);
    removeStaged();
    throw err instanceof RestoreError || !(err instanceof Error) ? err : new RestoreError(`migrate failed: ${err.message}`, { cause: err });
  } finally {
    bolt.close();
  }
  await staged.close();
  renameSync(dbPath, keptOriginalAt);
  try {
    renameSync(stagedPath, dbPath);
  } catch (err) {
    renameSync(keptOriginalAt, dbPath);
    removeStaged();
    throw new RestoreError(`migrate failed: ${(err as Error).message}`, { cause: err });
  }
  rmSync(`${stagedPath}-lock`, { force: true });
  return { ...result, keptOriginalAt };
}

/** Raft's configuration as etcd keeps it in step with the members: voters and learners by id. */
function confStateFromMembers(membership: MembershipStore): ConfState {
  const members = membership.members();
  return {
    voters: members.filter((m) => !m.isLearner).map((m) => m.id),
    learners: members.filter((m) => m.isLearner).map((m) => m.id),
    votersOutgoing: [],
    learnersNext: [],
    autoLeave: false,
  };
}

/** The first bytes of the file, where both formats keep their magic number. */
function readHead(path: string): Buffer {
  const fd = openSync(path, "r");
  try {
    const buf = Buffer.alloc(DB_FORMAT_HEAD_BYTES);
    return buf.subarray(0, readSync(fd, buf, 0, buf.length, 0));
  } finally {
    closeSync(fd);
  }
}

/**
 * Whether a process holds bbolt's flock on the database — a running etcd
 * member does, for as long as it has the file open. Node has no flock(2),
 * so util-linux's flock(1) asks without waiting.
 */
function isLocked(path: string): boolean {
  const probe = spawnSync("flock", ["--nonblock", "--conflict-exit-code", String(LOCK_HELD_STATUS), path, "true"], { stdio: "ignore" });
  if (probe.error !== undefined) throw new RestoreError(`cannot check whether ${path} is in use: flock: ${probe.error.message}`);
  return probe.status === LOCK_HELD_STATUS;
}

