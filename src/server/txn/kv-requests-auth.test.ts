// The KV request paths act as their caller: reads are checked on this member before the store is read; writes are proposed with the resolved caller; a bad token stops everything.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { AuthInfo } from "../../auth/index.js";
import { EtcdError, type ErrorKind } from "../../pkg/errors.js";
import { MemoryBackend } from "../../storage/backend/memory-backend.js";
import { KVStore } from "../../storage/mvcc/kvstore.js";
import type { ApplyResult } from "../apply/apply-result.js";
import { Quota } from "../maintenance/quota.js";
import type { Proposer, RaftRequestBody } from "../proposals/proposer.js";
import type { LinearizableReads } from "../proposals/read-index.js";
import { creds, FakeGate } from "./auth-test-support.js";
import * as ops from "./index.js";
import { KvRequests } from "./kv-requests.js";
import { cmp, delReq, opPut, opRange, putReq, rangeReq, seed, txnReq } from "./test-support.js";

/** KvRequests over a seeded memory store whose reads are counted, and a "log" that records each proposal with its caller and applies it at once. */
function harness(gate: FakeGate | undefined) {
  const store = new KVStore({ backend: new MemoryBackend() });
  seed(store, [
    ["a/1", "x"],
    ["b/1", "y"],
  ]);
  const counted = { storeReads: 0, barriers: 0 };
  const watched = new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === "range" || prop === "read") counted.storeReads++;
      const v: unknown = Reflect.get(target, prop, receiver);
      return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  const proposals: { body: RaftRequestBody; auth: AuthInfo | undefined }[] = [];
  const proposer = {
    propose: async (body: RaftRequestBody, _signal: unknown, auth?: AuthInfo): Promise<ApplyResult> => {
      proposals.push({ body, auth });
      if (body.put !== undefined) return { ok: true, response: ops.put(store, body.put, ops.NO_LEASES) } as ApplyResult;
      if (body.deleteRange !== undefined) return { ok: true, response: ops.deleteRange(store, body.deleteRange) } as ApplyResult;
      if (body.txn !== undefined) return { ok: true, response: ops.txn(store, body.txn, ops.NO_LEASES) } as ApplyResult;
      return { ok: true, response: ops.compaction(store, body.compaction!).response } as ApplyResult;
    },
  } as unknown as Proposer;
  const reads = {
    barrier: async () => {
      counted.barriers++;
    },
  } as unknown as LinearizableReads;
  const kv = new KvRequests({
    ...(gate !== undefined ? { auth: gate } : {}),
    store: watched,
    proposer,
    reads,
    header: { header: (revision?: bigint) => ({ clusterId: 1n, memberId: 1n, revision: revision ?? store.rev, raftTerm: 1n }), hasLeader: () => true },
    quota: new Quota(-1, () => 0),
    raiseNoSpace: async () => {},
  });
  return { kv, store, counted, proposals };
}

const kindIs =
  (kind: ErrorKind) =>
  (e: unknown): boolean =>
    e instanceof EtcdError && e.kind === kind;

const readOnlyTxn = txnReq([cmp("a/1", "version", ">", 0n)], [opRange(rangeReq("a/1"))]);

test("with auth off the gate is not asked anything and writes carry no caller", async () => {
  const gate = new FakeGate();
  gate.enabled = false;
  const { kv, proposals } = harness(gate);
  assert.equal((await kv.range(rangeReq("a/1"), undefined, creds("nobody"))).kvs.length, 1);
  await kv.txn(readOnlyTxn, undefined, creds("nobody"));
  await kv.put(putReq("a/2", "v"), undefined, creds("nobody"));
  assert.deepEqual(gate.asked, []);
  assert.equal(proposals[0]!.auth, undefined);
});

test("a Range is checked after its barrier and then read; refused, the store is not read", async () => {
  const gate = new FakeGate();
  const alice = gate.user("alice", "a/");
  const { kv, counted } = harness(gate);

  const resp = await kv.range(rangeReq("a/", { rangeEnd: Buffer.from("a0") }), undefined, alice);
  assert.deepEqual(
    resp.kvs.map((k) => k.key.toString()),
    ["a/1"],
  );
  assert.deepEqual(gate.asked, ["identify", "checkRange a/"]);
  assert.equal(counted.barriers, 1);

  const reads = counted.storeReads;
  await assert.rejects(kv.range(rangeReq("b/1"), undefined, alice), kindIs("PermissionDenied"));
  await assert.rejects(kv.range(rangeReq("a/1"), undefined, creds("forged")), kindIs("InvalidAuthToken"));
  await assert.rejects(kv.range(rangeReq("a/1", { serializable: true }), undefined, undefined), kindIs("UserEmpty"));
  assert.equal(counted.storeReads, reads, "nothing was read for a refused range");
});

