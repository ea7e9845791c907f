import { test } from "node:test";
import assert from "node:assert/strict";
import { clusterIdFor, formatId, memberIdFor } from "./ids.js";

// Observed from real etcd 3.4.23 started with
//   --name ref --initial-advertise-peer-urls http://127.0.0.1:22380
//   --initial-cluster ref=http://127.0.0.1:22380 (default token "etcd-cluster").
test("member and cluster ids match real etcd for the same flags", () => {
  const member = memberIdFor(["http://127.0.0.1:22380"], "etcd-cluster");
  assert.equal(formatId(member), "9e737febb6b99eee");
  assert.equal(member, 11417610130673999598n);
  assert.equal(clusterIdFor([member]), 14443903163313418560n);
});

test("member id ignores peer URL order", () => {
  const a = memberIdFor(["http://b:2380", "http://a:2380"], "t");
  const b = memberIdFor(["http://a:2380", "http://b:2380"], "t");
  assert.equal(a, b);
  assert.notEqual(a, memberIdFor(["http://a:2380", "http://b:2380"], "t", 1700000000));
});
