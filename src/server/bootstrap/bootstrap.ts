/**
 * Opens a member's data: a brand-new member gets a data dir, a WAL whose
 * metadata records who it is, an empty backend and a raft log that starts
 * with one AddNode per initial member; a restarting member reads its
 * identity and log back from the WAL (from the newest snapshot on) and its
 * applied state from the backend.
 * @module
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { Metadata } from "../../gen/etcdserverpb/etcdserver.js";
import type { Entry, HardState, Snapshot } from "../../gen/raftpb/raft.js";
import type { Logger } from "../../pkg/logger.js";
import { isSnapError, Snapshotter } from "../../snap/snapshotter.js";
import { backendPath, LmdbBackend } from "../../storage/backend/index.js";
import { ConsistentIndex } from "../../storage/cindex/index.js";
import { Wal } from "../../wal/wal.js";
import { fetchClusterMembers } from "../transport/index.js";
import { defragAtStart } from "./defrag-at-start.js";
import { forceNewCluster } from "./force-new-cluster.js";
import type { ServerConfig } from "../config.js";
import { DEFAULT_BATCH_LIMIT } from "../config.js";
import { encodeMember, type Member } from "../membership/member.js";
import { clusterIdFor, formatId, memberIdFor } from "../membership/ids.js";

export interface OpenedLog {
  hardState: HardState;
  entries: Entry[];
  snapshot: Snapshot | undefined;
}

export interface Bootstrapped {
  memberId: bigint;
  clusterId: bigint;
  backend: LmdbBackend;
  cindex: ConsistentIndex;
  wal: Wal;
  snapshotter: Snapshotter;
  /** Initial members for a new cluster (to bootstrap raft with); empty on restart. */
  initialMembers: Member[];
  /** The running cluster's members, for a member joining it; empty otherwise. */
  remoteMembers: Member[];
  /** The log read back on restart; undefined for a new member. */
  restored: OpenedLog | undefined;
}

export function memberDir(dataDir: string): string {
  return join(dataDir, "member");
}

export function defaultWalDir(dataDir: string): string {
  return join(memberDir(dataDir), "wal");
}

export function snapDir(dataDir: string): string {
  return join(memberDir(dataDir), "snap");
}

/** Observers the composition root hands in (metrics). */
export interface BootstrapHooks {
  /** Every WAL fdatasync's duration (etcd_disk_wal_fsync_duration_seconds). */
  onFsync?: (seconds: number) => void;
  /** Every backend batch's commit duration (etcd_disk_backend_commit_duration_seconds). */
  onBackendCommit?: (seconds: number) => void;
  /** Every defrag's duration (etcd_disk_backend_defrag_duration_seconds). */
  onBackendDefrag?: (seconds: number) => void;
}

