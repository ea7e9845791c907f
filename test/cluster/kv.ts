/**
 * Small KV helpers for cluster tests: one put / get against member i with
 * a deadline, answering an Outcome instead of throwing.
 * @module
 */
import { PutRequest, RangeRequest } from "../../src/gen/etcdserverpb/rpc.js";
import type { Cluster } from "./cluster.js";
import { callWithDeadline } from "./rpc.js";

export async function put(cluster: Cluster, i: number, key: string, value: string, deadlineMs = 2_000) {
  const c = cluster.clients(i);
  return callWithDeadline(c.kv, c.kv.put, PutRequest.fromPartial({ key: Buffer.from(key), value: Buffer.from(value) }), deadlineMs);
}

/** The value of `key` at member i (undefined: absent), or the error. */
export async function get(cluster: Cluster, i: number, key: string, options?: { serializable?: boolean; deadlineMs?: number }) {
  const c = cluster.clients(i);
  const r = await callWithDeadline(
    c.kv,
    c.kv.range,
    RangeRequest.fromPartial({ key: Buffer.from(key), serializable: options?.serializable ?? false }),
    options?.deadlineMs ?? 2_000,
  );
  return r.ok ? { ok: true as const, value: r.value.kvs[0]?.value.toString() } : r;
}
