/**
 * Defragmentation while clients keep working: a member holding a ≥ 100 MB
 * file (mostly free pages after a compaction) is defragmented with Debian's
 * `etcdctl defrag` while a client keeps putting and ranging (and the same
 * against real etcd 3.4, to prove the test); then a 3-member cluster with
 * `etcdctl defrag --cluster`. No request may fail, none may wait
 * longer than a generous bound, and the file must shrink to what is in use.
 * The member's "defragmented" log line tells how long commits were held.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { PutRequest, RangeRequest, type PutResponse, type RangeResponse } from "../../src/gen/etcdserverpb/rpc.js";
import { Cluster } from "../cluster/cluster.js";
import { etcdctl } from "../harness/etcdctl.js";
import { fragmentDatabase, memberStatus } from "../harness/fragment.js";
import { call, connect, mustCall, type Clients } from "../harness/grpc-clients.js";
import { startServer, type Flavor } from "../harness/server-process.js";

/** A request that waits longer than this during a defrag counts as blocked (generous: a loaded 2-core machine). */
const SLOW_REQUEST_MS = 5_000;

interface Load {
  stop(): Promise<{ requests: number; failures: string[]; slowest: number }>;
}

/** Puts and ranges from `workers` loops, each request timed, until stopped. */
function keepWorking(clients: Clients, workers: number): Load {
  let running = true;
  let requests = 0;
  let slowest = 0;
  const failures: string[] = [];
  const loops = Array.from({ length: workers }, async (_, w) => {
    for (let n = 0; running; n++) {
      const started = Date.now();
      const res =
        n % 2 === 0
          ? await call<PutRequest, PutResponse>(clients.kv, clients.kv.put, PutRequest.fromPartial({ key: Buffer.from(`load/${w}/${n}`), value: Buffer.from(`v${n}`) }))
          : await call<RangeRequest, RangeResponse>(clients.kv, clients.kv.range, RangeRequest.fromPartial({ key: Buffer.from(`load/${w}/${n - 1}`) }));
      slowest = Math.max(slowest, Date.now() - started);
      requests++;
      if (!res.ok) failures.push(`${res.error.code} ${res.error.message}`);
      else if ("kvs" in res.value && res.value.kvs[0]?.value.toString() !== `v${n - 1}`) failures.push(`load/${w}/${n - 1} not read back`);
    }
  });
  return {
    async stop() {
      running = false;
      await Promise.all(loops);
      return { requests, failures, slowest };
    },
  };
}

/** The fields of the member's last "defragmented" log line. */
function defragmentedLine(output: string): Record<string, unknown> {
  const lines = output.split("\n").filter((l) => l.includes('"msg":"defragmented"'));
  assert.ok(lines.length > 0, "no defragmented log line");
  return JSON.parse(lines[lines.length - 1]!) as Record<string, unknown>;
}

/**
 * The single-member case for either server. Real etcd runs it to prove the
 * test (fill, fragmentation, shrink, etcdctl's answer); it stops serving while
 * it defragments, so the bounds on waiting and on the commit hold are ours only.
 */
function singleMemberCase(flavor: Flavor): void {
  test(`etcdctl defrag of a ≥ 100 MB member while a client puts and ranges (${flavor}): nothing fails${flavor === "ours" ? " or stalls" : ""}, the file shrinks`, async (t) => {
    const server = await startServer({ flavor });
    const clients = connect(server.endpoint);
    try {
      // 1,100 values of 100 kB, all but every fourth overwritten small, compacted: most pages become free.
      await fragmentDatabase(clients, { keys: 1_100, keepBigEvery: 4, concurrency: 8 });
      const before = await memberStatus(clients);
      assert.ok(before.dbSize >= 100n * 1024n * 1024n, `database is ${before.dbSize} bytes`);
      assert.ok(before.dbSizeInUse < before.dbSize / 2n, `in use ${before.dbSizeInUse} of ${before.dbSize}`);

      const load = keepWorking(clients, 4);
      const ctl = await etcdctl(server.endpoint, ["defrag"], { commandTimeout: "120s", timeoutMs: 180_000 });
      const { requests, failures, slowest } = await load.stop();

      assert.equal(ctl.code, 0, ctl.stderr);
      assert.match(ctl.stdout, /Finished defragmenting etcd member\[/);
      assert.deepEqual(failures, []);
      assert.ok(requests > 0);
      const after = await memberStatus(clients);
      assert.ok(after.dbSize < before.dbSize / 2n, `size ${before.dbSize} → ${after.dbSize}`);
      let held = "";
      if (flavor === "ours") {
        assert.ok(slowest < SLOW_REQUEST_MS, `a request waited ${slowest} ms during the defrag`);
        const line = defragmentedLine(server.output());
        assert.ok((line["commits-held-ms"] as number) < SLOW_REQUEST_MS, JSON.stringify(line));
        held = `; defrag ${String(line["took-ms"])} ms, commits held ${String(line["commits-held-ms"])} ms`;
      }
      t.diagnostic(`${flavor}: db ${before.dbSize} → ${after.dbSize} bytes${held}; ${requests} requests during it, slowest ${slowest} ms`);
      const metrics = await (await fetch(`${server.clientUrl}/metrics`)).text();
      assert.match(metrics, /^etcd_disk_backend_defrag_duration_seconds_count 1$/m);
      // Everything written before and during the defrag is still served.
      const fill = await mustCall<RangeRequest, RangeResponse>(clients.kv, clients.kv.range, RangeRequest.fromPartial({ key: Buffer.from("fill/"), rangeEnd: Buffer.from("fill0"), countOnly: true }));
      assert.equal(fill.count, 1_100n);
    } finally {
      clients.close();
      await server.stop();
    }
  });
}

singleMemberCase("ours");
singleMemberCase("real");

test("etcdctl defrag --cluster on 3 members while a client puts and ranges: nothing fails or stalls, every file shrinks", async (t) => {
  const cluster = await Cluster.start({ flavor: "ours", size: 3, proxied: false });
  try {
    await cluster.waitForLeader();
    const clients = cluster.clients(0);
    // 400 values of 100 kB, all but every fourth overwritten small, compacted: most pages become free.
    await fragmentDatabase(clients, { keys: 400, keepBigEvery: 4, concurrency: 8 });
    const before = await Promise.all([0, 1, 2].map((i) => memberStatus(cluster.clients(i))));
    const load = keepWorking(clients, 4);
    const ctl = await cluster.etcdctl(0, ["defrag", "--cluster"], { commandTimeout: "120s", timeoutMs: 180_000 });
    const { requests, failures, slowest } = await load.stop();

    assert.equal(ctl.code, 0, ctl.stderr);
    assert.equal(ctl.stdout.match(/Finished defragmenting etcd member\[/g)?.length, 3, ctl.stdout);
    assert.deepEqual(failures, []);
    assert.ok(slowest < SLOW_REQUEST_MS, `a request waited ${slowest} ms during the defrag`);
    const after = await Promise.all([0, 1, 2].map((i) => memberStatus(cluster.clients(i))));
    for (let i = 0; i < 3; i++) assert.ok(after[i]!.dbSize < before[i]!.dbSize / 2n, `member ${i}: ${before[i]!.dbSize} → ${after[i]!.dbSize}`);
    t.diagnostic(`sizes ${before.map((s) => s.dbSize).join(", ")} → ${after.map((s) => s.dbSize).join(", ")}; ${requests} requests, slowest ${slowest} ms`);
  } finally {
    await cluster.stopAll();
  }
});
