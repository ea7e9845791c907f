/**
 * Maintenance.Snapshot with etcd's own tools. The same writes (keys
 * overwritten and deleted, a lease with a key, a compaction, users and roles
 * with auth enabled) go to real etcd 3.4 and to ours; Debian's
 * `etcdctl snapshot save` takes a file from each; `etcdctl snapshot status`
 * reads both, and `etcdctl snapshot restore` + real etcd serve the same data
 * from both. The real etcd run proves the checks themselves. Also:
 * python-etcd3's `snapshot()` and the JSON gateway's stream.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { openBoltFile } from "../../src/storage/bbolt/reader.js";
import { etcdctl, type CtlResult } from "../harness/etcdctl.js";
import { tempDir } from "../harness/paths.js";
import { freePort } from "../harness/ports.js";
import { runPython } from "../harness/python.js";
import { startServer, type Flavor, type ServerProcess } from "../harness/server-process.js";

const ROOT = ["--user", "root:rootpw"];
const FLAVORS: readonly Flavor[] = ["real", "ours"];

async function ctl(endpoint: string, args: string[]): Promise<string> {
  const r = await etcdctl(endpoint, args, { timeoutMs: 60_000 });
  assert.equal(r.code, 0, `etcdctl ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

/** The writes both servers get, in the same order; returns the lease id (hex) etcd printed. */
async function applyWrites(endpoint: string): Promise<string> {
  await ctl(endpoint, ["put", "k1", "v1"]); // rev 2
  await ctl(endpoint, ["put", "k2", "v2"]); // 3
  await ctl(endpoint, ["put", "k1", "v1b"]); // 4
  await ctl(endpoint, ["del", "k2"]); // 5
  const granted = await ctl(endpoint, ["lease", "grant", "3600"]);
  const lease = /lease ([0-9a-f]+) granted/.exec(granted)?.[1];
  assert.ok(lease !== undefined, granted);
  await ctl(endpoint, ["put", "leased", "l", "--lease", lease]); // 6
  for (let i = 0; i < 20; i++) await ctl(endpoint, ["put", `many/${String(i).padStart(2, "0")}`, "x".repeat(i * 50)]); // 7..26
  await ctl(endpoint, ["put", "k1", "v1c"]); // 27
  await ctl(endpoint, ["compact", "4"]);
  await ctl(endpoint, ["user", "add", "root", "--new-user-password", "rootpw"]);
  await ctl(endpoint, ["user", "grant-role", "root", "root"]);
  await ctl(endpoint, ["role", "add", "app"]);
  await ctl(endpoint, ["role", "grant-permission", "app", "readwrite", "/app/", "--prefix=true"]);
  await ctl(endpoint, ["user", "add", "alice", "--new-user-password", "alicepw"]);
  await ctl(endpoint, ["user", "grant-role", "alice", "app"]);
  await ctl(endpoint, ["auth", "enable"]);
  return lease;
}

/** What a member serves, read with root: every key with its revisions, the leases, users and roles. */
async function servedState(endpoint: string, lease: string): Promise<Record<string, unknown>> {
  const got = JSON.parse(await ctl(endpoint, [...ROOT, "get", "", "--from-key", "-w", "json"])) as {
    header: { revision: number };
    kvs: { key: string; value: string; create_revision: number; mod_revision: number; version: number; lease?: number }[];
  };
  const ttl = JSON.parse(await ctl(endpoint, [...ROOT, "lease", "timetolive", lease, "--keys", "-w", "json"])) as { grantedTTL: number; keys: string[] };
  return {
    revision: got.header.revision,
    kvs: got.kvs,
    leases: (await ctl(endpoint, [...ROOT, "lease", "list"])).trim(),
    leaseTtl: { granted: ttl.grantedTTL, keys: ttl.keys },
    users: (await ctl(endpoint, [...ROOT, "user", "list"])).trim(),
    roles: (await ctl(endpoint, [...ROOT, "role", "list"])).trim(),
    app: (await ctl(endpoint, [...ROOT, "role", "get", "app"])).trim(),
    alice: (await ctl(endpoint, [...ROOT, "user", "get", "alice"])).trim(),
    aliceDenied: errorLine(await etcdctl(endpoint, ["--user", "alice:alicepw", "get", "k1"])),
    aliceAllowed: (await etcdctl(endpoint, ["--user", "alice:alicepw", "put", "/app/x", "1"])).code,
    compacted: errorLine(await etcdctl(endpoint, [...ROOT, "get", "k1", "--rev", "3"])),
  };
}

