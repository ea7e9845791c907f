import { test } from "node:test";
import assert from "node:assert/strict";
import { ServerMetrics } from "./metrics.js";
import { lessorMetrics, ServerInstruments, type MetricsView } from "./wiring.js";

function value(text: string, name: string): string | undefined {
  return text.split("\n").find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`))?.split(" ").pop();
}

test("scrape-time values come from the view; events are recorded as they happen", async () => {
  const m = new ServerMetrics({ processMetrics: false });
  const live = { commit: 10n, applied: 9n, pending: 2, failed: 0, rev: 42n, compact: -1n, keys: 7, cluster: "3.6.0" as string | undefined };
  const view: MetricsView = {
    memberId: 0x8e9e05c52164694dn,
    quotaBytes: 1024,
    committedIndex: () => live.commit,
    appliedIndex: () => live.applied,
    pendingProposals: () => live.pending,
    failedProposals: () => live.failed,
    dbSize: () => 65536,
    dbSizeInUse: () => 32768,
    currentRevision: () => live.rev,
    compactRevision: () => live.compact,
    keys: () => live.keys,
    authRevision: () => 3n,
    clusterVersion: () => live.cluster,
    isLearner: () => false,
  };
  const inst = new ServerInstruments(m, view);
  let text = await m.render();
  assert.equal(value(text, "etcd_server_has_leader"), "0");
  assert.equal(value(text, "etcd_server_proposals_committed_total"), "10");
  assert.equal(value(text, "etcd_server_proposals_applied_total"), "9");
  assert.equal(value(text, "etcd_server_proposals_pending"), "2");
  assert.equal(value(text, "etcd_mvcc_db_total_size_in_bytes"), "65536");
  assert.equal(value(text, "etcd_mvcc_db_total_size_in_use_in_bytes"), "32768");
  assert.equal(value(text, "etcd_debugging_mvcc_current_revision"), "42");
  assert.equal(value(text, "etcd_debugging_mvcc_compact_revision"), "0");
  assert.equal(value(text, "etcd_debugging_mvcc_keys_total"), "7");
  assert.equal(value(text, "etcd_debugging_auth_revision"), "3");
  assert.equal(value(text, "etcd_server_quota_backend_bytes"), "1024");
  assert.match(text, /etcd_server_id\{server_id="8e9e05c52164694d"\} 1/);
  assert.match(text, /etcd_cluster_version\{cluster_version="3.6"\} 1/);

  inst.leader(0x8e9e05c52164694dn, true);
  inst.leader(0n, false);
  inst.leader(5n, false);
  inst.walFsynced(0.002);
  inst.walFsynced(0.004);
  live.failed = 3;
  live.compact = 40n;
  live.cluster = "3.7.0";
  lessorMetrics(m).granted(10);
  text = await m.render();
  assert.equal(value(text, "etcd_server_has_leader"), "1");
  assert.equal(value(text, "etcd_server_is_leader"), "0");
  assert.equal(value(text, "etcd_server_leader_changes_seen_total"), "2", "losing the leader is no change; each new one is");
  assert.equal(value(text, "etcd_disk_wal_fsync_duration_seconds_count"), "2");
  assert.equal(value(text, "etcd_server_proposals_failed_total"), "3");
  assert.equal(value(text, "etcd_debugging_mvcc_compact_revision"), "40");
  assert.equal(value(text, "etcd_debugging_lease_granted_total"), "1");
  assert.doesNotMatch(text, /cluster_version="3.6"/);
  assert.match(text, /etcd_cluster_version\{cluster_version="3.7"\} 1/);
  // Counters keep counting across scrapes without double counting.
  text = await m.render();
  assert.equal(value(text, "etcd_server_proposals_failed_total"), "3");
});
