/**
 * /metrics scraped while a write load runs shows etcd's metrics with values
 * that add up (proposals, revisions, fsyncs, gRPC counts, watchers, leases);
 * /health, /livez and /readyz answer as etcd's do, including a NOSPACE alarm
 * provoked with a tiny --quota-backend-bytes (checked against real etcd too).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { PutRequest } from "../../src/gen/etcdserverpb/rpc.js";
import { connect, mustCall, call as grpcCall } from "../harness/grpc-clients.js";
import { realEtcdBin } from "../harness/paths.js";
import { freePort } from "../harness/ports.js";
import { startServer, type Flavor } from "../harness/server-process.js";
import { b64, call, http, LineStream } from "./http-client.js";

/** name{labels} → value, from the text exposition. */
function parseMetrics(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const at = line.lastIndexOf(" ");
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

function metric(m: Map<string, number>, name: string, ...labels: string[]): number {
  for (const [k, v] of m) {
    if (k === name && labels.length === 0) return v;
    if (k.startsWith(`${name}{`) && labels.every((l) => k.includes(l))) return v;
  }
  throw new Error(`no ${name}{${labels.join(",")}} in /metrics`);
}

async function scrape(base: string): Promise<Map<string, number>> {
  const r = await http(base, "GET", "/metrics");
  assert.equal(r.status, 200);
  assert.equal(r.headers["content-type"], "text/plain; version=0.0.4; charset=utf-8");
  return parseMetrics(r.body);
}

const until = async (check: () => Promise<boolean>, what: string): Promise<void> => {
  for (let i = 0; i < 100; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
};

test("/metrics under a write load: etcd's names, values that add up", { timeout: 120_000 }, async () => {
  const server = await startServer({ flavor: "ours" });
  const clients = connect(server.endpoint);
  try {
    const base = server.clientUrl;
    const before = await scrape(base);
    const revisionBefore = metric(before, "etcd_debugging_mvcc_current_revision");
    const PUTS = 3000;
    const KEYS = 500;
    let next = 0;
    const scrapes: Promise<Map<string, number>>[] = [];
    const worker = async (): Promise<void> => {
      while (next < PUTS) {
        const i = next++;
        await mustCall(clients.kv, clients.kv.put, PutRequest.fromPartial({ key: Buffer.from(`load/${i % KEYS}`), value: Buffer.alloc(100, i) }));
        if (i % 500 === 0) scrapes.push(scrape(base));
      }
    };
    await Promise.all(Array.from({ length: 64 }, worker));
    // Scraping during the load worked and saw it progress.
    const during = await Promise.all(scrapes);
    assert.ok(during.length >= 5);
    const commits = during.map((m) => metric(m, "etcd_server_proposals_committed_total"));
    assert.ok(commits[commits.length - 1]! > commits[0]!, `committed index moved during the load: ${commits.join(",")}`);

    const m = await scrape(base);
    assert.equal(metric(m, "etcd_server_has_leader"), 1);
    assert.equal(metric(m, "etcd_server_is_leader"), 1);
    assert.equal(metric(m, "etcd_server_leader_changes_seen_total"), 1);
    const committed = metric(m, "etcd_server_proposals_committed_total");
    assert.ok(committed >= PUTS, `committed ${committed}`);
    assert.equal(metric(m, "etcd_server_proposals_applied_total"), committed);
    assert.equal(metric(m, "etcd_server_proposals_pending"), 0);
    assert.equal(metric(m, "etcd_server_proposals_failed_total"), 0);
    assert.equal(metric(m, "etcd_debugging_mvcc_current_revision"), revisionBefore + PUTS);
    assert.equal(metric(m, "etcd_debugging_mvcc_keys_total"), KEYS);
    const dbSize = metric(m, "etcd_mvcc_db_total_size_in_bytes");
    const inUse = metric(m, "etcd_mvcc_db_total_size_in_use_in_bytes");
    assert.ok(dbSize >= 100 * KEYS && inUse > 0 && inUse <= dbSize, `db ${dbSize}, in use ${inUse}`);
    // Group commit: one fsync covers many proposals, and every durable write was fsynced.
    const fsyncs = metric(m, "etcd_disk_wal_fsync_duration_seconds_count");
    assert.ok(fsyncs > 0 && fsyncs <= committed, `fsyncs ${fsyncs} for ${committed} entries`);
    assert.ok(metric(m, "etcd_disk_wal_fsync_duration_seconds_sum") > 0);
    assert.ok(metric(m, "etcd_disk_wal_fsync_duration_seconds_bucket", 'le="+Inf"') === fsyncs);
    assert.ok(metric(m, "etcd_disk_backend_commit_duration_seconds_count") > 0);
    const put = ['grpc_service="etcdserverpb.KV"', 'grpc_method="Put"'];
    assert.equal(metric(m, "grpc_server_started_total", ...put), PUTS);
    assert.equal(metric(m, "grpc_server_handled_total", ...put, 'grpc_code="OK"'), PUTS);
    assert.equal(metric(m, "grpc_server_msg_received_total", ...put), PUTS);
    assert.equal(metric(m, "grpc_server_msg_sent_total", ...put), PUTS);
    assert.equal(metric(m, "grpc_server_handled_total", ...put, 'grpc_code="Unavailable"'), 0);
    assert.equal(metric(m, "etcd_server_quota_backend_bytes"), 2 * 1024 ** 3);
    assert.equal(metric(m, "etcd_server_version", 'server_version="3.6.0"'), 1);
    assert.equal(metric(m, "etcd_cluster_version", 'cluster_version="3.6"'), 1);
    assert.ok(metric(m, "process_resident_memory_bytes") > 0);

    // A failed call is counted under its code; gateway calls count as gRPC calls, as in etcd.
    await grpcCall(clients.kv, clients.kv.put, PutRequest.fromPartial({}));
    await call(base, "/v3/kv/range", { key: b64("load/1") });
    const lease = await call<{ ID: string }>(base, "/v3/lease/grant", { TTL: 60 });
    const watches = [0, 1, 2].map(() => new LineStream(base, "/v3/watch", JSON.stringify({ create_request: { key: b64("load/1") } })));
    for (const w of watches) await w.next();
    await until(async () => metric(await scrape(base), "etcd_debugging_mvcc_watcher_total") === 3, "3 watchers");
    const after = await scrape(base);
    assert.equal(metric(after, "grpc_server_handled_total", ...put, 'grpc_code="InvalidArgument"'), 1);
    assert.equal(metric(after, "grpc_server_handled_total", 'grpc_method="Range"', 'grpc_code="OK"'), 1);
    assert.equal(metric(after, "grpc_server_started_total", 'grpc_type="bidi_stream"', 'grpc_method="Watch"'), 3);
    assert.equal(metric(after, "etcd_debugging_mvcc_watch_stream_total"), 3);
    assert.equal(metric(after, "etcd_debugging_lease_granted_total"), 1);
    for (const w of watches) w.close();
    await until(async () => metric(await scrape(base), "etcd_debugging_mvcc_watcher_total") === 0, "watchers gone");
    const closed = await scrape(base);
    assert.equal(metric(closed, "grpc_server_handled_total", 'grpc_method="Watch"', 'grpc_code="Canceled"'), 3);
    assert.match(lease.ID, /^\d+$/);
  } finally {
    clients.close();
    await server.stop();
  }
});

async function fillQuota(base: string): Promise<void> {
  const big = b64("x".repeat(20_000));
  for (let i = 0; i < 200; i++) {
    const r = await http(base, "POST", "/v3/kv/put", JSON.stringify({ key: b64(`k${i}`), value: big }));
    if (r.status !== 200) {
      assert.equal(r.status, 429);
      assert.match(r.body, /database space exceeded/);
      return;
    }
  }
  throw new Error("the quota was never reached");
}

for (const flavor of ["ours", "real"] as Flavor[]) {
  test(`/health, /livez, /readyz, healthy and with NOSPACE raised (${flavor} etcd)`, { skip: flavor === "real" && !existsSync(realEtcdBin), timeout: 60_000 }, async () => {
    const server = await startServer({ flavor, extraArgs: ["--quota-backend-bytes", "120000"] });
    try {
      const base = server.clientUrl;
      const healthy = await http(base, "GET", "/health");
      assert.equal(healthy.status, 200);
      assert.equal(JSON.parse(healthy.body).health, "true");
      if (flavor === "ours") {
        assert.equal(healthy.body, '{"health":"true","reason":""}');
        assert.equal((await http(base, "GET", "/health?serializable=true")).status, 200);
        assert.equal((await http(base, "GET", "/livez")).body, "ok\n");
        assert.equal((await http(base, "GET", "/readyz?verbose")).body, "[+]data_corruption ok\n[+]serializable_read ok\n[+]linearizable_read ok\nok\n");
      }

      await fillQuota(base);
      const sick = await http(base, "GET", "/health");
      assert.equal(sick.status, 503);
      assert.equal(sick.headers["content-type"], "text/plain; charset=utf-8");
      assert.equal(JSON.parse(sick.body).health, "false");
      if (flavor === "ours") assert.equal(sick.body, '{"health":"false","reason":"ALARM NOSPACE"}\n');
      const excluded = await http(base, "GET", "/health?exclude=NOSPACE");
      assert.equal(excluded.status, 200);
      if (flavor === "ours") {
        // NOSPACE makes a member unhealthy but still live and ready (it serves reads).
        assert.equal((await http(base, "GET", "/livez")).status, 200);
        assert.equal((await http(base, "GET", "/readyz")).status, 200);
        const m = await scrape(base);
        assert.ok(metric(m, "etcd_server_health_failures") >= 1);
        assert.ok(metric(m, "etcd_server_health_success") >= 3);
        assert.equal(metric(m, "etcd_server_healthcheck", 'type="readyz"', 'name="linearizable_read"'), 1);
      }
      // Disarming (after compaction and defrag) makes it healthy again.
      await call(base, "/v3/kv/deleterange", { key: b64("k"), range_end: b64("l") });
      await call(base, "/v3/maintenance/defragment", {});
      await call(base, "/v3/maintenance/alarm", { action: "DEACTIVATE", memberID: "0", alarm: "NOSPACE" }).catch(() => undefined);
      const alarms = await call<{ alarms?: { memberID: string; alarm: string }[] }>(base, "/v3/maintenance/alarm", { action: "GET" });
      for (const a of alarms.alarms ?? []) await call(base, "/v3/maintenance/alarm", { action: "DEACTIVATE", memberID: a.memberID, alarm: a.alarm });
      assert.equal((await http(base, "GET", "/health")).status, 200);
    } finally {
      await server.stop();
    }
  });
}

for (const flavor of ["ours", "real"] as Flavor[]) {
  test(`--listen-metrics-urls serves /metrics and /health only (${flavor} etcd)`, { skip: flavor === "real" && !existsSync(realEtcdBin), timeout: 30_000 }, async () => {
    const port = await freePort();
    const server = await startServer({ flavor, extraArgs: ["--listen-metrics-urls", `http://127.0.0.1:${port}`] });
    try {
      const base = `http://127.0.0.1:${port}`;
      await until(async () => (await http(base, "GET", "/health").catch(() => undefined))?.status === 200, "the metrics listener");
      const m = await http(base, "GET", "/metrics");
      assert.equal(m.status, 200);
      assert.match(m.body, /^etcd_server_has_leader 1$/m);
      assert.equal(m.headers["access-control-allow-origin"], undefined);
      const version = await http(base, "GET", "/version");
      assert.equal(version.status, 404);
      assert.equal(version.body, "404 page not found\n");
      assert.equal((await http(base, "POST", "/v3/kv/range", "{}")).status, 404);
    } finally {
      await server.stop();
    }
  });
}
