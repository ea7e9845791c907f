/**
 * `--bootstrap-defrag-threshold-megabytes` (etcd 3.6): a member restarted
 * with a threshold below its free space defragments before it serves, one
 * restarted with a threshold above it logs etcd's "Skipping defragmentation";
 * neither warns that the flag is not implemented. Real etcd 3.4 has no such
 * flag, so this runs against ours only.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  CompactionRequest,
  PutRequest,
  RangeRequest,
  StatusRequest,
  type CompactionResponse,
  type PutResponse,
  type RangeResponse,
  type StatusResponse,
} from "../../src/gen/etcdserverpb/rpc.js";
import { connect, mustCall, type Clients } from "../harness/grpc-clients.js";
import { tempDir } from "../harness/paths.js";
import { startServer } from "../harness/server-process.js";

async function dbSize(clients: Clients): Promise<bigint> {
  const s = await mustCall<StatusRequest, StatusResponse>(clients.maintenance, clients.maintenance.status, StatusRequest.fromPartial({}));
  return s.dbSize;
}

/** About 20 MB of 100 kB values, then all overwritten small and compacted: the file is mostly free pages. */
async function fragment(clients: Clients): Promise<void> {
  let revision = 0n;
  for (const value of [Buffer.alloc(100 * 1024, 3), Buffer.from("small")]) {
    for (let i = 0; i < 200; i++) {
      const r = await mustCall<PutRequest, PutResponse>(clients.kv, clients.kv.put, PutRequest.fromPartial({ key: Buffer.from(`k/${i}`), value }));
      revision = r.header!.revision;
    }
  }
  await mustCall<CompactionRequest, CompactionResponse>(clients.kv, clients.kv.compact, CompactionRequest.fromPartial({ revision, physical: true }));
}

test("--bootstrap-defrag-threshold-megabytes: skipped above the free space, defragments at start below it", async () => {
  const dir = tempDir("etcd-bootdefrag");
  const dataDir = `${dir.path}/data`;
  try {
    const first = await startServer({ flavor: "ours", dataDir });
    const ports = { clientPort: first.clientPort, peerPort: first.peerPort };
    let clients = connect(first.endpoint);
    await fragment(clients);
    const fragmented = await dbSize(clients);
    clients.close();
    await first.stop();

    const skipping = await startServer({ flavor: "ours", dataDir, ...ports, extraArgs: ["--bootstrap-defrag-threshold-megabytes", "100000"] });
    clients = connect(skipping.endpoint);
    assert.equal(await dbSize(clients), fragmented, "a threshold above the free space leaves the file alone");
    assert.match(skipping.output(), /"msg":"Skipping defragmentation"/);
    clients.close();
    await skipping.stop();

    const defragging = await startServer({ flavor: "ours", dataDir, ...ports, extraArgs: ["--bootstrap-defrag-threshold-megabytes", "1"] });
    clients = connect(defragging.endpoint);
    try {
      const size = await dbSize(clients);
      assert.ok(size < fragmented / 2n, `size at start ${size}, before ${fragmented}`);
      const output = defragging.output();
      assert.match(output, /"msg":"defragmented"/);
      assert.doesNotMatch(output, /bootstrap-defrag-threshold-megabytes is accepted but not implemented/);
      const all = await mustCall<RangeRequest, RangeResponse>(clients.kv, clients.kv.range, RangeRequest.fromPartial({ key: Buffer.from("k/"), rangeEnd: Buffer.from("k0") }));
      assert.equal(all.count, 200n);
      assert.ok(all.kvs.every((kv) => kv.value.toString() === "small"));
    } finally {
      clients.close();
      await defragging.stop();
    }
  } finally {
    dir.remove();
  }
});
