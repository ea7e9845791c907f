/**
 * `etcdutl migrate-from-etcd`: turns a real etcd member's data dir (bbolt
 * `member/snap/db`, WAL, raft snapshots) into ours in place — the WAL and
 * snapshot files are already in etcd's format; the database is converted.
 * @module
 */

export interface MigrateOptions {
  /** The member's --data-dir (real etcd's, stopped). */
  readonly dataDir: string;
  /** Called as the database is converted, for a progress bar. */
  readonly onProgress?: (doneBytes: number, totalBytes: number) => void;
}

export interface MigrateResult {
  /** The store's revision and the consistent index found in the database. */
  readonly revision: bigint;
  readonly consistentIndex: bigint;
  /** Where etcd's original bbolt file was kept. */
  readonly keptOriginalAt: string;
}

export function migrateDataDir(_options: MigrateOptions): Promise<MigrateResult> {
  return Promise.reject(new Error("migrateDataDir: not built yet"));
}