/** etcdctl's "Error: …" line (its client library logs retries above it, with times and addresses). */
function errorLine(r: CtlResult): string {
  return r.stderr.split("\n").find((l) => l.startsWith("Error:")) ?? `exit ${r.code}: ${r.stderr}`;
}

interface SnapshotStatus {
  hash: number;
  revision: number;
  totalKey: number;
  totalSize: number;
}

function status(r: CtlResult): SnapshotStatus {
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as SnapshotStatus;
}

/** A snapshot file's buckets as bbolt holds them: entries per bucket (meta apart), the key bucket's revisions, meta's key names. */
function layout(file: string): { counts: Record<string, number>; revisions: string[]; meta: string[] } {
  const db = openBoltFile(file, { limitBytes: statSync(file).size - 32 });
  try {
    const counts: Record<string, number> = {};
    let revisions: string[] = [];
    let meta: string[] = [];
    for (const bucket of db.buckets()) {
      const name = Buffer.from(bucket.name).toString();
      const keys = [...bucket.entries()].map(([k]) => Buffer.from(k));
      if (name === "meta") meta = keys.map((k) => k.toString());
      else counts[name] = keys.length;
      if (name === "key") revisions = keys.map((k) => k.toString("hex"));
    }
    return { counts, revisions, meta };
  } finally {
    db.close();
  }
}

/** `etcdctl snapshot restore` of `file` as a one-member cluster, then real etcd started on it. */
async function restoreAndStart(file: string, dir: string): Promise<ServerProcess> {
  const peerPort = await freePort();
  const peerUrl = `http://127.0.0.1:${peerPort}`;
  const dataDir = join(dir, "restored");
  const r = await etcdctl("127.0.0.1:1", ["snapshot", "restore", file, "--name", "default", "--data-dir", dataDir, "--initial-cluster", `default=${peerUrl}`, "--initial-advertise-peer-urls", peerUrl]);
  assert.equal(r.code, 0, `snapshot restore: ${r.stderr}`);
  return startServer({ flavor: "real", dataDir, peerPort });
}

describe("etcdctl snapshot save, status and restore: real etcd and ours", { timeout: 600_000 }, () => {
  const work = tempDir("snapshot-save");
  const sources = new Map<Flavor, ServerProcess>();
  const leases = new Map<Flavor, string>();
  const files = new Map<Flavor, string>();
  const stopped: ServerProcess[] = [];

  before(async () => {
    for (const flavor of FLAVORS) {
      const server = await startServer({ flavor });
      sources.set(flavor, server);
      leases.set(flavor, await applyWrites(server.endpoint));
    }
  });

  after(async () => {
    await Promise.all([...sources.values(), ...stopped].map((s) => s.stop()));
    work.remove();
  });

  for (const flavor of FLAVORS) {
    test(`${flavor}: etcdctl snapshot save writes a file that etcdctl snapshot status reads`, async () => {
      const server = sources.get(flavor)!;
      const file = join(work.path, `${flavor}.db`);
      const r = await etcdctl(server.endpoint, [...ROOT, "snapshot", "save", file], { timeoutMs: 120_000 });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /Snapshot saved at/);
      assert.ok(existsSync(file));
      files.set(flavor, file);
      const s = status(await etcdctl("127.0.0.1:1", ["snapshot", "status", file, "-w", "json"]));
      assert.equal(s.revision, 27);
      assert.ok(s.totalKey > 20 && s.totalSize > 0, JSON.stringify(s));
    });
  }

  test("ours and real etcd's files: the same revision; the same buckets, entry counts and history; meta has etcd 3.5's confState and term besides", async () => {
    const [real, ours] = await Promise.all(FLAVORS.map(async (f) => status(await etcdctl("127.0.0.1:1", ["snapshot", "status", files.get(f)!, "-w", "json"]))));
    assert.equal(ours!.revision, real!.revision);
    const [realLayout, ourLayout] = FLAVORS.map((f) => layout(files.get(f)!));
    assert.deepEqual(ourLayout!.counts, realLayout!.counts);
    assert.deepEqual(ourLayout!.revisions, realLayout!.revisions);
    const extraMeta = ourLayout!.meta.filter((k) => !realLayout!.meta.includes(k));
    assert.deepEqual(extraMeta, ["confState", "term"]);
    assert.deepEqual(realLayout!.meta.filter((k) => !ourLayout!.meta.includes(k)), []);
    // The hash covers member ids (made from each server's peer URL) and the cluster version, so it differs; the key count by meta's two.
    assert.equal(ours!.totalKey, real!.totalKey + extraMeta.length);
  });

  for (const flavor of FLAVORS) {
    test(`${flavor}'s file: etcdctl snapshot restore + real etcd serve the same keys, revisions, leases, users, roles and compacted history`, async () => {
      const source = sources.get(flavor)!;
      const lease = leases.get(flavor)!;
      const expected = await servedState(source.endpoint, lease);
      const restored = await restoreAndStart(files.get(flavor)!, join(work.path, flavor));
      stopped.push(restored);
      const got = await servedState(restored.endpoint, lease);
      assert.deepEqual({ ...got, aliceAllowed: undefined }, { ...expected, aliceAllowed: undefined });
      assert.equal(expected["aliceAllowed"], 0);
      assert.equal(got["aliceAllowed"], 0);
      assert.match(String(got["compacted"]), /required revision has been compacted/);
      assert.match(String(got["aliceDenied"]), /permission denied/);
    });
  }
});

