/**
 * `etcdutl snapshot restore` end to end, lightly (the deep round trips are
 * restore-real.test.ts's): real etcd 3.4's snapshot restored by our
 * etcdutl is served by our etcd at the same revision, with etcd's log
 * lines and no progress bar when stderr is not a terminal; a snapshot of
 * ours (`etcdctl snapshot save` against our etcd) likewise, its status as
 * etcdctl's; etcd's refusals of bad requests, leaving nothing behind.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, existsSync, mkdirSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { etcdctl } from "../harness/etcdctl.js";
import { tempDir } from "../harness/paths.js";
import { startServer } from "../harness/server-process.js";
import { ctl, etcdutl, serverHashKv, writeHistory } from "./etcdutl-harness.js";

const dir = tempDir("etcdutl-restore");
let snapshot: string;
let revision: number;
let realHash: number;

before(async () => {
  const server = await startServer({ flavor: "real" });
  try {
    await writeHistory(server.endpoint);
    snapshot = join(dir.path, "snapshot.db");
    await ctl(server.endpoint, ["snapshot", "save", snapshot]);
    realHash = (await serverHashKv(server.endpoint, 0n)).hash;
    revision = (JSON.parse(await ctl(server.endpoint, ["get", "k/20", "-w", "json"])) as { header: { revision: number } }).header.revision;
  } finally {
    await server.stop();
  }
});

after(() => dir.remove());

test("a real etcd snapshot restored by our etcdutl is served by our etcd", async () => {
  const dataDir = join(dir.path, "restored");
  const r = await etcdutl(["snapshot", "restore", snapshot, "--data-dir", dataDir, "--name", "m1", "--initial-cluster", "m1=http://127.0.0.1:2380", "--initial-advertise-peer-urls", "http://127.0.0.1:2380"]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "");
  const lines = r.stderr.trimEnd().split("\n");
  assert.equal(lines.length, 2, r.stderr);
  assert.match(lines[0]!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)\tinfo\trestoring snapshot\t\{"path": ".*snapshot\.db", "wal-dir": ".*restored\/member\/wal", "data-dir": ".*restored", "snap-dir": ".*restored\/member\/snap", "initial-memory-map-size": 10737418240\}$/);
  assert.match(lines[1]!, /\tinfo\trestored snapshot\t/);
  assert.ok(!r.stderr.includes("\r"), "no progress bar when stderr is not a terminal");

  const hashkv = await etcdutl(["hashkv", join(dataDir, "member", "snap", "db"), "-w", "json"]);
  assert.equal((JSON.parse(hashkv.stdout) as { hash: number }).hash, realHash, "the restored keyspace hashes as real etcd's");

  const server = await startServer({ flavor: "ours", dataDir, name: "m1" });
  try {
    const got = JSON.parse(await ctl(server.endpoint, ["get", "k/20", "-w", "json"])) as { header: { revision: number }; kvs: { value: string; mod_revision: number }[] };
    assert.equal(Buffer.from(got.kvs[0]!.value, "base64").toString(), "last");
    assert.equal(got.kvs[0]!.mod_revision, revision);
    assert.equal(got.header.revision, revision);
  } finally {
    await server.stop({ keepData: true });
  }
});

test("a snapshot of our etcd: status as etcdctl's, restored by our etcdutl and served by our etcd", async () => {
  const source = await startServer({ flavor: "ours" });
  const ours = join(dir.path, "ours-snapshot.db");
  let hash: number;
  let rev: number;
  try {
    await writeHistory(source.endpoint);
    await ctl(source.endpoint, ["snapshot", "save", ours]);
    hash = (await serverHashKv(source.endpoint, 0n)).hash;
    rev = (JSON.parse(await ctl(source.endpoint, ["get", "k/20", "-w", "json"])) as { header: { revision: number } }).header.revision;
  } finally {
    await source.stop();
  }
  const expected = JSON.parse((await etcdctl("127.0.0.1:1", ["snapshot", "status", ours, "-w", "json"])).stdout) as { hash: number; revision: number; totalSize: number };
  const status = JSON.parse((await etcdutl(["snapshot", "status", ours, "-w", "json"])).stdout) as { hash: number; revision: number; totalSize: number };
  assert.deepEqual([status.hash, status.revision, status.totalSize], [expected.hash, expected.revision, expected.totalSize]);
  assert.equal(status.revision, rev);

  const dataDir = join(dir.path, "from-ours");
  const r = await etcdutl(["snapshot", "restore", ours, "--data-dir", dataDir]);
  assert.equal(r.code, 0, r.stderr);
  const server = await startServer({ flavor: "ours", dataDir });
  try {
    assert.equal((await serverHashKv(server.endpoint, BigInt(rev))).hash, hash);
    assert.equal((await ctl(server.endpoint, ["get", "k/20", "--print-value-only"])).trim(), "last");
  } finally {
    await server.stop({ keepData: true });
  }
});

test("an existing data dir, a missing hash and a damaged file are refused with etcd's words; nothing is left behind", async () => {
  const used = join(dir.path, "used");
  mkdirSync(used);
  writeFileSync(join(used, "something"), "x");
  const exists = await etcdutl(["snapshot", "restore", snapshot, "--data-dir", used]);
  assert.equal(exists.code, 1);
  // etcd 3.4's words ("exists") or 3.6's ("not empty or could not be read").
  assert.match(exists.stderr, new RegExp(`Error: data-dir "${used}" not empty or could not be read\\n$`));

  const noHash = join(dir.path, "no-hash.db");
  copyFileSync(snapshot, noHash);
  truncateSync(noHash, statSync(snapshot).size - 32);
  const target = join(dir.path, "never");
  const missingHash = await etcdutl(["snapshot", "restore", noHash, "--data-dir", target]);
  assert.equal(missingHash.code, 1);
  assert.match(missingHash.stderr, /Error: snapshot missing hash but --skip-hash-check=false\n$/);
  assert.ok(!existsSync(target));

  const damaged = join(dir.path, "damaged.db");
  copyFileSync(snapshot, damaged);
  writeFileSync(damaged, Buffer.alloc(4096, 0xff), { flag: "r+" });
  const bad = await etcdutl(["snapshot", "restore", damaged, "--data-dir", target]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /Error: .+\n$/);
  assert.ok(!existsSync(target));

  const missing = await etcdutl(["snapshot", "restore", join(dir.path, "absent.db"), "--data-dir", target]);
  assert.equal(missing.code, 1);
  assert.ok(!existsSync(target));
});

test("etcd's argument checks: one file, --mark-compacted with --bump-revision", async () => {
  const none = await etcdutl(["snapshot", "restore"]);
  assert.deepEqual([none.code, none.stderr], [128, "Error: snapshot restore requires exactly one argument\n"]);
  const unmarked = await etcdutl(["snapshot", "restore", snapshot, "--bump-revision", "100"]);
  assert.deepEqual([unmarked.code, unmarked.stderr], [128, "Error: --mark-compacted required if --revision-bump > 0\n"]);
  const badUrl = await etcdutl(["snapshot", "restore", snapshot, "--data-dir", join(dir.path, "x"), "--initial-advertise-peer-urls", "127.0.0.1:2380"]);
  assert.equal(badUrl.code, 1);
  assert.match(badUrl.stderr, /^Error: .*127\.0\.0\.1:2380/m);
});

test("--bump-revision with --mark-compacted: the restored store starts that much later", async () => {
  const dataDir = join(dir.path, "bumped");
  const r = await etcdutl(["snapshot", "restore", snapshot, "--data-dir", dataDir, "--bump-revision", "1000", "--mark-compacted"]);
  assert.equal(r.code, 0, r.stderr);
  const hashkv = await etcdutl(["hashkv", join(dataDir, "member", "snap", "db"), "-w", "json"]);
  const h = JSON.parse(hashkv.stdout) as { hashRevision: number; compactRevision: number };
  assert.equal(h.hashRevision, revision + 1000);
  assert.equal(h.compactRevision, revision + 1000);
});
