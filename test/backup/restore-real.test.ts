/**
 * A snapshot of real etcd 3.4.23 (`etcdctl snapshot save`), restored with
 * restoreSnapshot, starts our server as a member of the new cluster that
 * serves exactly what etcd served: every key with its revisions and
 * versions, the same HashKV, the lease, users, roles and auth, and the
 * compaction.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { restoreSnapshot } from "../../src/server/restore/index.js";
import { tempDir } from "../harness/paths.js";
import { freePorts } from "../harness/ports.js";
import { startServer } from "../harness/server-process.js";
import { ctl, everyKey, fillRealEtcd, hashKv, mustCtl, ROOT } from "./restore-support.js";

test("real etcd's snapshot restored: our server serves the same keys, revisions, HashKV, lease and auth", { timeout: 180_000 }, async () => {
  const dir = tempDir("restore-real");
  try {
    const snapshotPath = join(dir.path, "snapshot.db");
    const real = await startServer({ flavor: "real", name: "r1", dataDir: join(dir.path, "real") });
    let filled, before, hashBefore, leaseBefore;
    try {
      filled = await fillRealEtcd(real.endpoint);
      before = await everyKey(real.endpoint);
      hashBefore = await hashKv(real.endpoint, filled.revision);
      leaseBefore = await mustCtl(real.endpoint, [...ROOT, "lease", "timetolive", filled.leaseId, "--keys"]);
      await mustCtl(real.endpoint, [...ROOT, "snapshot", "save", snapshotPath]);
    } finally {
      await real.stop();
    }

    const [clientPort, peerPort] = await freePorts(2);
    const peerUrl = `http://127.0.0.1:${peerPort}`;
    const progress: [number, number][] = [];
    const result = await restoreSnapshot({
      snapshotPath,
      dataDir: join(dir.path, "restored"),
      name: "r1",
      initialCluster: [{ name: "r1", peerUrls: [peerUrl] }],
      initialClusterToken: "etcd-cluster",
      initialAdvertisePeerUrls: [peerUrl],
      skipHashCheck: false,
      bumpRevision: 0n,
      markCompacted: false,
      onProgress: (done, total) => progress.push([done, total]),
    });
    assert.equal(result.revision, BigInt(filled.revision));
    assert.equal(result.consistentIndex, 1n);
    assert.equal(result.hashChecked, true);
    assert.ok(progress.length > 0 && progress.at(-1)![0] === progress.at(-1)![1], "progress ends at the total");

    const ours = await startServer({ flavor: "ours", name: "r1", dataDir: join(dir.path, "restored"), clientPort: clientPort!, peerPort: peerPort! });
    try {
      const after = await everyKey(ours.endpoint);
      assert.deepEqual(after.kvs, before.kvs, "every key with the same create/mod revisions, versions and values");
      assert.equal(after.revision, before.revision);
      assert.deepEqual(await hashKv(ours.endpoint, filled.revision), hashBefore, "HashKV at the snapshot's revision");

      const lease = await mustCtl(ours.endpoint, [...ROOT, "lease", "timetolive", filled.leaseId, "--keys"]);
      assert.match(lease, new RegExp(`lease ${filled.leaseId} granted with TTL\\(3600s\\)`));
      const attached = (text: string): string | undefined => /attached keys\(\[(.*)\]\)/.exec(text)?.[1];
      assert.equal(attached(leaseBefore), "leased/k");
      assert.equal(attached(lease), "leased/k");

      assert.deepEqual((await mustCtl(ours.endpoint, [...ROOT, "user", "list"])).split("\n").filter(Boolean), ["alice", "root"]);
      assert.match(await mustCtl(ours.endpoint, [...ROOT, "role", "get", "reader"]), /Read:\s+\[app\/, app0\) \(prefix app\/\)/);
      assert.match(await mustCtl(ours.endpoint, ["--user", "alice:pw", "get", "app/key-03", "--print-value-only"]), /^v3$/m);
      const denied = await ctl(ours.endpoint, ["--user", "alice:pw", "put", "app/key-03", "x"]);
      assert.match(denied.stderr, /permission denied/);
      const anonymous = await ctl(ours.endpoint, ["get", "app/key-03"]);
      assert.match(anonymous.stderr, /user name is empty/);

      const compacted = await ctl(ours.endpoint, [...ROOT, "get", "app/key-00", "--rev", String(filled.compactedAt - 1)]);
      assert.match(compacted.stderr, /required revision has been compacted/);

      const put = await mustCtl(ours.endpoint, [...ROOT, "put", "app/new", "after restore", "-w", "json"]);
      assert.equal((JSON.parse(put) as { header: { revision: number } }).header.revision, filled.revision + 1, "new writes continue the revisions");
    } finally {
      await ours.stop();
    }
  } finally {
    dir.remove();
  }
});
