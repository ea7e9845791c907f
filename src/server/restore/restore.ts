/**
 * `etcdutl snapshot restore`: a new member data dir (backend, WAL, raft
 * snapshot) from an etcd snapshot file — one of real etcd's or one of ours —
 * with the membership given on the command line.
 * @module
 */
import type { InitialMember } from "../config.js";

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
}

export interface RestoreResult {
  readonly memberId: bigint;
  readonly clusterId: bigint;
  /** The store's revision after the restore (bumped, if asked). */
  readonly revision: bigint;
}

/** A snapshot that cannot be restored: its message is what the operator reads. Nothing is left behind when it is thrown. */
export class RestoreError extends Error {
  override readonly name = "RestoreError";
}

export function restoreSnapshot(_options: RestoreOptions): Promise<RestoreResult> {
  return Promise.reject(new Error("restoreSnapshot: not built yet"));
}
