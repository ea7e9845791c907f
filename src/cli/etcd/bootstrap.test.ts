import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { bootstrapMembers, initialClusterString, parseInitialCluster, verifyBootstrap, verifyJoinExisting } from "./bootstrap.js";
import { hrefs, ok } from "./test-support.js";

const C = ["--listen-client-urls=http://127.0.0.1:42379", "--advertise-client-urls=http://127.0.0.1:42379", "--listen-peer-urls=http://127.0.0.1:42380"];
const cfg = (...argv: string[]) => ok([...C, ...argv]).config;

describe("--initial-cluster", () => {
  it("parses name=url pairs, grouping repeated names and sorting their URLs", () => {
    const members = parseInitialCluster("b=http://10.0.0.2:2380,a=http://10.0.0.9:2380,a=http://10.0.0.1:2380,,");
    assert.deepEqual(members.map((m) => [m.name, hrefs(m.peerUrls)]), [
      ["b", ["http://10.0.0.2:2380"]],
      ["a", ["http://10.0.0.1:2380", "http://10.0.0.9:2380"]],
    ]);
    assert.equal(initialClusterString(members), "a=http://10.0.0.1:2380,a=http://10.0.0.9:2380,b=http://10.0.0.2:2380");
  });
});

describe("bootstrap checks for a member without a WAL", () => {
  // Messages compared with real etcd 3.4.23 started with these flags on an empty data dir.
  it("real: the member's name must be in --initial-cluster", () => {
    const c = cfg("--name=foo", "--initial-cluster=bar=http://127.0.0.1:42380", "--initial-advertise-peer-urls=http://127.0.0.1:42380");
    assert.equal(verifyBootstrap(c), 'couldn\'t find local name "foo" in the initial cluster configuration');
    assert.equal(verifyJoinExisting(c), 'couldn\'t find local name "foo" in the initial cluster configuration');
  });

  it("real: a cluster URL the member does not advertise", () => {
    const c = cfg("--name=foo", "--initial-cluster=foo=http://127.0.0.1:42381", "--initial-advertise-peer-urls=http://127.0.0.1:42380");
    assert.equal(verifyBootstrap(c), '--initial-cluster has foo=http://127.0.0.1:42381 but missing from --initial-advertise-peer-urls=http://127.0.0.1:42380 (resolved urls: "http://127.0.0.1:42380" != "http://127.0.0.1:42381")');
  });

  it("real: different URL counts", () => {
    const c = cfg("--name=foo", "--initial-cluster=foo=http://127.0.0.1:42380,foo=http://127.0.0.1:42381", "--initial-advertise-peer-urls=http://127.0.0.1:42380");
    assert.equal(verifyBootstrap(c), '--initial-cluster has foo=http://127.0.0.1:42381 but missing from --initial-advertise-peer-urls=http://127.0.0.1:42380 (len(["http://127.0.0.1:42380"]) != len(["http://127.0.0.1:42380" "http://127.0.0.1:42381"]))');
  });

  it("real: an advertised URL missing from the cluster", () => {
    const c = cfg("--name=foo", "--initial-cluster=foo=http://127.0.0.1:42380", "--initial-advertise-peer-urls=http://127.0.0.1:42380,http://127.0.0.1:42382");
    assert.equal(verifyBootstrap(c), "--initial-advertise-peer-urls has http://127.0.0.1:42382 but missing from --initial-cluster=foo=http://127.0.0.1:42380,foo=http://127.0.0.1:42382");
  });

  it("real: two members sharing a URL", () => {
    const c = cfg("--name=foo", "--initial-cluster=foo=http://127.0.0.1:42380,bar=http://127.0.0.1:42380", "--initial-advertise-peer-urls=http://127.0.0.1:42380");
    assert.equal(verifyBootstrap(c), "initial cluster bar=http://127.0.0.1:42380,foo=http://127.0.0.1:42380 has duplicate url");
    assert.equal(verifyJoinExisting(c), "initial cluster bar=http://127.0.0.1:42380,foo=http://127.0.0.1:42380 has duplicate url");
  });

  it("a consistent configuration passes, including the defaults and --name alone", () => {
    assert.equal(verifyBootstrap(ok([]).config), undefined);
    assert.equal(verifyBootstrap(ok(["--name=abc"]).config), undefined);
    assert.equal(verifyBootstrap(cfg("--name=a", "--initial-cluster=a=http://127.0.0.1:42380,b=http://127.0.0.1:42381", "--initial-advertise-peer-urls=http://127.0.0.1:42380")), undefined);
  });

  it("etcd's default-name pitfall: advertising other peer URLs without --initial-cluster fails", () => {
    const c = ok(["--initial-advertise-peer-urls=http://10.0.0.1:2380"]).config;
    assert.equal(verifyBootstrap(c), '--initial-cluster has default=http://localhost:2380 but missing from --initial-advertise-peer-urls=http://10.0.0.1:2380 (resolved urls: "http://10.0.0.1:2380" != "http://localhost:2380")');
  });

  it("with discovery the member starts from its own advertised URLs", () => {
    const c = ok(["--name=n1", "--discovery=https://d/x"]).config;
    assert.deepEqual(bootstrapMembers(c).map((m) => [m.name, hrefs(m.peerUrls)]), [["n1", ["http://localhost:2380"]]]);
    assert.equal(verifyBootstrap(c), undefined);
    assert.equal(verifyJoinExisting(c), "discovery URL should not be set when joining existing initial cluster");
  });
});
