// The KV request paths refuse a request whose call was already cancelled before any work: no ReadIndex round, no store read, no proposal.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ManualClock } from "../../pkg/clock.js";
import { EtcdError } from "../../pkg/errors.js";
import { IdGenerator } from "../../pkg/id-generator.js";
import { WaitRegistry } from "../../pkg/wait.js";
import type { KVStore } from "../../storage/mvcc/index.js";
import type { Cancellation } from "../api.js";
import { AppliedIndex } from "../apply/applied-index.js";
import type { ApplyResult } from "../apply/apply-result.js";
import { Quota } from "../maintenance/quota.js";
import { Proposer } from "../proposals/proposer.js";
import { LinearizableReads } from "../proposals/read-index.js";
import { KvRequests } from "./kv-requests.js";
import { opRange, putReq, rangeReq, txnReq } from "./test-support.js";

/** KvRequests over a real proposer and ReadIndex reads whose raft side only counts what it is asked. */
function harness() {
  const asked = { readIndex: 0, proposals: 0, storeReads: 0 };
  const count = (what: "readIndex" | "proposals") => (): void => {
    asked[what]++;
  };
  const reads = new LinearizableReads({ readIndex: count("readIndex"), wake: () => {} }, new AppliedIndex(0n));
  const proposer = new Proposer(
    { propose: count("proposals"), proposeConfChange: count("proposals"), wake: () => {}, committedIndex: () => 0n, appliedIndex: () => 0n },
    new IdGenerator(1n, 0),
    new WaitRegistry<ApplyResult>(),
    { maxRequestBytes: 1 << 20, requestTimeoutMs: 60_000 },
    new ManualClock(),
  );
  // Any use of the store counts as a read.
  const store = new Proxy({} as KVStore, {
    get: () => {
      asked.storeReads++;
      return () => assert.fail("the store was read");
    },
  });
  const kv = new KvRequests({
    store,
    proposer,
    reads,
    header: { header: () => ({ clusterId: 1n, memberId: 1n, revision: 1n, raftTerm: 1n }), hasLeader: () => true, onLeaderLost: () => () => {} },
    quota: new Quota(-1, () => 0),
    raiseNoSpace: async () => {},
  });
  return { kv, asked };
}

/** A cancellation as the gRPC edge passes it, aborted or abortable. */
function cancellation(aborted: boolean): Cancellation & { abort(): void } {
  const listeners = new Set<() => void>();
  return {
    get aborted() {
      return aborted;
    },
    addEventListener: (_type, l) => void listeners.add(l),
    removeEventListener: (_type, l) => void listeners.delete(l),
    abort() {
      aborted = true;
      for (const l of listeners) l();
    },
  };
}

const canceled = (e: unknown): boolean => e instanceof EtcdError && e.kind === "Timeout" && e.message === "Timeout: request canceled by client";
const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

test("a Range whose call is already cancelled starts no ReadIndex round and reads nothing", async () => {
  const { kv, asked } = harness();
  await assert.rejects(kv.range(rangeReq("k"), cancellation(true)), canceled);
  await assert.rejects(kv.range(rangeReq("k", { serializable: true }), cancellation(true)), canceled);
  await assert.rejects(kv.txn(txnReq([], [opRange(rangeReq("k"))]), cancellation(true)), canceled);
  await turn();
  assert.deepEqual(asked, { readIndex: 0, proposals: 0, storeReads: 0 });
});

test("a Range whose call is live starts its round; cancelling it then rejects it without a store read", async () => {
  const { kv, asked } = harness();
  const call = cancellation(false);
  const pending = kv.range(rangeReq("k"), call);
  await turn();
  assert.equal(asked.readIndex, 1, "the round started");
  call.abort();
  await assert.rejects(pending, canceled);
  assert.equal(asked.storeReads, 0);
});

test("writes whose call is already cancelled are not proposed", async () => {
  const { kv, asked } = harness();
  await assert.rejects(kv.put(putReq("k", "v"), cancellation(true)), canceled);
  await assert.rejects(kv.deleteRange({ key: Buffer.from("k"), rangeEnd: Buffer.alloc(0), prevKv: false }, cancellation(true)), canceled);
  await assert.rejects(kv.compact({ revision: 1n, physical: false }, cancellation(true)), canceled);
  await turn();
  assert.deepEqual(asked, { readIndex: 0, proposals: 0, storeReads: 0 });
});
