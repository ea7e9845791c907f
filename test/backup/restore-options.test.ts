/**
 * restoreSnapshot's options and refusals on a real etcd 3.4 snapshot:
 * --bump-revision with --mark-compacted (etcd 3.6), and every bad input —
 * a truncated file, a flipped byte, a missing trailer, an existing data dir,
 * a member not in the cluster — refused with etcd's words, leaving nothing
 * behind.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createHash } from "node:crypto";
import { restoreSnapshot, RestoreError, type RestoreOptions } from "../../src/server/restore/index.js";
import { openBoltFile, writeBolt } from "../../src/storage/bbolt/index.js";
import { backendPath, DEFAULT_HASH_IGNORES, LmdbBackend } from "../../src/storage/backend/index.js";
import { tempDir } from "../harness/paths.js";
import { freePorts } from "../harness/ports.js";
import { startServer } from "../harness/server-process.js";
import { ctl, everyKey, mustCtl, revisionOf } from "./restore-support.js";

const dir = tempDir("restore-options");
const snapshotPath = join(dir.path, "snapshot.db");
let revision = 0;
let keysBefore: Awaited<ReturnType<typeof everyKey>>["kvs"] = [];

before(async () => {
  const real = await startServer({ flavor: "real", name: "s1" });
  try {
    for (let i = 0; i < 10; i++) await mustCtl(real.endpoint, ["put", `k${i}`, `v${i}`]);
    revision = revisionOf(await mustCtl(real.endpoint, ["put", "k0", "last", "-w", "json"]));
    keysBefore = (await everyKeyAnonymous(real.endpoint)).kvs;
    await mustCtl(real.endpoint, ["snapshot", "save", snapshotPath]);
  } finally {
    await real.stop();
  }
});
after(() => dir.remove());

async function everyKeyAnonymous(endpoint: string): Promise<{ revision: number; kvs: typeof keysBefore }> {
  const parsed = JSON.parse(await mustCtl(endpoint, ["get", "", "--from-key", "-w", "json"])) as { header: { revision: number }; kvs: typeof keysBefore };
  return { revision: Number(parsed.header.revision), kvs: parsed.kvs };
}

function options(over: Partial<RestoreOptions> & { dataDir: string }): RestoreOptions {
  const peerUrl = "http://127.0.0.1:2380";
  return {
    snapshotPath,
    name: "s1",
    initialCluster: [{ name: "s1", peerUrls: [peerUrl] }],
    initialClusterToken: "etcd-cluster",
    initialAdvertisePeerUrls: [peerUrl],
    skipHashCheck: false,
    bumpRevision: 0n,
    markCompacted: false,
    ...over,
  };
}

/** Runs a restore that must fail with `message`, and checks the folder around the target is as it was. */
async function refused(over: Partial<RestoreOptions> & { dataDir: string }, message: RegExp | string): Promise<void> {
  const parent = join(over.dataDir, "..");
  const listing = readdirSync(parent).sort();
  await assert.rejects(restoreSnapshot(options(over)), (err: unknown) => {
    assert.ok(err instanceof RestoreError, String(err));
    if (typeof message === "string") assert.equal(err.message, message);
    else assert.match(err.message, message);
    return true;
  });
  assert.deepEqual(readdirSync(parent).sort(), listing, "nothing left behind");
}

test("--bump-revision with --mark-compacted: revisions continue above the bump, the bumped revision is compacted", { timeout: 120_000 }, async () => {
  const [clientPort, peerPort] = await freePorts(2);
  const peerUrl = `http://127.0.0.1:${peerPort}`;
  const dataDir = join(dir.path, "bumped");
  const result = await restoreSnapshot(options({ dataDir, initialCluster: [{ name: "s1", peerUrls: [peerUrl] }], initialAdvertisePeerUrls: [peerUrl], bumpRevision: 1000n, markCompacted: true }));
  assert.equal(result.revision, BigInt(revision + 1000));
  const ours = await startServer({ flavor: "ours", name: "s1", dataDir, clientPort: clientPort!, peerPort: peerPort! });
  try {
    const now = await everyKeyAnonymous(ours.endpoint);
    assert.equal(now.revision, revision + 1000);
    assert.deepEqual(now.kvs, keysBefore, "the keys are unchanged");
    assert.equal(revisionOf(await mustCtl(ours.endpoint, ["put", "k1", "after", "-w", "json"])), revision + 1001);
    const old = await ctl(ours.endpoint, ["get", "k1", "--rev", String(revision)]);
    assert.match(old.stderr, /required revision has been compacted/);
    const watch = await ctl(ours.endpoint, ["watch", "k1", "--rev", String(revision)]);
    assert.match(watch.stderr + watch.stdout, /compacted/);
  } finally {
    await ours.stop();
  }
});

test("--bump-revision needs --mark-compacted and the other way round", async () => {
  await refused({ dataDir: join(dir.path, "bump-alone"), bumpRevision: 5n }, "--mark-compacted required if --revision-bump > 0");
  await refused({ dataDir: join(dir.path, "mark-alone"), markCompacted: true }, "--mark-compacted required if --revision-bump > 0");
});

