import assert from "node:assert/strict";
import { test } from "node:test";
import { PeriodicCompactor, periodicSchedule } from "./periodic.js";
import { CompactorRig } from "./test-support.js";

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/** A leading periodic compactor over `rig`, started at revision `startRev`. */
function leading(rig: CompactorRig, retentionMs: number, startRev: bigint): PeriodicCompactor {
  const compactor = new PeriodicCompactor(retentionMs, rig.deps);
  rig.rev = startRev;
  compactor.onLeadership(true);
  compactor.start();
  return compactor;
}

/** Steps `rig` `times` times by `stepMs`, the store's revision growing by one per step first (a sample at t reads the revision at t). */
async function grow(rig: CompactorRig, stepMs: number, times: number): Promise<void> {
  for (let i = 0; i < times; i++) {
    rig.rev++;
    await rig.step(stepMs);
  }
}

test("schedule: etcd's sample interval, window and compaction interval for short and long retentions", () => {
  assert.deepEqual(periodicSchedule(2 * SECOND), { sampleEveryMs: 200, samplesKept: 11, firstAfterMs: 2000, thenEveryMs: 2000 });
  assert.deepEqual(periodicSchedule(59 * MINUTE), { sampleEveryMs: 354_000, samplesKept: 11, firstAfterMs: 59 * MINUTE, thenEveryMs: 59 * MINUTE });
  assert.deepEqual(periodicSchedule(HOUR), { sampleEveryMs: 6 * MINUTE, samplesKept: 11, firstAfterMs: HOUR, thenEveryMs: HOUR });
  assert.deepEqual(periodicSchedule(90 * MINUTE), { sampleEveryMs: 6 * MINUTE, samplesKept: 16, firstAfterMs: 90 * MINUTE, thenEveryMs: HOUR });
  assert.deepEqual(periodicSchedule(24 * HOUR), { sampleEveryMs: 6 * MINUTE, samplesKept: 241, firstAfterMs: 24 * HOUR, thenEveryMs: HOUR });
  assert.equal(periodicSchedule(7).samplesKept, 11, "a retention that does not divide by ten still keeps ten intervals");
  assert.throws(() => periodicSchedule(0), RangeError);
});

test("the first compaction comes one retention after the start, to the revision of then; later ones every retention, to the sample of one window ago", async () => {
  const rig = new CompactorRig();
  const compactor = leading(rig, 10 * SECOND, 100n);
  await grow(rig, SECOND, 9);
  assert.deepEqual(rig.requests, [], "nothing within the first retention");
  await grow(rig, SECOND, 1);
  assert.deepEqual(rig.requests, [100n], "at 10 s: the revision sampled at the start");
  assert.deepEqual(rig.messages(), ["starting auto periodic compaction", "completed auto periodic compaction"]);
  assert.deepEqual(rig.logs[0]!.fields, { revision: "100", "compact-period-ms": 10_000 });
  await grow(rig, SECOND, 9);
  assert.deepEqual(rig.requests, [100n], "not again before another retention");
  await grow(rig, SECOND, 1);
  // At 20 s the window holds the samples of 9 s … 19 s (11 samples): etcd compacts to its oldest.
  assert.deepEqual(rig.requests, [100n, 109n]);
  await grow(rig, SECOND, 10);
  assert.deepEqual(rig.requests, [100n, 109n, 119n]);
  assert.deepEqual(rig.applied, rig.requests);
  compactor.stop();
});

test("a retention over an hour: samples every 6 minutes, compacts first after the retention, then hourly", async () => {
  const rig = new CompactorRig();
  const compactor = leading(rig, 2 * HOUR, 1000n);
  await grow(rig, 6 * MINUTE, 19);
  assert.deepEqual(rig.requests, []);
  await grow(rig, 6 * MINUTE, 1);
  assert.deepEqual(rig.requests, [1000n], "at 2 h: the revision of the start");
  await grow(rig, 6 * MINUTE, 9);
  assert.deepEqual(rig.requests, [1000n], "the next one waits an hour, not the retention");
  await grow(rig, 6 * MINUTE, 1);
  // At 3 h the 21 samples kept run from 54 min to 2 h 54 min (one per 6 min).
  assert.deepEqual(rig.requests, [1000n, 1009n]);
  await grow(rig, 6 * MINUTE, 10);
  assert.deepEqual(rig.requests, [1000n, 1009n, 1019n]);
  compactor.stop();
});

