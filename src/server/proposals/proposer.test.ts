import { test } from "node:test";
import assert from "node:assert/strict";
import { EtcdError } from "../../pkg/errors.js";
import { ManualClock } from "../../pkg/clock.js";
import { IdGenerator } from "../../pkg/id-generator.js";
import { WaitRegistry } from "../../pkg/wait.js";
import type { ApplyResult } from "../apply/apply-result.js";
import { Proposer } from "./proposer.js";

test("a proposal raft refuses rejects the caller and leaves no unhandled rejection behind", async () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (e: unknown): void => void unhandled.push(e);
  process.on("unhandledRejection", onUnhandled);
  try {
    const waits = new WaitRegistry<ApplyResult>();
    const proposer = new Proposer(
      {
        propose: () => {
          throw new EtcdError("NoLeader");
        },
        proposeConfChange: () => {},
        wake: () => {},
        committedIndex: () => 0n,
        appliedIndex: () => 0n,
      },
      new IdGenerator(1n, 0),
      waits,
      { maxRequestBytes: 1 << 20, requestTimeoutMs: 1000 },
      new ManualClock(),
    );
    await assert.rejects(proposer.propose({ put: { key: Buffer.from("k"), value: Buffer.alloc(0), lease: 0n, prevKv: false, ignoreValue: false, ignoreLease: false } }), (e: unknown) => e instanceof EtcdError && e.kind === "NoLeader");
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(unhandled, []);
    assert.equal(waits.size, 0);
  } finally {
    process.off("unhandledRejection", onUnhandled);
  }
});

test("a proposal whose caller gives up releases its waiter, also when it gave up before proposing", async () => {
  const waits = new WaitRegistry<ApplyResult>();
  const proposed: Buffer[] = [];
  const proposer = new Proposer(
    { propose: (data) => proposed.push(data), proposeConfChange: () => {}, wake: () => {}, committedIndex: () => 0n, appliedIndex: () => 0n },
    new IdGenerator(1n, 0),
    waits,
    { maxRequestBytes: 1 << 20, requestTimeoutMs: 60_000 },
    new ManualClock(),
  );
  const put = { put: { key: Buffer.from("k"), value: Buffer.alloc(0), lease: 0n, prevKv: false, ignoreValue: false, ignoreLease: false } };
  const canceled = (e: unknown): boolean => e instanceof EtcdError && e.kind === "Timeout" && e.message.includes("canceled");

  const caller = new AbortController();
  const pending = proposer.propose(put, caller.signal);
  await new Promise((r) => setImmediate(r));
  assert.equal(waits.size, 1);
  caller.abort();
  await assert.rejects(pending, canceled);
  assert.equal(waits.size, 0, "the waiter is released");

  await assert.rejects(proposer.propose(put, AbortSignal.abort()), canceled);
  assert.equal(waits.size, 0);
  assert.equal(proposed.length, 1, "the request whose caller had already given up was not proposed");
});

test("a request whose call is already cancelled is refused before it is proposed: writes and conf changes", async () => {
  const waits = new WaitRegistry<ApplyResult>();
  const proposed: unknown[] = [];
  const ids = new IdGenerator(1n, 0);
  const proposer = new Proposer(
    { propose: (data) => proposed.push(data), proposeConfChange: (cc) => proposed.push(cc), wake: () => {}, committedIndex: () => 0n, appliedIndex: () => 0n },
    ids,
    waits,
    { maxRequestBytes: 1 << 20, requestTimeoutMs: 60_000 },
    new ManualClock(),
  );
  // The gRPC edge's own kind of cancellation (no AbortSignal), already aborted.
  const cancelled = { aborted: true, addEventListener: () => assert.fail("no listener needed"), removeEventListener: () => {} };
  const canceled = (e: unknown): boolean => e instanceof EtcdError && e.kind === "Timeout" && e.message === "Timeout: request canceled by client";
  const put = { put: { key: Buffer.from("k"), value: Buffer.alloc(0), lease: 0n, prevKv: false, ignoreValue: false, ignoreLease: false } };
  await assert.rejects(proposer.propose(put, cancelled), canceled);
  await assert.rejects(proposer.proposeConfChange({ type: 0, nodeId: 2n, context: Buffer.alloc(0) }, cancelled), canceled);
  assert.deepEqual(proposed, []);
  assert.equal(waits.size, 0);
  assert.equal(proposer.failed, 2, "counted as failed proposals, as etcd counts them");
  assert.equal(ids.next(), new IdGenerator(1n, 0).next(), "no request id was used up");
});

test("a proposal not applied within the request timeout fails with 'request timed out' at the first sweep past its deadline", async () => {
  const waits = new WaitRegistry<ApplyResult>();
  const clock = new ManualClock();
  const proposer = new Proposer(
    { propose: () => {}, proposeConfChange: () => {}, wake: () => {}, committedIndex: () => 0n, appliedIndex: () => 0n },
    new IdGenerator(1n, 0),
    waits,
    { maxRequestBytes: 1 << 20, requestTimeoutMs: 1000 },
    clock,
  );
  let settled: unknown;
  const pending = proposer.propose({ put: { key: Buffer.from("k"), value: Buffer.alloc(0), lease: 0n, prevKv: false, ignoreValue: false, ignoreLease: false } }).then(
    () => (settled = "applied"),
    (e: unknown) => (settled = e),
  );
  clock.advance(999);
  proposer.expire(clock.nowMs());
  await new Promise((r) => setImmediate(r));
  assert.equal(settled, undefined, "not before its deadline");
  clock.advance(1);
  proposer.expire(clock.nowMs());
  const outcome: unknown = await pending;
  assert.ok(outcome instanceof EtcdError && outcome.kind === "Timeout" && !outcome.message.includes("canceled"), String(outcome));
  assert.equal(waits.size, 0);
});
