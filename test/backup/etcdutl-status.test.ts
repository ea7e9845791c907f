/**
 * `etcdutl snapshot status` and `etcdutl hashkv` on files real etcd 3.4
 * wrote (`etcdctl snapshot save`'s file and the member's own db) and on
 * our member's database: the figures real tools give for the same data.
 * Debian's `etcdctl snapshot status` is the reference for hash, revision
 * and size; its key count is 3.4's (every entry of every bucket), where
 * etcd 3.6's etcdutl, which we follow, counts the keys alive at the end.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { appendFileSync, copyFileSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { writeBolt, type BucketContents, type BucketSource } from "../../src/storage/bbolt/index.js";
import { BUCKETS, LmdbBackend } from "../../src/storage/backend/index.js";
import { etcdctl } from "../harness/etcdctl.js";
import { tempDir } from "../harness/paths.js";
import { startServer } from "../harness/server-process.js";
import { ctl, etcdutl, serverHashKv, writeHistory } from "./etcdutl-harness.js";

interface CtlStatus {
  hash: number;
  revision: number;
  totalKey: number;
  totalSize: number;
}

interface RealEtcdFiles {
  snapshot: string;
  memberDb: string;
  compactAt: bigint;
  /** Keys alive at the end. */
  liveKeys: number;
  revision: bigint;
  hashAtRevision: number;
  hashMidway: { rev: bigint; hash: number };
}

const dir = tempDir("etcdutl-status");
let real: RealEtcdFiles;

before(async () => {
  const server = await startServer({ flavor: "real", dataDir: join(dir.path, "real") });
  try {
    const compactAt = await writeHistory(server.endpoint);
    const count = JSON.parse(await ctl(server.endpoint, ["get", "", "--prefix", "--keys-only", "-w", "json"])) as { count: number; header: { revision: number } };
    const revision = BigInt(count.header.revision);
    const snapshot = join(dir.path, "real-snapshot.db");
    await ctl(server.endpoint, ["snapshot", "save", snapshot]);
    const hashAtRevision = (await serverHashKv(server.endpoint, 0n)).hash;
    const hashMidway = { rev: compactAt + 1n, hash: (await serverHashKv(server.endpoint, compactAt + 1n)).hash };
    await server.stop({ keepData: true });
    const memberDb = join(dir.path, "real-member.db");
    copyFileSync(join(dir.path, "real", "member", "snap", "db"), memberDb);
    real = { snapshot, memberDb, compactAt, liveKeys: count.count, revision, hashAtRevision, hashMidway };
  } catch (err) {
    await server.stop();
    throw err;
  }
});

after(() => dir.remove());

