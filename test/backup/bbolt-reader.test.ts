/**
 * Our bbolt reader on files real etcd 3.4 wrote: `etcdctl snapshot save`'s
 * file (its SHA-256 trailer left out) and etcd's own member/snap/db. Every
 * key etcd serves is found with its value at its revision, the buckets are
 * etcd's, and the figures match what real `etcdctl snapshot status` prints.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { statSync } from "node:fs";
import { decodeKeyValue } from "../../src/storage/mvcc/kv-codec.js";
import { openBoltFile, type BoltFile } from "../../src/storage/bbolt/index.js";
import { ETCD_BUCKETS, makeRealEtcdBackup, statusFigures, type EtcdBackup } from "./bbolt-etcd-fixture.js";

const SHA256_SIZE = 32;
let backup: EtcdBackup;

before(async () => {
  backup = await makeRealEtcdBackup();
});

after(() => backup?.remove());

function openSnapshot(): BoltFile {
  return openBoltFile(backup.snapshotPath, { limitBytes: statSync(backup.snapshotPath).size - SHA256_SIZE });
}

function assertServesEveryKey(file: BoltFile): void {
  const stored = new Map<string, Buffer>();
  for (const [, value] of file.bucket("key")!.entries()) {
    const kv = decodeKeyValue(Buffer.from(value), true);
    stored.set(`${kv.key.toString("latin1")}@${kv.modRevision}`, kv.value);
  }
  assert.ok(backup.served.length > 1200);
  for (const kv of backup.served) {
    const found = stored.get(`${kv.key.toString("latin1")}@${kv.modRevision}`);
    assert.ok(found !== undefined, `key ${kv.key.toString()} at revision ${kv.modRevision} not in the file`);
    assert.ok(found.equals(kv.value), `value of ${kv.key.toString()}`);
  }
}

function bucketNames(file: BoltFile): string[] {
  return [...file.buckets()].map((b) => Buffer.from(b.name).toString());
}

test("reads etcdctl snapshot save's file: every served key, etcd's buckets, snapshot status's figures", () => {
  const file = openSnapshot();
  try {
    assert.deepEqual(bucketNames(file), ETCD_BUCKETS);
    assertServesEveryKey(file);
    assert.deepEqual({ ...statusFigures(file), totalSize: file.size }, backup.status);
    assert.equal(file.pageSize, 4096);
    assert.equal([...file.bucket("lease")!.entries()].length, 1);
    const users = [...file.bucket("authUsers")!.entries()].map(([k]) => Buffer.from(k).toString());
    assert.deepEqual(users, ["alice", "root"]);
  } finally {
    file.close();
  }
});

test("reads etcd's own member/snap/db after a clean stop", () => {
  const file = openBoltFile(backup.liveDbPath);
  try {
    assert.deepEqual(bucketNames(file), ETCD_BUCKETS);
    assertServesEveryKey(file);
    assert.ok(file.size <= statSync(backup.liveDbPath).size);
  } finally {
    file.close();
  }
});

test("iterating a bucket twice yields the same entries", () => {
  const file = openSnapshot();
  try {
    const keys = () => [...file.bucket("key")!.entries()].map(([k]) => Buffer.from(k).toString("hex"));
    assert.deepEqual(keys(), keys());
    assert.equal(file.bucket("nope"), undefined);
  } finally {
    file.close();
  }
});