test("nothing new to compact: a window with the same revision as the last compaction skips", async () => {
  const rig = new CompactorRig();
  const compactor = leading(rig, 10 * SECOND, 5n);
  await rig.step(SECOND, 10);
  assert.deepEqual(rig.requests, [5n]);
  await rig.step(SECOND, 30);
  assert.deepEqual(rig.requests, [5n], "no writes, no compaction");
  await grow(rig, SECOND, 11);
  assert.deepEqual(rig.requests, [5n], "the window still starts before the writes");
  await grow(rig, SECOND, 1);
  assert.deepEqual(rig.requests, [5n, 6n], "a write moves the window again");
  compactor.stop();
});

test("a follower keeps sampling but never compacts; once it leads it compacts on the window it kept", async () => {
  const rig = new CompactorRig();
  const compactor = new PeriodicCompactor(10 * SECOND, rig.deps);
  rig.rev = 50n;
  compactor.start();
  await grow(rig, SECOND, 25);
  assert.deepEqual(rig.requests, [], "paused until it leads");
  compactor.onLeadership(true);
  await grow(rig, SECOND, 1);
  // The window at 26 s holds the samples of 15 s … 25 s.
  assert.deepEqual(rig.requests, [65n]);
  compactor.onLeadership(false);
  await grow(rig, SECOND, 30);
  assert.deepEqual(rig.requests, [65n], "paused again after losing the leadership");
  compactor.onLeadership(true);
  await grow(rig, SECOND, 1);
  assert.deepEqual(rig.requests, [65n, 96n], "resumes at the next tick: its last compaction is long past");
  compactor.stop();
});

test("a failed compaction is logged and tried again at the next sample tick", async () => {
  const rig = new CompactorRig();
  const compactor = leading(rig, 10 * SECOND, 100n);
  rig.failures.push("Timeout");
  await grow(rig, SECOND, 10);
  assert.deepEqual(rig.requests, [100n]);
  assert.deepEqual(rig.applied, []);
  const failed = rig.logs.find((l) => l.msg === "failed auto periodic compaction");
  assert.equal(failed?.level, "warn");
  assert.equal(failed?.fields["retry-interval-ms"], 1000);
  assert.match(String(failed?.fields["error"]), /Timeout|timed out/);
  await grow(rig, SECOND, 1);
  // etcd trims the window after the attempt, so the retry still finds the start's revision first.
  assert.deepEqual(rig.requests, [100n, 100n], "one sample interval later");
  assert.deepEqual(rig.applied, [100n]);
  compactor.stop();
});

test("'required revision has been compacted' counts as done; 'future revision' is no failure and is tried again", async () => {
  const rig = new CompactorRig();
  const compactor = leading(rig, 10 * SECOND, 100n);
  rig.failures.push("Compacted");
  await grow(rig, SECOND, 10);
  assert.deepEqual(rig.requests, [100n]);
  assert.ok(rig.messages().includes("completed auto periodic compaction"));
  await grow(rig, SECOND, 9);
  assert.deepEqual(rig.requests, [100n], "the next one waits the compaction interval, as after a success");
  rig.failures.push("FutureRev");
  await grow(rig, SECOND, 1);
  assert.deepEqual(rig.requests, [100n, 109n]);
  assert.equal(rig.logs.filter((l) => l.level === "warn").length, 0, "neither is logged as a failure");
  assert.ok(rig.messages().includes("skipped auto periodic compaction"));
  await grow(rig, SECOND, 1);
  assert.deepEqual(rig.requests, [100n, 109n, 110n]);
  assert.deepEqual(rig.applied, [110n]);
  compactor.stop();
});

test("stop ends the schedule and abandons a compaction in flight without logging it as failed", async () => {
  const rig = new CompactorRig();
  rig.hold = true;
  const compactor = leading(rig, 10 * SECOND, 100n);
  await grow(rig, SECOND, 10);
  assert.equal(rig.held.length, 1);
  assert.equal(rig.clock.pendingTimers, 0, "the next tick is armed only after the compaction returns");
  compactor.stop();
  await rig.step(0);
  assert.equal(rig.signals[0]!.aborted, true);
  assert.equal(rig.clock.pendingTimers, 0);
  await rig.step(SECOND, 30);
  assert.deepEqual(rig.requests, [100n]);
  assert.deepEqual(rig.messages(), ["starting auto periodic compaction"]);
  compactor.start();
  assert.equal(rig.clock.pendingTimers, 0, "a stopped compactor does not start again");
});
