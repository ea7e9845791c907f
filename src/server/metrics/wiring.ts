/**
 * Feeds ServerMetrics from the running server without touching the request
 * hot path: values the server already tracks (commit and applied index,
 * pending proposals, database size, revisions, key count) are read when
 * /metrics is scraped; events that happen rarely (leader changes, fsyncs,
 * backend commits, lease grants) are recorded as they happen.
 * @module
 */
import type { LessorMetrics } from "../../lease/index.js";
import type { WatchGauges } from "../watch/hub.js";
import { SERVER_VERSION } from "../../version.js";
import { formatId } from "../membership/ids.js";
import type { ServerMetrics } from "./metrics.js";

/** What the scrape-time values are read from. */
export interface MetricsView {
  memberId: bigint;
  quotaBytes: number;
  committedIndex(): bigint;
  appliedIndex(): bigint;
  /** Proposals waiting for their apply result. */
  pendingProposals(): number;
  /** Proposals that failed (timed out, cancelled, dropped) since start. */
  failedProposals(): number;
  dbSize(): number;
  dbSizeInUse(): number;
  currentRevision(): bigint;
  /** -1 when never compacted. */
  compactRevision(): bigint;
  keys(): number;
  /** The auth store's revision (etcd_debugging_auth_revision). */
  authRevision(): bigint;
  clusterVersion(): string | undefined;
  isLearner(): boolean;
}

export class ServerInstruments {
  readonly #m: ServerMetrics;
  readonly #view: MetricsView;
  #lead = 0n;
  #failedExported = 0;
  #clusterVersion: string | undefined;

  constructor(metrics: ServerMetrics, view: MetricsView) {
    this.#m = metrics;
    this.#view = view;
    metrics.quotaBackendBytes.set(view.quotaBytes);
    metrics.version.set({ server_version: SERVER_VERSION }, 1);
    metrics.serverId.set({ server_id: formatId(view.memberId) }, 1);
    metrics.hasLeader.set(0);
    metrics.isLeader.set(0);
    metrics.onScrape(() => this.#refresh());
  }

  /** Raft's soft state changed (etcd: has_leader, is_leader, leader_changes_seen_total). */
  leader(lead: bigint, isLeader: boolean): void {
    if (lead !== 0n && lead !== this.#lead) this.#m.leaderChanges.inc();
    this.#lead = lead;
    this.#m.hasLeader.set(lead === 0n ? 0 : 1);
    this.#m.isLeader.set(isLeader ? 1 : 0);
  }

  /** A WAL fdatasync took `seconds` (wired as the WAL's onFsync). */
  readonly walFsynced = (seconds: number): void => {
    this.#m.walFsyncSeconds.observe(seconds);
  };

  #refresh(): void {
    const v = this.#view;
    const m = this.#m;
    m.proposalsCommitted.set(Number(v.committedIndex()));
    m.proposalsApplied.set(Number(v.appliedIndex()));
    m.proposalsPending.set(v.pendingProposals());
    const failed = v.failedProposals();
    if (failed > this.#failedExported) m.proposalsFailed.inc(failed - this.#failedExported);
    this.#failedExported = failed;
    m.dbTotalSizeBytes.set(v.dbSize());
    m.dbTotalSizeInUseBytes.set(v.dbSizeInUse());
    m.currentRevision.set(Number(v.currentRevision()));
    const compacted = v.compactRevision();
    m.compactRevision.set(compacted < 0n ? 0 : Number(compacted));
    m.keysTotal.set(v.keys());
    m.authRevision.set(Number(v.authRevision()));
    m.isLearner.set(v.isLearner() ? 1 : 0);
    const cluster = v.clusterVersion();
    if (cluster !== this.#clusterVersion) {
      // etcd labels the cluster version major.minor ("3.6").
      if (this.#clusterVersion !== undefined) m.clusterVersion.remove({ cluster_version: majorMinor(this.#clusterVersion) });
      if (cluster !== undefined) m.clusterVersion.set({ cluster_version: majorMinor(cluster) }, 1);
      this.#clusterVersion = cluster;
    }
  }
}

/** Lessor events → etcd_debugging_lease_*_total. */
export function lessorMetrics(m: ServerMetrics): LessorMetrics {
  return {
    granted: () => m.leaseGranted.inc(),
    revoked: () => m.leaseRevoked.inc(),
    renewed: () => m.leaseRenewed.inc(),
  };
}

/** The watch hub's gauges → etcd_debugging_mvcc_{watcher,watch_stream,slow_watcher,pending_events}_total. */
export function watchGauges(m: ServerMetrics): WatchGauges {
  return { watchers: m.watcherTotal, streams: m.watchStreamTotal, slowWatchers: m.slowWatcherTotal, pendingEvents: m.pendingEventsTotal };
}

function majorMinor(version: string): string {
  return version.split(".").slice(0, 2).join(".");
}
