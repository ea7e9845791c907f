/**
 * Differential test: the same Lock and Election calls (uncontended, so the
 * answers are deterministic) to real etcd 3.4 and to ours; responses and
 * errors must match after masking member/cluster ids and the raft term.
 * Leases are granted with the same explicit ids on both, so lock and
 * leader keys match too.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { LeaderKey } from "../../src/gen/v3electionpb/v3election.js";
import { bothServers } from "../harness/both-servers.js";
import { concurrencyClients, type ConcurrencyClients } from "./clients.js";

const clients = bothServers(concurrencyClients);

function normalize(value: unknown): string {
  return JSON.stringify(value, (key, v: unknown) => {
    if (key === "clusterId" || key === "memberId" || key === "raftTerm") return "X";
    if (typeof v === "bigint") return v.toString();
    if (v !== null && typeof v === "object" && (v as { type?: string }).type === "Buffer") return Buffer.from((v as { data: number[] }).data).toString();
    return v;
  });
}

interface State {
  leader?: LeaderKey;
  lockKey?: Buffer;
}

type Step = (c: ConcurrencyClients, s: State) => Promise<unknown>;

const steps: [string, Step][] = [
  ["grant lease 0x1a", (c) => c.lease.grant(60n, 0x1an)],
  ["grant lease 0x2b", (c) => c.lease.grant(60n, 0x2bn)],
  ["lock l1 with lease 0x1a", async (c, s) => {
    const r = await c.lock("l1", 0x1an);
    if (r.ok) s.lockKey = r.value.key;
    return r;
  }],
  ["lock l1 again with the same lease (re-entrant)", (c) => c.lock("l1", 0x1an)],
  ["lock l2 with an unknown lease", (c) => c.lock("l2", 0x999n)],
  ["unlock l1", (c, s) => c.unlock(s.lockKey!)],
  ["unlock a missing key", (c) => c.unlock(Buffer.from("nope"))],
  ["leader of an empty election", (c) => c.leader("e1")],
  ["campaign e1 with 0x1a", async (c, s) => {
    const r = await c.campaign("e1", 0x1an, "v1");
    if (r.ok) s.leader = r.value.leader;
    return r;
  }],
  ["leader e1", (c) => c.leader("e1")],
  ["campaign e1 again, same lease, new value", (c) => c.campaign("e1", 0x1an, "v2")],
  ["proclaim v3", (c, s) => c.proclaim(s.leader, "v3")],
  ["proclaim with a stale rev", (c, s) => c.proclaim({ ...s.leader!, rev: s.leader!.rev + 50n }, "zz")],
  ["proclaim without leader", (c) => c.proclaim(undefined, "zz")],
  ["leader e1 after proclaims", (c) => c.leader("e1")],
  ["resign with a stale rev", (c, s) => c.resign({ ...s.leader!, rev: s.leader!.rev + 50n })],
  ["resign without leader", (c) => c.resign(undefined)],
  ["resign", (c, s) => c.resign(s.leader)],
  ["leader e1 after resign", (c) => c.leader("e1")],
  ["campaign with an unknown lease", (c) => c.campaign("e2", 0x998n, "x")],
  ["range everything left", (c) => c.lease.range("e")],
];

test("Lock and Election calls answer exactly as real etcd", async () => {
  const state = { real: {} as State, ours: {} as State };
  const mismatches: string[] = [];
  for (const [name, step] of steps) {
    const [real, ours] = await Promise.all([step(clients.real!, state.real), step(clients.ours!, state.ours)]);
    const a = normalize(real);
    const b = normalize(ours);
    if (a !== b) mismatches.push(`${name}\n  real: ${a}\n  ours: ${b}`);
  }
  assert.equal(mismatches.length, 0, mismatches.join("\n"));
});
