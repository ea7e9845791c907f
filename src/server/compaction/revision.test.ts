import assert from "node:assert/strict";
import { test } from "node:test";
import { REVISION_ROUND_MS, RevisionCompactor } from "./revision.js";
import { CompactorRig } from "./test-support.js";

/** A leading revision compactor keeping `retention` revisions over `rig`. */
function leading(rig: CompactorRig, retention: bigint): RevisionCompactor {
  const compactor = new RevisionCompactor(retention, rig.deps);
  compactor.onLeadership(true);
  compactor.start();
  return compactor;
}

test("every 5 minutes: compacts to current − retention", async () => {
  const rig = new CompactorRig();
  rig.rev = 20n;
  const compactor = leading(rig, 5n);
  await rig.step(REVISION_ROUND_MS - 1);
  assert.deepEqual(rig.requests, [], "nothing before the first round");
  await rig.step(1);
  assert.deepEqual(rig.requests, [15n]);
  assert.deepEqual(rig.messages(), ["starting auto revision compaction", "completed auto revision compaction"]);
  assert.deepEqual(rig.logs[0]!.fields, { revision: "15", "revision-compaction-retention": "5" });
  rig.rev = 1000n;
  await rig.step(REVISION_ROUND_MS);
  assert.deepEqual(rig.requests, [15n, 995n]);
  assert.deepEqual(rig.applied, rig.requests);
  compactor.stop();
});

test("nothing to compact: fewer revisions than the retention, or no write since the last compaction", async () => {
  const rig = new CompactorRig();
  rig.rev = 5n;
  const compactor = leading(rig, 5n);
  await rig.step(REVISION_ROUND_MS, 3);
  assert.deepEqual(rig.requests, [], "current − retention is not positive");
  rig.rev = 9n;
  await rig.step(REVISION_ROUND_MS, 3);
  assert.deepEqual(rig.requests, [4n], "the same target is not compacted twice");
  assert.equal(rig.logs.length, 2);
  rig.rev = 10n;
  await rig.step(REVISION_ROUND_MS);
  assert.deepEqual(rig.requests, [4n, 5n]);
  compactor.stop();
});

test("a follower does not compact; it starts at the first round after it becomes leader, and stops when it no longer leads", async () => {
  const rig = new CompactorRig();
  rig.rev = 100n;
  const compactor = new RevisionCompactor(10n, rig.deps);
  compactor.start();
  await rig.step(REVISION_ROUND_MS, 4);
  assert.deepEqual(rig.requests, []);
  compactor.onLeadership(true);
  await rig.step(REVISION_ROUND_MS);
  assert.deepEqual(rig.requests, [90n]);
  compactor.onLeadership(false);
  rig.rev = 200n;
  await rig.step(REVISION_ROUND_MS, 4);
  assert.deepEqual(rig.requests, [90n]);
  compactor.onLeadership(true);
  await rig.step(REVISION_ROUND_MS);
  assert.deepEqual(rig.requests, [90n, 190n]);
  compactor.stop();
});

test("a failed round is logged and tried again at the next; 'compacted' counts as done; 'future revision' is no failure", async () => {
  const rig = new CompactorRig();
  rig.rev = 50n;
  const compactor = leading(rig, 10n);
  rig.failures.push("LeaderChanged");
  await rig.step(REVISION_ROUND_MS);
  const failed = rig.logs.find((l) => l.msg === "failed auto revision compaction");
  assert.equal(failed?.level, "warn");
  assert.equal(failed?.fields["retry-interval-ms"], REVISION_ROUND_MS);
  await rig.step(REVISION_ROUND_MS);
  assert.deepEqual(rig.requests, [40n, 40n], "retried with the same target");
  assert.deepEqual(rig.applied, [40n]);
  rig.rev = 60n;
  rig.failures.push("Compacted");
  await rig.step(REVISION_ROUND_MS);
  await rig.step(REVISION_ROUND_MS);
  assert.deepEqual(rig.requests, [40n, 40n, 50n], "done: not asked again for the same target");
  rig.rev = 70n;
  rig.failures.push("FutureRev");
  await rig.step(REVISION_ROUND_MS);
  assert.equal(rig.logs.filter((l) => l.level === "warn").length, 1, "only the real failure warns");
  await rig.step(REVISION_ROUND_MS);
  assert.deepEqual(rig.requests, [40n, 40n, 50n, 60n, 60n]);
  assert.deepEqual(rig.applied, [40n, 60n]);
  compactor.stop();
});

test("the next round is counted from the end of a slow compaction, and stop abandons one in flight", async () => {
  const rig = new CompactorRig();
  rig.hold = true;
  rig.rev = 30n;
  const compactor = leading(rig, 10n);
  await rig.step(REVISION_ROUND_MS);
  assert.equal(rig.held.length, 1);
  await rig.step(2 * 60_000);
  rig.held.shift()!.release();
  await rig.step(0);
  rig.rev = 40n;
  await rig.step(REVISION_ROUND_MS - 1);
  assert.deepEqual(rig.requests, [20n]);
  await rig.step(1);
  assert.deepEqual(rig.requests, [20n, 30n]);
  compactor.stop();
  await rig.step(0);
  assert.equal(rig.signals[1]!.aborted, true);
  assert.equal(rig.clock.pendingTimers, 0);
  await rig.step(REVISION_ROUND_MS, 3);
  assert.deepEqual(rig.requests, [20n, 30n]);
  assert.equal(rig.messages().filter((m) => m.startsWith("completed")).length, 1);
});

test("a retention must be positive", () => {
  assert.throws(() => new RevisionCompactor(0n, new CompactorRig().deps), RangeError);
});
