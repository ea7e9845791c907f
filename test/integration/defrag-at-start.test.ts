/**
 * `--bootstrap-defrag-threshold-megabytes` (etcd 3.6): a member restarted
 * with a threshold below its free space defragments before it serves, one
 * restarted with a threshold above it logs etcd's "Skipping defragmentation";
 * neither warns that the flag is not implemented. Real etcd 3.4 has no such
 * flag, so this runs against ours only.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { RangeRequest, type RangeResponse } from "../../src/gen/etcdserverpb/rpc.js";
import { fragmentDatabase, memberStatus } from "../harness/fragment.js";
import { connect, mustCall, type Clients } from "../harness/grpc-clients.js";
import { tempDir } from "../harness/paths.js";
import { startServer } from "../harness/server-process.js";

/** The database file's size. */
async function dbSize(clients: Clients): Promise<bigint> {
  return (await memberStatus(clients)).dbSize;
}

test("--bootstrap-defrag-threshold-megabytes: skipped above the free space, defragments at start below it", async () => {
  const dir = tempDir("etcd-bootdefrag");
  const dataDir = `${dir.path}/data`;
  try {
    const first = await startServer({ flavor: "ours", dataDir });
    const ports = { clientPort: first.clientPort, peerPort: first.peerPort };
    let clients = connect(first.endpoint);
    // About 20 MB of 100 kB values, all overwritten small and compacted: the file is mostly free pages.
    await fragmentDatabase(clients, { keys: 200, prefix: "k/" });
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
