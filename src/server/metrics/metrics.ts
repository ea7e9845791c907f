/**
 * The server's Prometheus metrics, under etcd's names so existing dashboards
 * and alerts work unchanged. One registry per server instance, created by
 * the composition root and passed down: no global registry, no module state.
 * Components get the metric objects they update; `/metrics` renders the
 * registry.
 * @module
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/** etcd's bucket layouts (exponential, in seconds). */
function exponentialBuckets(start: number, factor: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => start * factor ** i);
}

export class ServerMetrics {
  readonly registry = new Registry();

  // etcd_server_*
  readonly hasLeader = new Gauge({ name: "etcd_server_has_leader", help: "Whether or not a leader exists. 1 is existence, 0 is not.", registers: [this.registry] });
  readonly isLeader = new Gauge({ name: "etcd_server_is_leader", help: "Whether or not this member is a leader. 1 if is, 0 otherwise.", registers: [this.registry] });
  readonly isLearner = new Gauge({ name: "etcd_server_is_learner", help: "Whether or not this member is a learner. 1 if is, 0 otherwise.", registers: [this.registry] });
  readonly leaderChanges = new Counter({ name: "etcd_server_leader_changes_seen_total", help: "The number of leader changes seen.", registers: [this.registry] });
  readonly proposalsCommitted = new Gauge({ name: "etcd_server_proposals_committed_total", help: "The total number of consensus proposals committed.", registers: [this.registry] });
  readonly proposalsApplied = new Gauge({ name: "etcd_server_proposals_applied_total", help: "The total number of consensus proposals applied.", registers: [this.registry] });
  readonly proposalsPending = new Gauge({ name: "etcd_server_proposals_pending", help: "The current number of pending proposals to commit.", registers: [this.registry] });
  readonly proposalsFailed = new Counter({ name: "etcd_server_proposals_failed_total", help: "The total number of failed proposals seen.", registers: [this.registry] });
  readonly slowApplies = new Counter({ name: "etcd_server_slow_apply_total", help: "The total number of slow apply requests (likely overloaded from slow disk).", registers: [this.registry] });
  readonly slowReadIndexes = new Counter({ name: "etcd_server_slow_read_indexes_total", help: "The total number of pending read indexes not in sync with leader's or timed out read index requests.", registers: [this.registry] });
  readonly readIndexFailed = new Counter({ name: "etcd_server_read_indexes_failed_total", help: "The total number of failed read indexes seen.", registers: [this.registry] });
  readonly heartbeatSendFailures = new Counter({ name: "etcd_server_heartbeat_send_failures_total", help: "The total number of leader heartbeat send failures (likely overloaded from slow disk).", registers: [this.registry] });
  readonly quotaBackendBytes = new Gauge({ name: "etcd_server_quota_backend_bytes", help: "Current backend storage quota size in bytes.", registers: [this.registry] });
  readonly version = new Gauge({ name: "etcd_server_version", help: "Which version is running. 1 for 'server_version' label with current version.", labelNames: ["server_version"], registers: [this.registry] });
  readonly clusterVersion = new Gauge({ name: "etcd_cluster_version", help: "Which version is running. 1 for 'cluster_version' label with current cluster version", labelNames: ["cluster_version"], registers: [this.registry] });
  readonly serverId = new Gauge({ name: "etcd_server_id", help: "Server or member ID in hexadecimal format. 1 for 'server_id' label with current ID.", labelNames: ["server_id"], registers: [this.registry] });

  // etcd_disk_*
  readonly walFsyncSeconds = new Histogram({ name: "etcd_disk_wal_fsync_duration_seconds", help: "The latency distributions of fsync called by WAL.", buckets: exponentialBuckets(0.001, 2, 14), registers: [this.registry] });
  readonly walWriteBytes = new Gauge({ name: "etcd_disk_wal_write_bytes_total", help: "Total number of bytes written in WAL.", registers: [this.registry] });
  readonly backendCommitSeconds = new Histogram({ name: "etcd_disk_backend_commit_duration_seconds", help: "The latency distributions of commit called by backend.", buckets: exponentialBuckets(0.001, 2, 14), registers: [this.registry] });
  readonly backendDefragSeconds = new Histogram({ name: "etcd_disk_backend_defrag_duration_seconds", help: "The latency distribution of backend defragmentation.", buckets: exponentialBuckets(0.1, 2, 13), registers: [this.registry] });
  readonly backendSnapshotSeconds = new Histogram({ name: "etcd_disk_backend_snapshot_duration_seconds", help: "The latency distribution of backend snapshots.", buckets: exponentialBuckets(0.01, 2, 17), registers: [this.registry] });