test("a flipped byte is refused by the hash check", async () => {
  const bytes = readFileSync(snapshotPath);
  bytes.writeUInt8(bytes.readUInt8(5000) ^ 0xff, 5000);
  const flipped = join(dir.path, "flipped.db");
  writeFileSync(flipped, bytes);
  await refused({ dataDir: join(dir.path, "from-flipped"), snapshotPath: flipped }, /^expected sha256 \[[\d ]+\], got \[[\d ]+\]$/);
});

test("a truncated file: no trailer, so refused without --skip-hash-check and as a damaged database with it", async () => {
  const bytes = readFileSync(snapshotPath);
  const truncated = join(dir.path, "truncated.db");
  writeFileSync(truncated, bytes.subarray(0, Math.floor(bytes.length / 2)));
  await refused({ dataDir: join(dir.path, "from-truncated"), snapshotPath: truncated }, "snapshot missing hash but --skip-hash-check=false");
  await refused({ dataDir: join(dir.path, "from-truncated"), snapshotPath: truncated, skipHashCheck: true }, /^bbolt file .*truncated\.db: /);
});

test("a file without its trailer is refused unless --skip-hash-check, then restored", async () => {
  const bytes = readFileSync(snapshotPath);
  const bare = join(dir.path, "bare.db");
  writeFileSync(bare, bytes.subarray(0, bytes.length - 32));
  await refused({ dataDir: join(dir.path, "from-bare"), snapshotPath: bare }, "snapshot missing hash but --skip-hash-check=false");
  const result = await restoreSnapshot(options({ dataDir: join(dir.path, "from-bare"), snapshotPath: bare, skipHashCheck: true }));
  assert.equal(result.hashChecked, false);
  assert.equal(result.revision, BigInt(revision));
});

test("an existing, non-empty data dir is refused; an empty one is used", async () => {
  const existing = join(dir.path, "existing");
  mkdirSync(existing);
  writeFileSync(join(existing, "something"), "x");
  await refused({ dataDir: existing }, `data-dir "${existing}" not empty or could not be read`);
  assert.deepEqual(readdirSync(existing), ["something"]);
  const empty = join(dir.path, "empty");
  mkdirSync(empty);
  await restoreSnapshot(options({ dataDir: empty }));
  assert.deepEqual(readdirSync(empty), ["member"]);
  assert.deepEqual(readdirSync(join(empty, "member")).sort(), ["snap", "wal"]);
});

test("an explicit --wal-dir outside the data dir gets the WAL; one that exists is refused", async () => {
  const dataDir = join(dir.path, "with-wal-dir");
  const walDir = join(dir.path, "elsewhere", "wal");
  await restoreSnapshot(options({ dataDir, walDir }));
  assert.deepEqual(readdirSync(join(dataDir, "member")), ["snap"]);
  assert.ok(readdirSync(walDir).some((f) => f.endsWith(".wal")));
  await refused({ dataDir: join(dir.path, "with-wal-dir-2"), walDir }, `wal-dir "${walDir}" exists`);
});

test("a member name missing from --initial-cluster is refused", async () => {
  await refused({ dataDir: join(dir.path, "no-name"), name: "other" }, `couldn't find local name "other" in the initial cluster configuration`);
});

test("a file that is no database at all is refused", async () => {
  const junk = join(dir.path, "junk.db");
  writeFileSync(junk, Buffer.alloc(8192, 0x41));
  await refused({ dataDir: join(dir.path, "from-junk"), snapshotPath: junk, skipHashCheck: true }, /^bbolt file .*junk\.db: no valid meta page/);
});

test("a snapshot file written by our bbolt writer (as our Maintenance.Snapshot streams it) restores to the same backend as etcd's", async () => {
  const bolt = openBoltFile(snapshotPath, { limitBytes: readFileSync(snapshotPath).length - 32 });
  let ours: Buffer;
  try {
    ours = Buffer.concat([...writeBolt(bolt)]);
  } finally {
    bolt.close();
  }
  const oursPath = join(dir.path, "ours.db");
  writeFileSync(oursPath, Buffer.concat([ours, createHash("sha256").update(ours).digest()]));
  const fromEtcd = join(dir.path, "same-from-etcd");
  const fromOurs = join(dir.path, "same-from-ours");
  const a = await restoreSnapshot(options({ dataDir: fromEtcd }));
  const b = await restoreSnapshot(options({ dataDir: fromOurs, snapshotPath: oursPath }));
  assert.deepEqual(b, a);
  const hashOf = async (dataDir: string): Promise<number> => {
    const backend = new LmdbBackend({ path: backendPath(dataDir) });
    try {
      return backend.hash(DEFAULT_HASH_IGNORES);
    } finally {
      await backend.close();
    }
  };
  assert.equal(await hashOf(fromOurs), await hashOf(fromEtcd));
});
