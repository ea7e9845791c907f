import { test } from "node:test";
import assert from "node:assert/strict";
import { EtcdError } from "../../pkg/errors.js";
import { AppliedIndex } from "../apply/applied-index.js";
import { LinearizableReads } from "./read-index.js";

function setup() {
  const sent: Buffer[] = [];
  const applied = new AppliedIndex(5n);
  const reads = new LinearizableReads({ readIndex: (ctx) => sent.push(ctx), wake: () => {} }, applied);
  return { sent, applied, reads };
}

const tick = () => new Promise((r) => setImmediate(r));

test("one ReadIndex round serves every read that arrived before it was sent; later reads wait for the next", async () => {
  const { sent, applied, reads } = setup();
  const a = reads.barrier();
  const b = reads.barrier();
  await tick();
  assert.equal(sent.length, 1, "reads of one tick share a round");
  const c = reads.barrier(); // arrives after the round was sent: joins the next one
  let done = "";
  void a.then(() => (done += "a"));
  void b.then(() => (done += "b"));
  void c.then(() => (done += "c"));
  reads.onReadStates([{ index: 7n, requestCtx: sent[0]! }]);
  await tick();
  assert.equal(done, "", "not before the applied index reaches the read index");
  applied.advance(7n);
  await tick();
  assert.equal(done, "ab");
  assert.equal(sent.length, 2, "the queued read started the next round");
  reads.onReadStates([{ index: 7n, requestCtx: sent[1]! }]);
  await c;
});

test("an unanswered round is re-sent, then times out; a leader change fails only the round in flight", async () => {
  const { sent, reads } = setup();
  const a = reads.barrier();
  await tick();
  reads.onTick(2, 5);
  assert.equal(sent.length, 1);
  reads.onTick(2, 5);
  assert.equal(sent.length, 2, "re-sent after the retry ticks");
  assert.deepEqual(sent[0], sent[1], "the retry reuses the request context");
  reads.onTick(2, 5);
  reads.onTick(2, 5);
  reads.onTick(2, 5);
  await assert.rejects(a, (e: unknown) => e instanceof EtcdError && e.kind === "Timeout");

  const b = reads.barrier();
  const c = reads.barrier();
  await tick();
  reads.failInFlight(new EtcdError("LeaderChanged"));
  await assert.rejects(b, (e: unknown) => e instanceof EtcdError && e.kind === "LeaderChanged");
  await assert.rejects(c, (e: unknown) => e instanceof EtcdError && e.kind === "LeaderChanged");
  const d = reads.barrier();
  await tick();
  reads.onReadStates([{ index: 1n, requestCtx: sent[sent.length - 1]! }]);
  await d;
});

test("a read whose caller gives up stops waiting and leaves its round; the others are still served", async () => {
  const { sent, applied, reads } = setup();
  const canceledRead = (e: unknown): boolean => e instanceof EtcdError && e.kind === "Timeout" && e.message.includes("canceled");

  // Given up while queued for the next round.
  const queued = new AbortController();
  const a = reads.barrier(queued.signal);
  const b = reads.barrier();
  assert.equal(reads.waiting, 2);
  queued.abort();
  await assert.rejects(a, canceledRead);
  assert.equal(reads.waiting, 1, "the read left the queue");

  // Given up while its round is in flight.
  await tick();
  const inFlight = new AbortController();
  const c = reads.barrier(inFlight.signal);
  await tick();
  reads.onReadStates([{ index: 5n, requestCtx: sent[0]! }]);
  await b;
  assert.equal(sent.length, 2, "the later read started its own round");
  inFlight.abort();
  await assert.rejects(c, canceledRead);
  assert.equal(reads.waiting, 0, "nothing is left waiting");

  // Given up before asking: refused at once, nothing queued.
  await assert.rejects(reads.barrier(AbortSignal.abort()), canceledRead);
  assert.equal(reads.waiting, 0);

  // An abort after the read was served changes nothing.
  const late = new AbortController();
  const d = reads.barrier(late.signal);
  await tick();
  reads.onReadStates([{ index: 6n, requestCtx: sent[sent.length - 1]! }]); // the round the read that gave up had left
  reads.onReadStates([{ index: 6n, requestCtx: sent[sent.length - 1]! }]); // the round of `d`
  applied.advance(6n);
  await d;
  late.abort();
  assert.equal(reads.waiting, 0);
});