  // etcd_mvcc_* and etcd_debugging_mvcc_*
  readonly dbTotalSizeBytes = new Gauge({ name: "etcd_mvcc_db_total_size_in_bytes", help: "Total size of the underlying database physically allocated in bytes.", registers: [this.registry] });
  readonly dbTotalSizeInUseBytes = new Gauge({ name: "etcd_mvcc_db_total_size_in_use_in_bytes", help: "Total size of the underlying database logically in use in bytes.", registers: [this.registry] });
  readonly mvccPutTotal = new Counter({ name: "etcd_mvcc_put_total", help: "Total number of puts seen by this member.", registers: [this.registry] });
  readonly mvccDeleteTotal = new Counter({ name: "etcd_mvcc_delete_total", help: "Total number of deletes seen by this member.", registers: [this.registry] });
  readonly mvccRangeTotal = new Counter({ name: "etcd_mvcc_range_total", help: "Total number of ranges seen by this member.", registers: [this.registry] });
  readonly mvccTxnTotal = new Counter({ name: "etcd_mvcc_txn_total", help: "Total number of txns seen by this member.", registers: [this.registry] });
  readonly keysTotal = new Gauge({ name: "etcd_debugging_mvcc_keys_total", help: "Total number of keys.", registers: [this.registry] });
  readonly currentRevision = new Gauge({ name: "etcd_debugging_mvcc_current_revision", help: "The current revision of store.", registers: [this.registry] });
  readonly compactRevision = new Gauge({ name: "etcd_debugging_mvcc_compact_revision", help: "The revision of the last compaction in store.", registers: [this.registry] });
  readonly watcherTotal = new Gauge({ name: "etcd_debugging_mvcc_watcher_total", help: "Total number of watchers.", registers: [this.registry] });
  readonly watchStreamTotal = new Gauge({ name: "etcd_debugging_mvcc_watch_stream_total", help: "Total number of watch streams.", registers: [this.registry] });
  readonly slowWatcherTotal = new Gauge({ name: "etcd_debugging_mvcc_slow_watcher_total", help: "Total number of unsynced slow watchers.", registers: [this.registry] });
  readonly pendingEventsTotal = new Gauge({ name: "etcd_debugging_mvcc_pending_events_total", help: "Total number of pending events to be sent.", registers: [this.registry] });
  readonly leaseGranted = new Counter({ name: "etcd_debugging_lease_granted_total", help: "The total number of granted leases.", registers: [this.registry] });
  readonly leaseRevoked = new Counter({ name: "etcd_debugging_lease_revoked_total", help: "The total number of revoked leases.", registers: [this.registry] });
  readonly authRevision = new Gauge({ name: "etcd_debugging_auth_revision", help: "The current revision of auth store.", registers: [this.registry] });
  readonly leaseRenewed = new Counter({ name: "etcd_debugging_lease_renewed_total", help: "The number of renewed leases seen by the leader.", registers: [this.registry] });

  // grpc_server_* (go-grpc-prometheus names, as etcd exports them)
  readonly grpcStarted = new Counter({ name: "grpc_server_started_total", help: "Total number of RPCs started on the server.", labelNames: ["grpc_type", "grpc_service", "grpc_method"], registers: [this.registry] });
  readonly grpcHandled = new Counter({ name: "grpc_server_handled_total", help: "Total number of RPCs completed on the server, regardless of success or failure.", labelNames: ["grpc_type", "grpc_service", "grpc_method", "grpc_code"], registers: [this.registry] });
  readonly grpcMsgReceived = new Counter({ name: "grpc_server_msg_received_total", help: "Total number of RPC stream messages received on the server.", labelNames: ["grpc_type", "grpc_service", "grpc_method"], registers: [this.registry] });
  readonly grpcMsgSent = new Counter({ name: "grpc_server_msg_sent_total", help: "Total number of gRPC stream messages sent by the server.", labelNames: ["grpc_type", "grpc_service", "grpc_method"], registers: [this.registry] });

  // etcd_network_* (peer traffic; filled once members talk to each other)
  readonly peerRoundTripSeconds = new Histogram({ name: "etcd_network_peer_round_trip_time_seconds", help: "Round-Trip-Time histogram between peers", labelNames: ["To"], buckets: exponentialBuckets(0.0001, 2, 16), registers: [this.registry] });
  readonly peerSentBytes = new Counter({ name: "etcd_network_peer_sent_bytes_total", help: "The total number of bytes sent to peers.", labelNames: ["To"], registers: [this.registry] });
  readonly peerReceivedBytes = new Counter({ name: "etcd_network_peer_received_bytes_total", help: "The total number of bytes received from peers.", labelNames: ["From"], registers: [this.registry] });
  readonly peerSentFailures = new Counter({ name: "etcd_network_peer_sent_failures_total", help: "The total number of send failures from peers.", labelNames: ["To"], registers: [this.registry] });

  // /health, /livez, /readyz (etcd 3.6)
  readonly healthSuccess = new Counter({ name: "etcd_server_health_success", help: "The total number of successful health checks", registers: [this.registry] });
  readonly healthFailures = new Counter({ name: "etcd_server_health_failures", help: "The total number of failed health checks", registers: [this.registry] });
  readonly healthCheck = new Gauge({ name: "etcd_server_healthcheck", help: "The result of each kind of healthcheck.", labelNames: ["type", "name"], registers: [this.registry] });
  readonly healthChecks = new Counter({ name: "etcd_server_healthchecks_total", help: "The total number of each kind of healthcheck.", labelNames: ["type", "name", "status"], registers: [this.registry] });

  /** Run before each render: values read at scrape time instead of updated on the hot path. */
  readonly #scrapeHooks: (() => void)[] = [];

  /** Registers a hook that refreshes scrape-time values (gauges read from live state, counters kept as plain numbers). */
  onScrape(hook: () => void): void {
    this.#scrapeHooks.push(hook);
  }

  /** The text exposition for /metrics, scrape-time values refreshed first. */
  async render(): Promise<string> {
    for (const hook of this.#scrapeHooks) hook();
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  constructor(options?: { processMetrics?: boolean }) {
    // process_* and nodejs_* (etcd exports Go's process_* collectors).
    if (options?.processMetrics !== false) collectDefaultMetrics({ register: this.registry });
  }
}
