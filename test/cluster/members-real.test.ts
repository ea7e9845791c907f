/** The transport's `GET /members` client against real etcd's peer endpoint (what a joining member reads). */
import { test } from "node:test";
import assert from "node:assert/strict";
import { fetchClusterMembers } from "../../src/server/transport/index.js";
import { Cluster } from "./cluster.js";

test("fetchClusterMembers reads real etcd's member list and cluster id exactly (64-bit ids)", { timeout: 60_000 }, async () => {
  const cluster = await Cluster.start({ flavor: "real", size: 3, proxied: false });
  try {
    await cluster.waitForLeader();
    const statuses = await Promise.all([0, 1, 2].map((i) => cluster.status(i)));
    const remote = await fetchClusterMembers(["http://127.0.0.1:1", cluster.member(1).peerUrl]);
    assert.equal(remote.from, cluster.member(1).peerUrl);
    assert.equal(remote.clusterId, statuses[0]!.header!.clusterId);
    const byName = new Map(remote.members.map((m) => [m.name, m]));
    for (let i = 0; i < 3; i++) {
      const m = byName.get(cluster.member(i).name)!;
      assert.equal(m.id, statuses[i]!.header!.memberId);
      assert.deepEqual(m.peerUrls, [cluster.member(i).peerUrl]);
      assert.deepEqual(m.clientUrls, [cluster.member(i).clientUrl]);
      assert.equal(m.isLearner, false);
    }
  } finally {
    await cluster.stopAll();
  }
});
