/**
 * A database made by real etcd 3.4 for the bbolt reader and writer tests:
 * small and large values (overflow pages), enough keys for branch pages,
 * overwrites, deletions and a compaction (history), a lease and auth users
 * and roles; saved with `etcdctl snapshot save`, and etcd's own
 * member/snap/db after a clean stop. Also the figures `etcdctl snapshot
 * status` prints, computed our way from any bucket source.
 */
import { copyFileSync } from "node:fs";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { PutRequest, RangeRequest, TxnRequest, CompactionRequest, type PutResponse, type RangeResponse } from "../../src/gen/etcdserverpb/rpc.js";
import { Crc32c } from "../../src/pkg/crc32c.js";
import type { BucketSource } from "../../src/storage/bbolt/index.js";
import { etcdctl } from "../harness/etcdctl.js";
import { connect, mustCall } from "../harness/grpc-clients.js";
import { tempDir } from "../harness/paths.js";
import { startServer } from "../harness/server-process.js";

/** What `etcdctl snapshot status -w json` prints. */
export interface SnapshotStatus {
  hash: number;
  revision: number;
  totalKey: number;
  totalSize: number;
}

export interface EtcdBackup {
  /** A temp dir holding everything below; `remove()` deletes it. */
  readonly dir: string;
  /** `etcdctl snapshot save`'s file: the database, then its SHA-256. */
  readonly snapshotPath: string;
  /** A copy of member/snap/db taken after etcd stopped. */
  readonly liveDbPath: string;
  /** Every key etcd served at the end, as Range returned it. */
  readonly served: RangeResponse["kvs"];
  /** A revision after the compaction where the deleted keys still exist, and what Range served there. */
  readonly historyRevision: bigint;
  readonly servedAtHistory: RangeResponse["kvs"];
  /** The revision compacted at: Range below it is refused. */
  readonly compactRevision: bigint;
  readonly status: SnapshotStatus;
  remove(): void;
}

/** etcd's buckets, in the order bbolt keeps them. */
export const ETCD_BUCKETS = ["alarm", "auth", "authRoles", "authUsers", "cluster", "key", "lease", "members", "members_removed", "meta"];

const MANY_KEYS = 1200;
const PER_TXN = 100;
const BIG_SIZES = [3_000, 10_000, 100_000, 1_000_000];

export async function makeRealEtcdBackup(): Promise<EtcdBackup> {
  const dir = tempDir("bbolt-etcd");
  try {
    const server = await startServer({ flavor: "real", dataDir: join(dir.path, "data") });
    let served: RangeResponse["kvs"];
    let servedAtHistory: RangeResponse["kvs"];
    let revisions: { historyRevision: bigint; compactRevision: bigint };
    const snapshotPath = join(dir.path, "snapshot.db");
    try {
      const c = connect(server.endpoint);
      try {
        revisions = await populate(c, server.endpoint);
        served = await rangeAll(c);
        servedAtHistory = await rangeAll(c, revisions.historyRevision);
      } finally {
        c.close();
      }
      const saved = await etcdctl(server.endpoint, ["snapshot", "save", snapshotPath], { timeoutMs: 60_000 });
      if (saved.code !== 0) throw new Error(`snapshot save failed: ${saved.stderr}`);
    } finally {
      await server.stop();
    }
    const liveDbPath = join(dir.path, "live.db");
    copyFileSync(join(dir.path, "data", "member", "snap", "db"), liveDbPath);
    return { dir: dir.path, snapshotPath, liveDbPath, served, servedAtHistory, ...revisions, status: await snapshotStatus(snapshotPath), remove: dir.remove };
  } catch (err) {
    dir.remove();
    throw err;
  }
}

/** Every key, at the current revision or at `revision`. */
export async function rangeAll(c: ReturnType<typeof connect>, revision = 0n): Promise<RangeResponse["kvs"]> {
  return (await mustCall<RangeRequest, RangeResponse>(c.kv, c.kv.range, RangeRequest.create({ key: Buffer.from([0]), rangeEnd: Buffer.from([0]), revision }))).kvs;
}

async function populate(c: ReturnType<typeof connect>, endpoint: string): Promise<{ historyRevision: bigint; compactRevision: bigint }> {
  const put = (key: string, value: Buffer | string, lease = 0n) => mustCall<PutRequest, PutResponse>(c.kv, c.kv.put, PutRequest.create({ key: Buffer.from(key), value: Buffer.from(value), lease }));
  for (let first = 0; first < MANY_KEYS; first += PER_TXN) {
    const success = [];
    for (let i = first; i < first + PER_TXN; i++) {
      success.push({ request: { $case: "requestPut" as const, value: PutRequest.create({ key: Buffer.from(`many/${String(i).padStart(5, "0")}`), value: Buffer.from(`value-${i}`) }) } });
    }
    await mustCall(c.kv, c.kv.txn, TxnRequest.create({ success }));
  }
  for (let i = 0; i < 20; i++) await put("many/00000", `overwritten-${i}`);
  const compactAt = (await put("many/00001", "before compaction")).header!.revision;
  let historyRevision = 0n;
  for (let i = 0; i < 10; i++) historyRevision = (await put(`gone/${i}`, "soon deleted")).header!.revision;
  await mustCall(c.kv, c.kv.deleteRange, { key: Buffer.from("gone/"), rangeEnd: Buffer.from("gone0"), prevKv: false });
  await mustCall(c.kv, c.kv.compact, CompactionRequest.create({ revision: compactAt, physical: true }));
  for (const size of BIG_SIZES) await put(`big/${size}`, randomBytes(size));
  const granted = await etcdctl(endpoint, ["lease", "grant", "3600"]);
  const leaseId = /lease ([0-9a-f]+) granted/.exec(granted.stdout)?.[1];
  if (leaseId === undefined) throw new Error(`lease grant: ${granted.stdout}${granted.stderr}`);
  await put("leased", "with a lease", BigInt(`0x${leaseId}`));
  for (const args of [["user", "add", "root", "--new-user-password=secret"], ["role", "add", "reader"], ["role", "grant-permission", "reader", "read", "many/", "--prefix=true"], ["user", "add", "alice", "--new-user-password=pw"], ["user", "grant-role", "alice", "reader"]]) {
    const r = await etcdctl(endpoint, args);
    if (r.code !== 0) throw new Error(`etcdctl ${args.join(" ")}: ${r.stderr}`);
  }
  return { historyRevision, compactRevision: compactAt };
}

/** Runs real `etcdctl snapshot status -w json` on a file. */
export async function snapshotStatus(path: string): Promise<SnapshotStatus> {
  const r = await etcdctl("127.0.0.1:1", ["snapshot", "status", path, "-w", "json"]);
  if (r.code !== 0) throw new Error(`snapshot status ${path}: exit ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as SnapshotStatus;
}

/** The hash, revision and key count `snapshot status` computes, from a bucket source (etcd's dbStatus). */
export function statusFigures(source: BucketSource): Omit<SnapshotStatus, "totalSize"> {
  const h = new Crc32c();
  let revision = 0;
  let totalKey = 0;
  for (const bucket of source.buckets()) {
    h.update(bucket.name);
    const isKey = Buffer.from(bucket.name).toString() === "key";
    for (const [k, v] of bucket.entries()) {
      h.update(k).update(v);
      if (isKey) revision = Number(Buffer.from(k).readBigUInt64BE(0));
      totalKey++;
    }
  }
  return { hash: h.sum(), revision, totalKey };
}