test("a read-only Txn is checked whole (compares and ops) before it is read", async () => {
  const gate = new FakeGate();
  const alice = gate.user("alice", "a/");
  const { kv, counted } = harness(gate);
  const ok = await kv.txn(readOnlyTxn, undefined, alice);
  assert.equal(ok.succeeded, true);
  assert.deepEqual(gate.asked, ["identify", "checkTxn"]);

  const reads = counted.storeReads;
  const peeks = txnReq([cmp("b/1", "version", ">", 0n)], [opRange(rangeReq("a/1"))]);
  await assert.rejects(kv.txn(peeks, undefined, alice), kindIs("PermissionDenied"));
  const otherBranch = txnReq([], [opRange(rangeReq("a/1"))], [opRange(rangeReq("b/1"))]);
  await assert.rejects(kv.txn(otherBranch, undefined, alice), kindIs("PermissionDenied"));
  assert.equal(counted.storeReads, reads);
});

test("a read whose auth store changed after its caller was resolved is refused: auth revision is old", async () => {
  const gate = new FakeGate();
  gate.user("alice", "a/");
  const release = gate.hold("late-token", "alice");
  const { kv } = harness(gate);
  const pending = kv.range(rangeReq("a/1"), undefined, creds("late-token"));
  await new Promise((r) => setImmediate(r));
  release();
  gate.change(); // before the read's continuation runs
  await assert.rejects(pending, kindIs("AuthOldRevision"));
});

test("writes are proposed with the resolved caller; applying checks them, so a write outside the user's keys is still proposed", async () => {
  const gate = new FakeGate();
  const alice = gate.user("alice", "a/");
  const { kv, proposals } = harness(gate);
  await kv.put(putReq("a/2", "v"), undefined, alice);
  await kv.deleteRange(delReq("b/1"), undefined, alice);
  await kv.txn(txnReq([], [opPut(putReq("a/3", "v"))]), undefined, alice);
  await kv.compact({ revision: 1n, physical: false }, undefined, alice);
  assert.deepEqual(
    proposals.map((p) => p.auth),
    [1, 2, 3, 4].map(() => ({ username: "alice", revision: 1n })),
  );
  assert.deepEqual(
    proposals.map((p) => Object.keys(p.body)[0]),
    ["put", "deleteRange", "txn", "compaction"],
  );
  assert.ok(!gate.asked.some((a) => a.startsWith("check")), "writes are checked when applied, not here");
});

test("a write with an invalid token is refused before anything is proposed", async () => {
  const gate = new FakeGate();
  const { kv, proposals, store } = harness(gate);
  const rev = store.rev;
  const forged = creds("forged");
  await assert.rejects(kv.put(putReq("a/2", "v"), undefined, forged), kindIs("InvalidAuthToken"));
  await assert.rejects(kv.deleteRange(delReq("a/1"), undefined, forged), kindIs("InvalidAuthToken"));
  await assert.rejects(kv.txn(txnReq([], [opPut(putReq("a/3", "v"))]), undefined, forged), kindIs("InvalidAuthToken"));
  await assert.rejects(kv.compact({ revision: 1n, physical: false }, undefined, forged), kindIs("InvalidAuthToken"));
  assert.equal(proposals.length, 0);
  assert.equal(store.rev, rev);
});

test("a write whose token is not known yet waits for it, then is proposed as that user", async () => {
  const gate = new FakeGate();
  const release = gate.hold("fresh-token", "alice");
  const { kv, proposals } = harness(gate);
  const pending = kv.put(putReq("a/2", "v"), undefined, creds("fresh-token"));
  await new Promise((r) => setImmediate(r));
  assert.equal(proposals.length, 0, "not proposed while the token is unknown");
  release();
  await pending;
  assert.deepEqual(proposals[0]!.auth, { username: "alice", revision: 1n });
});
