/**
 * Our bbolt writer, proven by real etcd 3.4's tools: a database real etcd
 * made is read with our reader and written again with our writer (plus
 * etcd's SHA-256 trailer). Real `etcdctl snapshot status` checks it
 * (bbolt's tx.Check) and prints the same hash, revision and key count;
 * real `etcdctl snapshot restore` restores it and real etcd then serves
 * every key at the same revisions, the history since the compaction, the
 * lease and the users and roles.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { closeSync, openSync, statSync, writeSync } from "node:fs";
import { join } from "node:path";
import { openBoltFile, writeBolt } from "../../src/storage/bbolt/index.js";
import { etcdctl } from "../harness/etcdctl.js";
import { call, connect } from "../harness/grpc-clients.js";
import { freePorts } from "../harness/ports.js";
import { startServer } from "../harness/server-process.js";
import { RangeRequest } from "../../src/gen/etcdserverpb/rpc.js";
import { generatedBucket, writeBoltFile } from "../../src/storage/bbolt/test-support.js";
import { makeRealEtcdBackup, rangeAll, snapshotStatus, statusFigures, type EtcdBackup } from "./bbolt-etcd-fixture.js";

const SHA256_SIZE = 32;
let backup: EtcdBackup;
let oursPath: string;
let oursDbSize = 0;

before(async () => {
  backup = await makeRealEtcdBackup();
  const source = openBoltFile(backup.snapshotPath, { limitBytes: statSync(backup.snapshotPath).size - SHA256_SIZE });
  oursPath = join(backup.dir, "rewritten.db");
  const fd = openSync(oursPath, "w");
  const sha = createHash("sha256");
  try {
    for (const chunk of writeBolt(source, { txid: source.txid })) {
      sha.update(chunk);
      oursDbSize += writeSync(fd, chunk);
    }
    writeSync(fd, sha.digest());
  } finally {
    closeSync(fd);
    source.close();
  }
});

after(() => backup?.remove());

test("real etcdctl snapshot status accepts our file: same hash, revision and keys; the size is ours", async () => {
  const status = await snapshotStatus(oursPath);
  assert.deepEqual({ ...status, totalSize: 0 }, { ...backup.status, totalSize: 0 });
  assert.equal(status.totalSize, oursDbSize);
  // Packed leaves: never bigger than what etcd wrote.
  assert.ok(oursDbSize <= backup.status.totalSize, `${oursDbSize} > ${backup.status.totalSize}`);
});

test("real etcdctl snapshot restore takes our file and real etcd serves the same keys, history, lease and users", async () => {
  const [clientPort, peerPort] = await freePorts(2);
  const peerUrl = `http://127.0.0.1:${peerPort}`;
  const dataDir = join(backup.dir, "restored");
  const restored = await etcdctl("127.0.0.1:1", ["snapshot", "restore", oursPath, "--data-dir", dataDir, "--name", "restored", "--initial-cluster", `restored=${peerUrl}`, "--initial-advertise-peer-urls", peerUrl], { timeoutMs: 60_000 });
  assert.equal(restored.code, 0, restored.stderr);
  const server = await startServer({ flavor: "real", name: "restored", dataDir, clientPort, peerPort });
  const c = connect(server.endpoint);
  try {
    assert.deepEqual(await rangeAll(c), backup.served);
    assert.deepEqual(await rangeAll(c, backup.historyRevision), backup.servedAtHistory);
    const compacted = await call(c.kv, c.kv.range, RangeRequest.create({ key: Buffer.from("many/"), revision: backup.compactRevision - 1n }));
    assert.ok(!compacted.ok && /required revision has been compacted/.test(compacted.error.message));
    const leases = await etcdctl(server.endpoint, ["lease", "list"]);
    assert.match(leases.stdout, /found 1 leases/);
    const users = await etcdctl(server.endpoint, ["user", "list"]);
    assert.equal(users.stdout, "alice\nroot\n");
    const alice = await etcdctl(server.endpoint, ["user", "get", "alice"]);
    assert.match(alice.stdout, /Roles: reader/);
  } finally {
    c.close();
    await server.stop();
  }
});

test("bbolt's own check (tx.Check, run by snapshot status) accepts our trees at every page size", async () => {
  // Keys of our backend's maximum length make deep trees on small pages, every 97th value needs overflow pages.
  const bucket = generatedBucket("key", 4000, (i) => [Buffer.from(`${String(i).padStart(6, "0")}${"k".repeat(1978 - 6)}`), Buffer.alloc(i % 97 === 0 ? 50_000 : 20, i % 256)]);
  const source = { buckets: () => [generatedBucket("alarm", 0, () => [Buffer.alloc(1), Buffer.alloc(0)]), bucket, generatedBucket("meta", 2, (i) => [Buffer.from(`m${i}`), Buffer.from("v")])] };
  const figures = statusFigures(source);
  for (const pageSize of [512, 4096, 65536]) {
    const path = join(backup.dir, `generated-${pageSize}.db`);
    const size = writeBoltFile(source, path, { pageSize });
    assert.deepEqual(await snapshotStatus(path), { ...figures, totalSize: size }, `page size ${pageSize}`);
  }
});
