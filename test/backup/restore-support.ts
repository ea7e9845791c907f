/**
 * What the restore and migrate tests share: a real etcd 3.4 member filled
 * with keys (overwritten, deleted, leased), a compaction, users and roles
 * with auth enabled; etcdctl as root against either server; and what a
 * client sees of a store (every key with its revisions, HashKV).
 */
import { etcdctl, type CtlResult } from "../harness/etcdctl.js";

export const ROOT = ["--user", "root:secret"];

export interface Filled {
  /** The lease attached to `leased/k`, hex as etcdctl prints it. */
  readonly leaseId: string;
  /** Revisions at or below it are compacted. */
  readonly compactedAt: number;
  /** The store's revision when filling ended. */
  readonly revision: number;
}

export async function ctl(endpoint: string, args: string[]): Promise<CtlResult> {
  return etcdctl(endpoint, args, { timeoutMs: 60_000 });
}

export async function mustCtl(endpoint: string, args: string[]): Promise<string> {
  const r = await ctl(endpoint, args);
  if (r.code !== 0) throw new Error(`etcdctl ${args.join(" ")}: exit ${r.code}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** Keys, overwrites, deletions, a compaction, a lease, users and roles, then auth on (root:secret). */
export async function fillRealEtcd(endpoint: string): Promise<Filled> {
  for (let i = 0; i < 30; i++) await mustCtl(endpoint, ["put", `app/key-${String(i).padStart(2, "0")}`, `v${i}`]);
  for (let i = 0; i < 5; i++) await mustCtl(endpoint, ["put", "app/key-00", `overwritten-${i}`]);
  await mustCtl(endpoint, ["del", "app/key-29"]);
  const compactedAt = revisionOf(await mustCtl(endpoint, ["put", "app/key-01", "before compaction", "-w", "json"]));
  await mustCtl(endpoint, ["compact", String(compactedAt)]);
  await mustCtl(endpoint, ["put", "app/key-02", "after compaction"]);
  const leaseId = /lease ([0-9a-f]+) granted/.exec(await mustCtl(endpoint, ["lease", "grant", "3600"]))![1]!;
  await mustCtl(endpoint, ["put", "leased/k", "with a lease", "--lease", leaseId]);
  for (const args of [
    ["user", "add", "root", "--new-user-password=secret"],
    ["user", "grant-role", "root", "root"],
    ["role", "add", "reader"],
    ["role", "grant-permission", "reader", "read", "app/", "--prefix=true"],
    ["user", "add", "alice", "--new-user-password=pw"],
    ["user", "grant-role", "alice", "reader"],
    ["auth", "enable"],
  ]) {
    await mustCtl(endpoint, args);
  }
  const revision = revisionOf(await mustCtl(endpoint, [...ROOT, "get", "app/key-00", "-w", "json"]));
  return { leaseId, compactedAt, revision };
}

export function revisionOf(json: string): number {
  return Number((JSON.parse(json) as { header: { revision: number } }).header.revision);
}

interface JsonKv {
  key: string;
  create_revision: number;
  mod_revision: number;
  version: number;
  value: string;
  lease?: number;
}

/** Every key as a client reads it (as root), with the header's revision. */
export async function everyKey(endpoint: string): Promise<{ revision: number; kvs: JsonKv[] }> {
  const parsed = JSON.parse(await mustCtl(endpoint, [...ROOT, "get", "", "--from-key", "-w", "json"])) as { header: { revision: number }; kvs: JsonKv[] };
  return { revision: Number(parsed.header.revision), kvs: parsed.kvs };
}

/** HashKV at `rev` as `etcdctl endpoint hashkv` prints it. */
export async function hashKv(endpoint: string, rev: number): Promise<{ hash: number; compact_revision: number }> {
  const parsed = JSON.parse(await mustCtl(endpoint, [...ROOT, "endpoint", "hashkv", "--rev", String(rev), "-w", "json"])) as { HashKV: { hash: number; compact_revision: number } }[];
  return { hash: parsed[0]!.HashKV.hash, compact_revision: parsed[0]!.HashKV.compact_revision };
}