export async function bootstrap(config: ServerConfig, logger: Logger, hooks: BootstrapHooks = {}): Promise<Bootstrapped> {
  const walHooks = hooks.onFsync !== undefined ? { onFsync: hooks.onFsync } : {};
  const walDir = config.walDir;
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  mkdirSync(snapDir(config.dataDir), { recursive: true, mode: 0o700 });
  const snapshotter = new Snapshotter(snapDir(config.dataDir), logger);
  const openBackend = async (): Promise<LmdbBackend> => {
    const backend = new LmdbBackend({
      path: backendPath(config.dataDir),
      batchLimit: config.backendBatchLimit || DEFAULT_BATCH_LIMIT,
      logger,
      ...(hooks.onBackendCommit !== undefined ? { onCommitted: hooks.onBackendCommit } : {}),
      ...(hooks.onBackendDefrag !== undefined ? { onDefragmented: hooks.onBackendDefrag } : {}),
    });
    await defragAtStart(backend, config.bootstrapDefragThresholdBytes ?? 0, logger);
    return backend;
  };

  if (Wal.exists(walDir)) {
    const markers = await Wal.readSnapshotMarkers(walDir, { logger });
    let snapshot: Snapshot | undefined;
    try {
      snapshot = await snapshotter.loadNewestAvailable(markers);
    } catch (err) {
      if (!isSnapError(err, "NoSnapshot")) throw err;
    }
    const from = snapshot?.metadata
      ? { index: snapshot.metadata.index, term: snapshot.metadata.term }
      : { index: 0n, term: 0n };
    const opened = await Wal.open(walDir, from, { logger, ...walHooks });
    const meta = Metadata.decode(opened.metadata);
    if (config.forceNewCluster) {
      const forced = forceNewCluster(meta.NodeID, snapshot?.metadata?.confState, opened.hardState, opened.entries);
      await opened.wal.save(forced.hardState, forced.appended, true);
      logger.warn({ "local-member-id": formatId(meta.NodeID), "cluster-id": formatId(meta.ClusterID), "commit-index": String(forced.hardState.commit), "removed-entries": forced.appended.length }, "forcing restart as a single-member cluster");
      opened.hardState = forced.hardState;
      opened.entries = forced.entries;
    }
    const backend = await openBackend();
    const cindex = new ConsistentIndex(backend);
    logger.info(
      {
        "local-member-id": formatId(meta.NodeID),
        "cluster-id": formatId(meta.ClusterID),
        commit: String(opened.hardState.commit),
        "consistent-index": String(cindex.get().index),
        entries: opened.entries.length,
      },
      "restarting local member",
    );
    return {
      memberId: meta.NodeID,
      clusterId: meta.ClusterID,
      backend,
      cindex,
      wal: opened.wal,
      snapshotter,
      initialMembers: [],
      remoteMembers: [],
      restored: { hardState: opened.hardState, entries: opened.entries, snapshot },
    };
  }

  if (config.initialClusterState === "existing") return joinExisting(config, logger, snapshotter, openBackend, walHooks);
  const members: Member[] = config.initialCluster.map((m) => ({
    id: memberIdFor(m.peerUrls, config.initialClusterToken),
    name: m.name,
    peerUrls: [...m.peerUrls].sort(),
    clientUrls: [],
    isLearner: false,
  }));
  const local = members.find((m) => m.name === config.name);
  if (local === undefined) throw new Error(`couldn't find local name "${config.name}" in the initial cluster configuration`);
  const clusterId = clusterIdFor(members.map((m) => m.id));
  const wal = await Wal.create(walDir, Buffer.from(Metadata.encode({ NodeID: local.id, ClusterID: clusterId }).finish()), { logger, ...walHooks });
  const backend = await openBackend();
  const cindex = new ConsistentIndex(backend);
  logger.info({ "local-member-id": formatId(local.id), "cluster-id": formatId(clusterId) }, "starting local member");
  return { memberId: local.id, clusterId, backend, cindex, wal, snapshotter, initialMembers: members, remoteMembers: [], restored: undefined };
}

/**
 * A new member joining a running cluster (--initial-cluster-state existing,
 * after `member add`): learns the cluster id and every member's id from the
 * running members' `/members`, matches the --initial-cluster entries to them
 * by peer URLs (etcd's ValidateClusterAndAssignIDs), and starts with an
 * empty log — the leader sends it the log or a snapshot.
 */
async function joinExisting(
  config: ServerConfig,
  logger: Logger,
  snapshotter: Snapshotter,
  openBackend: () => Promise<LmdbBackend>,
  walHooks: { onFsync?: (seconds: number) => void },
): Promise<Bootstrapped> {
  const others = config.initialCluster.filter((m) => m.name !== config.name).flatMap((m) => m.peerUrls);
  let remote;
  try {
    remote = await fetchClusterMembers(others, config.peerTls !== undefined ? { tls: config.peerTls.client } : {});
  } catch (err) {
    throw new Error(`cannot fetch cluster info from peer urls: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (remote.members.length !== config.initialCluster.length) {
    throw new Error(`member count is unequal (--initial-cluster has ${config.initialCluster.length}, the running cluster ${remote.members.length})`);
  }
  const sameUrls = (a: readonly string[], b: readonly string[]): boolean => [...a].sort().join(",") === [...b].sort().join(",");
  for (const m of config.initialCluster) {
    if (!remote.members.some((r) => sameUrls(r.peerUrls, m.peerUrls))) {
      throw new Error(`PeerURLs: no match found for existing member (${m.name}=${m.peerUrls.join(",")})`);
    }
  }
  const localUrls = config.initialCluster.find((m) => m.name === config.name)?.peerUrls ?? config.initialAdvertisePeerUrls;
  const local = remote.members.find((r) => sameUrls(r.peerUrls, localUrls));
  if (local === undefined) throw new Error(`couldn't find local name "${config.name}" in the running cluster's members`);
  const wal = await Wal.create(config.walDir, Buffer.from(Metadata.encode({ NodeID: local.id, ClusterID: remote.clusterId }).finish()), { logger, ...walHooks });
  const backend = await openBackend();
  const cindex = new ConsistentIndex(backend);
  logger.info({ "local-member-id": formatId(local.id), "cluster-id": formatId(remote.clusterId), from: remote.from }, "joining an existing cluster");
  return { memberId: local.id, clusterId: remote.clusterId, backend, cindex, wal, snapshotter, initialMembers: [], remoteMembers: remote.members, restored: undefined };
}

/** The context etcd puts into a bootstrap AddNode: the member as JSON. */
export function confChangeContext(m: Member): Buffer {
  return encodeMember(m);
}