async function ctlStatus(path: string): Promise<CtlStatus> {
  const r = await etcdctl("127.0.0.1:1", ["snapshot", "status", path, "-w", "json"]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as CtlStatus;
}

test("snapshot status of real etcd's snapshot: etcdctl's hash, revision and size; the live keys", async () => {
  const expected = await ctlStatus(real.snapshot);
  const r = await etcdutl(["snapshot", "status", real.snapshot, "-w", "json"]);
  assert.equal(r.code, 0, r.stderr);
  const ours = JSON.parse(r.stdout) as CtlStatus & { version: string };
  assert.deepEqual(
    { hash: ours.hash, revision: ours.revision, totalSize: ours.totalSize },
    { hash: expected.hash, revision: expected.revision, totalSize: expected.totalSize },
  );
  assert.equal(ours.revision, Number(real.revision));
  assert.equal(ours.totalKey, real.liveKeys);
  assert.equal(ours.version, "", "etcd 3.4 stores no storage version");
});

test("snapshot status of real etcd's member/snap/db (no SHA-256 trailer) matches etcdctl too", async () => {
  const expected = await ctlStatus(real.memberDb);
  const ours = JSON.parse((await etcdutl(["snapshot", "status", real.memberDb, "-w", "json"])).stdout) as CtlStatus;
  assert.equal(ours.hash, expected.hash);
  assert.equal(ours.revision, expected.revision);
  assert.equal(ours.totalSize, expected.totalSize);
});

test("snapshot status prints etcd 3.6's simple, table and fields layouts", async () => {
  const s = await ctlStatus(real.snapshot);
  // go-humanize's size: whole kB from 10 kB on (humanize.test.ts checks its rounding).
  const size = `${Math.round(s.totalSize / 1000)} kB`;
  assert.ok(s.totalSize >= 10_000 && s.totalSize < 1_000_000);
  const simple = await etcdutl(["snapshot", "status", real.snapshot]);
  assert.equal(simple.stdout, `${s.hash.toString(16)}, ${s.revision}, ${real.liveKeys}, ${size}, \n`);
  const table = await etcdutl(["snapshot", "status", real.snapshot, "-w", "table"]);
  const lines = table.stdout.split("\n");
  assert.match(lines[0]!, /^\+-+\+-+\+-+\+-+\+-+\+$/);
  assert.match(lines[1]!, /^\| +HASH +\| REVISION \| TOTAL KEYS \| TOTAL SIZE \| VERSION \|$/);
  assert.ok(lines[3]!.includes(`| ${s.hash.toString(16)} |`), lines[3]);
  const fields = await etcdutl(["snapshot", "status", real.snapshot, "-w", "fields"]);
  assert.equal(fields.stdout, `"Hash" : ${s.hash}\n"Revision" : ${s.revision}\n"Keys" : ${real.liveKeys}\n"Size" : ${s.totalSize}\n"Version" : \n`);
});

test("hashkv of real etcd's snapshot and db equals real etcd's HashKV", async () => {
  for (const file of [real.snapshot, real.memberDb]) {
    const latest = await etcdutl(["hashkv", file, "-w", "json"]);
    assert.equal(latest.code, 0, latest.stderr);
    assert.deepEqual(JSON.parse(latest.stdout), { hash: real.hashAtRevision, hashRevision: Number(real.revision), compactRevision: Number(real.compactAt) });
    const midway = await etcdutl(["hashkv", file, "--rev", String(real.hashMidway.rev)]);
    assert.equal(midway.stdout, `${real.hashMidway.hash}, ${real.hashMidway.rev}, ${real.compactAt}\n`);
  }
});

test("hashkv refuses a compacted or future revision with etcd's words", async () => {
  const compacted = await etcdutl(["hashkv", real.snapshot, "--rev", String(real.compactAt - 1n)]);
  assert.equal(compacted.code, 1);
  assert.equal(compacted.stderr, "Error: mvcc: required revision has been compacted\n");
  const future = await etcdutl(["hashkv", real.snapshot, "--rev", String(real.revision + 10n)]);
  assert.equal(future.code, 1);
  assert.equal(future.stderr, "Error: mvcc: required revision is a future revision\n");
});

test("hashkv of our member's database equals our server's HashKV; as a snapshot file, status equals etcdctl's", async () => {
  const dataDir = join(dir.path, "ours");
  const server = await startServer({ flavor: "ours", dataDir });
  let expected: { hash: number; compactRevision: number };
  let compactAt: bigint;
  try {
    compactAt = await writeHistory(server.endpoint);
    expected = await serverHashKv(server.endpoint, 0n);
  } finally {
    await server.stop({ keepData: true });
  }
  const r = await etcdutl(["hashkv", join(dataDir, "member", "snap", "db"), "-w", "json"]);
  assert.equal(r.code, 0, r.stderr);
  const ours = JSON.parse(r.stdout) as { hash: number; compactRevision: number };
  assert.equal(ours.hash, expected.hash);
  assert.equal(ours.compactRevision, Number(compactAt));

  // Our database in etcd's snapshot format (the bbolt writer, what Maintenance.Snapshot streams):
  // our status and hashkv agree with etcdctl's status and our server's HashKV.
  const snapshot = join(dir.path, "ours-snapshot.db");
  await writeSnapshotOf(join(dataDir, "member", "snap", "db"), snapshot);
  const expectedStatus = await ctlStatus(snapshot);
  const status = JSON.parse((await etcdutl(["snapshot", "status", snapshot, "-w", "json"])).stdout) as CtlStatus;
  const figures = (x: CtlStatus): Omit<CtlStatus, "totalKey"> => ({ hash: x.hash, revision: x.revision, totalSize: x.totalSize });
  assert.deepEqual(figures(status), figures(expectedStatus));
  const snapshotHash = JSON.parse((await etcdutl(["hashkv", snapshot, "-w", "json"])).stdout) as { hash: number };
  assert.equal(snapshotHash.hash, expected.hash);
});

/** A snapshot file of our LMDB database: the bbolt writer's pages, then the SHA-256 trailer etcdctl writes. */
async function writeSnapshotOf(lmdbPath: string, path: string): Promise<void> {
  const backend = new LmdbBackend({ path: lmdbPath });
  try {
    const source: BucketSource = {
      *buckets(): Iterable<BucketContents> {
        for (const name of BUCKETS) {
          yield { name: Buffer.from(name), entries: () => backend.range(name).map((e) => [e.key, e.value] as const) };
        }
      },
    };
    const sha = createHash("sha256");
    writeFileSync(path, "");
    for (const chunk of writeBolt(source)) {
      sha.update(chunk);
      appendFileSync(path, chunk);
    }
    appendFileSync(path, sha.digest());
  } finally {
    await backend.close();
  }
}

test("a missing, truncated or foreign file is a clear error and a non-zero exit", async () => {
  const missing = await etcdutl(["snapshot", "status", join(dir.path, "nope.db")]);
  assert.equal(missing.code, 1);
  assert.equal(missing.stderr, `Error: stat ${join(dir.path, "nope.db")}: no such file or directory\n`);

  const truncated = join(dir.path, "truncated.db");
  copyFileSync(real.snapshot, truncated);
  truncateSync(truncated, Math.floor(statSync(truncated).size / 2));
  for (const args of [["snapshot", "status", truncated], ["hashkv", truncated]]) {
    const r = await etcdutl(args);
    assert.equal(r.code, 1, `${args.join(" ")}: ${r.stdout}`);
    assert.match(r.stderr, /^Error: .+\n$/);
    assert.equal(r.stdout, "");
  }

  const text = join(dir.path, "text.db");
  writeFileSync(text, "not a database at all\n".repeat(400));
  const foreign = await etcdutl(["snapshot", "status", text]);
  assert.equal(foreign.code, 1);
  assert.match(foreign.stderr, /^Error: .*invalid database/);

  for (const args of [["snapshot", "status", dir.path], ["hashkv", dir.path]]) {
    const r = await etcdutl(args);
    assert.deepEqual([r.code, r.stderr], [1, `Error: read ${dir.path}: is a directory\n`], args.join(" "));
  }
});

test("-w protobuf and an unknown format are refused as etcdutl refuses them", async () => {
  const protobuf = await etcdutl(["snapshot", "status", real.snapshot, "-w", "protobuf"]);
  assert.deepEqual([protobuf.code, protobuf.stderr], [4, "Error: protobuf not supported as output format\n"]);
  const bogus = await etcdutl(["snapshot", "status", real.snapshot, "-w", "yaml"]);
  assert.deepEqual([bogus.code, bogus.stderr], [4, "Error: unsupported output format\n"]);
});
