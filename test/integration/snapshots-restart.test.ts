/**
 * Raft snapshots every --snapshot-count entries, old snapshot files purged to
 * --max-snapshots, and a restart that rebuilds from snapshot + WAL + backend
 * with every key, revision and the raft index intact.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { PutRequest, RangeRequest, StatusRequest, type RangeResponse, type StatusResponse } from "../../src/gen/etcdserverpb/rpc.js";
import { call, connect, mustCall } from "../harness/grpc-clients.js";
import { tempDir } from "../harness/paths.js";
import { startServer } from "../harness/server-process.js";

test("snapshots are taken, purged, and a restart rebuilds from them", async () => {
  const dir = tempDir("etcd-snap");
  const dataDir = join(dir.path, "data");
  const args = ["--snapshot-count", "100", "--max-snapshots", "2"];
  try {
    let server = await startServer({ flavor: "ours", dataDir, extraArgs: args });
    let c = connect(server.endpoint);
    for (let i = 0; i < 650; i++) {
      await mustCall(c.kv, c.kv.put, PutRequest.fromPartial({ key: Buffer.from(`k${i % 200}`), value: Buffer.from(`v${i}`) }));
    }
    const before = await mustCall<StatusRequest, StatusResponse>(c.maintenance, c.maintenance.status, {});
    c.close();
    await server.stop({ keepData: true });
    const snaps = readdirSync(join(dataDir, "member", "snap")).filter((f) => f.endsWith(".snap"));
    assert.ok(snaps.length >= 1 && snaps.length <= 2, `expected 1..2 snapshot files, found ${snaps.join(",")}`);

    server = await startServer({ flavor: "ours", dataDir, extraArgs: args });
    c = connect(server.endpoint);
    try {
      const all = await call<RangeRequest, RangeResponse>(c.kv, c.kv.range, RangeRequest.fromPartial({ key: Buffer.from("k"), rangeEnd: Buffer.from("l") }));
      assert.ok(all.ok);
      assert.equal(all.value.count, 200n);
      assert.equal(all.value.header!.revision, before.header!.revision);
      const k7 = all.value.kvs.find((kv) => kv.key.toString() === "k7")!;
      assert.equal(k7.value.toString(), "v607");
      assert.equal(k7.version, 4n);
      const after = await mustCall<StatusRequest, StatusResponse>(c.maintenance, c.maintenance.status, {});
      // The restart appended a leader entry and re-published attributes; nothing was lost.
      assert.ok(after.raftIndex > before.raftIndex, `raft index went from ${before.raftIndex} to ${after.raftIndex}`);
      assert.equal(after.raftTerm, before.raftTerm + 1n);
    } finally {
      c.close();
      await server.stop();
    }
  } finally {
    dir.remove();
  }
});