const b64 = (s: string): string => Buffer.from(s).toString("base64");

const PYTHON_SNAPSHOT = `
import sys, etcd3
client = etcd3.client(host=sys.argv[1], port=int(sys.argv[2]))
client.put('py/key', 'py-value')
with open(sys.argv[3], 'wb') as f:
    client.snapshot(f)
print('saved')
`;

describe("python-etcd3 and the JSON gateway take snapshots of ours as of real etcd", { timeout: 300_000 }, () => {
  const work = tempDir("snapshot-clients");
  const servers = new Map<Flavor, ServerProcess>();

  before(async () => {
    for (const flavor of FLAVORS) servers.set(flavor, await startServer({ flavor }));
  });
  after(async () => {
    await Promise.all([...servers.values()].map((s) => s.stop()));
    work.remove();
  });

  for (const flavor of FLAVORS) {
    test(`${flavor}: python-etcd3's client.snapshot(file) writes a file etcdctl snapshot status reads`, async () => {
      const server = servers.get(flavor)!;
      const file = join(work.path, `${flavor}-py.db`);
      const r = await runPython(PYTHON_SNAPSHOT, ["127.0.0.1", String(server.clientPort), file], 60_000);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /saved/);
      const s = status(await etcdctl("127.0.0.1:1", ["snapshot", "status", file, "-w", "json"]));
      assert.equal(s.revision, 2);
    });
  }

  test("the gateway's /v3/maintenance/snapshot: newline-delimited results, the database blobs then its SHA-256, as real etcd's", async () => {
    const shapes = new Map<Flavor, string[]>();
    for (const flavor of FLAVORS) {
      const server = servers.get(flavor)!;
      for (let i = 0; i < 300; i++) {
        const put = await fetch(`${server.clientUrl}/v3/kv/put`, { method: "POST", body: JSON.stringify({ key: b64(`gw/${i}`), value: b64("v".repeat(300)) }) });
        assert.equal(put.status, 200, await put.text());
      }
      const res = await fetch(`${server.clientUrl}/v3/maintenance/snapshot`, { method: "POST", body: "{}" });
      assert.equal(res.status, 200);
      const lines = (await res.text()).split("\n").filter((l) => l !== "");
      const messages = lines.map((l) => (JSON.parse(l) as { result: { blob: string; remaining_bytes?: string; version?: string } }).result);
      assert.ok(messages.length >= 3, `${flavor}: ${messages.length} messages`);
      const blobs = messages.map((m) => Buffer.from(m.blob, "base64"));
      const database = Buffer.concat(blobs.slice(0, -1));
      assert.deepEqual(blobs.at(-1), createHash("sha256").update(database).digest(), `${flavor}: the last blob is the SHA-256 of the others`);
      for (const b of blobs.slice(0, -2)) assert.equal(b.length, 32 * 1024);
      let remaining = BigInt(database.length);
      for (const m of messages.slice(0, -1)) {
        remaining -= BigInt(Buffer.from(m.blob, "base64").length);
        assert.equal(BigInt(m.remaining_bytes ?? "0"), remaining);
      }
      // etcd 3.4's gateway does not know `version` (3.6's field); ours sends 3.6's.
      shapes.set(flavor, messages.map((m) => Object.keys(m).filter((k) => k !== "version").join(",")));
      if (flavor === "ours") assert.ok(messages.every((m) => m.version === "3.6.0"));
      // The stream is a database file etcdctl reads.
      const file = join(work.path, `${flavor}-gw.db`);
      writeFileSync(file, Buffer.concat(blobs));
      status(await etcdctl("127.0.0.1:1", ["snapshot", "status", file, "-w", "json"]));
      assert.ok(readFileSync(file).length > 300 * 300);
    }
    const [real, ours] = [shapes.get("real")!, shapes.get("ours")!];
    assert.equal(ours[0], real[0]);
    assert.equal(ours.at(-1), real.at(-1));
  });
});
