/**
 * Differential test: the same Lease requests (and leased KV requests) over
 * raw gRPC to real etcd 3.4 and to ours; responses and errors (code and
 * message) must be identical after masking what legitimately differs:
 * member/cluster ids, the raft term, server-chosen lease ids, and the
 * clock-dependent remaining TTL (checked to be within the granted TTL).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import { TxnRequest, type TxnResponse } from "../../src/gen/etcdserverpb/rpc.js";
import { call } from "../harness/grpc-clients.js";
import { bothServers } from "../harness/both-servers.js";
import { leaseClients, type LeaseClients } from "./lease-client.js";

const clients = bothServers(leaseClients);

type Step = (c: LeaseClients, picked: bigint[]) => Promise<unknown>;

/** JSON with bigints as strings and buffers as text; remaining TTL masked. */
function normalize(value: unknown): string {
  return JSON.stringify(value, (key, v: unknown) => {
    if (key === "clusterId" || key === "memberId" || key === "raftTerm") return "X";
    if (typeof v === "bigint") return v.toString();
    if (v !== null && typeof v === "object" && (v as { type?: string }).type === "Buffer") return Buffer.from((v as { data: number[] }).data).toString();
    return v;
  });
}

const steps: [string, Step][] = [
  ["grant id 100 ttl 5", (c) => c.grant(5n, 100n)],
  ["grant id 101 ttl 1 (raised to the minimum)", (c) => c.grant(1n, 101n)],
  ["grant id 100 again", (c) => c.grant(5n, 100n)],
  ["grant ttl 9e9+1", (c) => c.grant(9_000_000_001n, 102n)],
  ["grant ttl 9e9", (c) => c.grant(9_000_000_000n, 103n)],
  ["grant ttl -5", (c) => c.grant(-5n, 104n)],
  ["grant negative id", (c) => c.grant(10n, -5n)],
  [
    "grant id 0 (server picks)",
    async (c, picked) => {
      const r = await c.grant(7n, 0n);
      if (!r.ok) return r;
      picked.push(r.value.ID);
      return { positive: r.value.ID > 0n, TTL: r.value.TTL, revision: r.value.revision };
    },
  ],
  ["put k/1 lease 100", (c) => c.put("k/1", "a", 100n)],
  ["put k/2 lease 100", (c) => c.put("k/2", "b", 100n)],
  ["put k/3 lease 999", (c) => c.put("k/3", "c", 999n)],
  ["put k/4 lease -5", (c) => c.put("k/4", "d", -5n)],
  [
    "txn put with an unknown lease",
    (c) =>
      call<TxnRequest, TxnResponse>(
        c.kv,
        c.kv.txn,
        TxnRequest.fromPartial({ success: [{ request: { $case: "requestPut", value: { key: Buffer.from("k/5"), value: Buffer.from("e"), lease: 998n } } }] }),
      ),
  ],
  [
    "timetolive 100 with keys",
    async (c) => {
      const r = await c.timeToLive(100n, true);
      if (!r.ok) return r;
      const { TTL, keys, ...rest } = r.value;
      return { ...rest, ttlWithinGranted: TTL > 0n && TTL <= r.value.grantedTTL, keys: keys.map(String).sort() };
    },
  ],
  ["timetolive 999", (c) => c.timeToLive(999n, true)],
  [
    "keepalive 100, 999, 101",
    async (c) => {
      const s = c.keepAliveStream();
      const out = [await s.send(100n), await s.send(999n), await s.send(101n)];
      const status = await s.end();
      return { out, status: { code: status.code } };
    },
  ],
  ["leases", async (c, picked) => {
    const r = await c.leases();
    return r.ok ? r.value.map((id) => (picked.includes(id) ? "picked" : id)).sort((a, b) => String(a).localeCompare(String(b))) : r;
  }],
  ["revoke 100", (c) => c.revoke(100n)],
  ["range k/", (c) => c.range("k/")],
  ["revoke 100 again", (c) => c.revoke(100n)],
  ["revoke 999", (c) => c.revoke(999n)],
  ["timetolive 100 after revoke", (c) => c.timeToLive(100n)],
  ["put k/6 lease 101", (c) => c.put("k/6", "f", 101n)],
  ["overwrite k/6 without lease", (c) => c.put("k/6", "g", 0n)],
  ["timetolive 101 keys (detached)", async (c) => {
    const r = await c.timeToLive(101n, true);
    return r.ok ? { keys: r.value.keys.map(String), granted: r.value.grantedTTL } : r;
  }],
  ["revoke 101 (no keys: no new revision)", (c) => c.revoke(101n)],
  ["revoke -5 (one key)", (c) => c.revoke(-5n)],
  ["range k/ at the end", (c) => c.range("k/")],
  ["revoke 103, 104", async (c) => [await c.revoke(103n), await c.revoke(104n)]],
];

test("Lease requests answer exactly as real etcd", async () => {
  const picked = { real: [] as bigint[], ours: [] as bigint[] };
  const mismatches: string[] = [];
  for (const [name, step] of steps) {
    const [real, ours] = await Promise.all([step(clients.real!, picked.real), step(clients.ours!, picked.ours)]);
    const a = normalize(real);
    const b = normalize(ours);
    if (a !== b) mismatches.push(`${name}\n  real: ${a}\n  ours: ${b}`);
  }
  assert.equal(mismatches.length, 0, mismatches.join("\n"));
});

test("a LeaseKeepAlive stream asking for hasleader works on a member with a leader", async () => {
  const md = new grpc.Metadata();
  md.set("hasleader", "true");
  for (const c of [clients.real!, clients.ours!]) {
    const g = await c.grant(30n);
    assert.ok(g.ok);
    const stream = c.lease.leaseKeepAlive(md);
    const resp = await new Promise<{ TTL: bigint }>((resolve, reject) => {
      stream.once("data", resolve);
      stream.once("error", reject);
      stream.write({ ID: g.value.ID });
    });
    assert.equal(resp.TTL, 30n);
    stream.end();
  }
});
