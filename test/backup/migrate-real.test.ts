/**
 * A stopped real etcd 3.4.23 member's data dir, migrated in place with
 * migrateDataDir, is started by our server with the same flags: it serves
 * the same keys and revisions, auth and the lease, and takes new writes.
 * A running member, a data dir already migrated and a damaged database are
 * refused and left as they were.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { backendPath } from "../../src/storage/backend/index.js";
import { migrateDataDir, RestoreError } from "../../src/server/restore/index.js";
import { tempDir } from "../harness/paths.js";
import { freePorts } from "../harness/ports.js";
import { startServer } from "../harness/server-process.js";
import { everyKey, fillRealEtcd, mustCtl, revisionOf, ROOT } from "./restore-support.js";

function digest(path: string): string {
  return createHash("sha256").update(readFileSync(path)).digest("hex");
}

test("a stopped real etcd member migrated in place: our server on the same data dir and flags serves the same data and takes writes", { timeout: 180_000 }, async () => {
  const dir = tempDir("migrate-real");
  try {
    const dataDir = join(dir.path, "data");
    const [clientPort, peerPort] = await freePorts(2);
    const same = { name: "m1", dataDir, clientPort: clientPort!, peerPort: peerPort! };
    // A small --snapshot-count so etcd leaves a raft snapshot (.snap) for our server to start from.
    const real = await startServer({ flavor: "real", ...same, extraArgs: ["--snapshot-count", "20"] });
    let filled, before;
    try {
      filled = await fillRealEtcd(real.endpoint);
      before = await everyKey(real.endpoint);
      await assert.rejects(migrateDataDir({ dataDir }), (err: unknown) => err instanceof RestoreError && /locked by a running etcd/.test(err.message));
    } finally {
      await real.stop();
    }
    assert.ok(readdirSync(join(dataDir, "member", "snap")).some((f) => f.endsWith(".snap")), "etcd left a raft snapshot");
    const originalDigest = digest(backendPath(dataDir));

    const progress: number[] = [];
    const result = await migrateDataDir({ dataDir, onProgress: (done) => progress.push(done) });
    assert.equal(result.revision, BigInt(filled.revision));
    assert.ok(result.consistentIndex > 0n);
    assert.equal(result.keptOriginalAt, `${backendPath(dataDir)}.etcd-bbolt`);
    assert.equal(digest(result.keptOriginalAt), originalDigest, "etcd's database kept as it was");
    assert.equal(result.filledConfState?.voters.length, 1);
    assert.ok(progress.length > 0);

    await assert.rejects(migrateDataDir({ dataDir }), (err: unknown) => err instanceof RestoreError && /already migrated/.test(err.message));

    const ours = await startServer({ flavor: "ours", ...same });
    try {
      const after = await everyKey(ours.endpoint);
      assert.deepEqual(after.kvs, before.kvs);
      assert.equal(after.revision, before.revision);
      assert.match(await mustCtl(ours.endpoint, [...ROOT, "lease", "timetolive", filled.leaseId, "--keys"]), /attached keys\(\[leased\/k\]\)/);
      assert.equal(revisionOf(await mustCtl(ours.endpoint, [...ROOT, "put", "app/new", "after migration", "-w", "json"])), filled.revision + 1);
      assert.match(await mustCtl(ours.endpoint, [...ROOT, "member", "list"]), /started, m1, /);
    } finally {
      await ours.stop();
    }
    // And again after a restart of ours: the migrated dir is now simply ours.
    const again = await startServer({ flavor: "ours", ...same });
    try {
      assert.equal((await mustCtl(again.endpoint, [...ROOT, "get", "app/new", "--print-value-only"])).trim(), "after migration");
    } finally {
      await again.stop();
    }
  } finally {
    dir.remove();
  }
});

test("a damaged etcd database, a dir without a member and a dir already ours are refused and left untouched", { timeout: 120_000 }, async () => {
  const dir = tempDir("migrate-refused");
  try {
    const dataDir = join(dir.path, "data");
    const real = await startServer({ flavor: "real", name: "m1", dataDir });
    try {
      await mustCtl(real.endpoint, ["put", "k", "v"]);
    } finally {
      await real.stop();
    }
    const db = backendPath(dataDir);
    const pristine = join(dir.path, "pristine.db");
    copyFileSync(db, pristine);

    // Damaged: the root page of the key bucket's tree overwritten (both meta pages left valid).
    const bytes = readFileSync(db);
    const pageSize = bytes.readUInt32LE(24);
    bytes.fill(0xff, 2 * pageSize, bytes.length);
    writeFileSync(db, bytes);
    const listing = readdirSync(join(dataDir, "member", "snap")).sort();
    const damagedDigest = digest(db);
    await assert.rejects(migrateDataDir({ dataDir }), (err: unknown) => err instanceof RestoreError && err.message.startsWith(db));
    assert.deepEqual(readdirSync(join(dataDir, "member", "snap")).sort(), listing, "nothing added");
    assert.equal(digest(db), damagedDigest, "the database is left as it was");

    const empty = join(dir.path, "empty");
    mkdirSync(empty);
    await assert.rejects(migrateDataDir({ dataDir: empty }), /not an etcd member's data dir/);

    copyFileSync(pristine, db);
    await migrateDataDir({ dataDir });
    // Someone removes the kept original: the LMDB file alone is still recognised as ours.
    const ours = `${db}.etcd-bbolt`;
    rmSync(ours);
    await assert.rejects(migrateDataDir({ dataDir }), /is already ours/);
    assert.ok(existsSync(db));
  } finally {
    dir.remove();
  }
});
