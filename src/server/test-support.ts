/**
 * What tests of a whole in-process server share: a single member's
 * configuration and a forwarder it never needs (tests only).
 * @module
 */
import { EtcdError } from "../pkg/errors.js";
import type { LeaderForwarder } from "./api.js";
import { defaultWalDir } from "./bootstrap/bootstrap.js";
import type { ServerConfig } from "./config.js";

/** A single member never forwards: it leads. */
export const NO_FORWARDING: LeaderForwarder = {
  renew: () => Promise.reject(new EtcdError("NotLeader")),
  timeToLive: () => Promise.reject(new EtcdError("NotLeader")),
  memberPromote: () => Promise.reject(new EtcdError("NotLeader")),
  close: () => {},
};

/** One member named "solo" on `dataDir`, etcd's defaults otherwise (peer port 0: nothing dials it). */
export function singleMemberConfig(dataDir: string): ServerConfig {
  return {
    name: "solo",
    dataDir,
    walDir: defaultWalDir(dataDir),
    initialCluster: [{ name: "solo", peerUrls: ["http://127.0.0.1:0"] }],
    initialClusterToken: "etcd-cluster",
    initialClusterState: "new",
    advertiseClientUrls: ["http://127.0.0.1:2379"],
    listenPeerUrls: ["http://127.0.0.1:0"],
    initialAdvertisePeerUrls: ["http://127.0.0.1:0"],
    heartbeatIntervalMs: 100,
    electionTimeoutMs: 1000,
    preVote: true,
    forceNewCluster: false,
    strictReconfigCheck: true,
    maxLearners: 1,
    snapshotCount: 10_000,
    maxSnapshots: 5,
    maxWals: 5,
    quotaBackendBytes: 0,
    backendBatchIntervalMs: 0,
    backendBatchLimit: 0,
    maxRequestBytes: 1.5 * 1024 * 1024,
    maxTxnOps: 128,
    compactionBatchLimit: 0,
    lease: { checkpoint: false, checkpointPersist: false },
    watchProgressNotifyIntervalMs: 0,
  };
}
