import { test } from "node:test";
import assert from "node:assert/strict";
import { clusterIdFor, memberIdFor } from "../membership/ids.js";
import { confStateOf, planNewCluster } from "./new-cluster.js";

const initialCluster = [
  { name: "m1", peerUrls: ["http://127.0.0.1:2380"] },
  { name: "m2", peerUrls: ["http://127.0.0.1:2381"] },
  { name: "m3", peerUrls: ["http://127.0.0.1:2382"] },
];

test("ids are derived from peer URLs and token as a new cluster's; members ascend by id; all voters", () => {
  const plan = planNewCluster({ name: "m2", initialCluster, initialClusterToken: "tok", initialAdvertisePeerUrls: ["http://127.0.0.1:2381"] });
  const ids = initialCluster.map((m) => memberIdFor(m.peerUrls, "tok"));
  assert.equal(plan.local.id, ids[1]);
  assert.equal(plan.clusterId, clusterIdFor(ids));
  assert.deepEqual(plan.members.map((m) => m.id), [...ids].sort((a, b) => (a < b ? -1 : 1)));
  assert.deepEqual(confStateOf(plan).voters, plan.members.map((m) => m.id));
});

test("the member name must be in the initial cluster (etcd's words)", () => {
  assert.throws(() => planNewCluster({ name: "x", initialCluster, initialClusterToken: "tok", initialAdvertisePeerUrls: ["http://127.0.0.1:2380"] }), {
    message: `couldn't find local name "x" in the initial cluster configuration`,
  });
});

test("the advertised peer URLs must be the member's in the initial cluster", () => {
  assert.throws(() => planNewCluster({ name: "m1", initialCluster, initialClusterToken: "tok", initialAdvertisePeerUrls: ["http://127.0.0.1:9999"] }), {
    message: "--initial-cluster has m1=http://127.0.0.1:2380 but missing from --initial-advertise-peer-urls=http://127.0.0.1:9999",
  });
});

test("a peer URL given to two members is refused", () => {
  const dup = [...initialCluster, { name: "m4", peerUrls: ["http://127.0.0.1:2380"] }];
  assert.throws(() => planNewCluster({ name: "m1", initialCluster: dup, initialClusterToken: "tok", initialAdvertisePeerUrls: ["http://127.0.0.1:2380"] }), /has duplicate url$/);
});
