import { test } from "node:test";
import assert from "node:assert/strict";
import { EtcdError } from "../../pkg/errors.js";
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
  assert.equal(proposed.length, 2);
});
