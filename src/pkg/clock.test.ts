import { test } from "node:test";
import assert from "node:assert/strict";
import { ManualClock, SystemClock } from "./clock.js";

test("ManualClock: a one-shot fires once, at its due time, only when the clock is advanced past it", () => {
  const c = new ManualClock(1000);
  const fired: number[] = [];
  c.after(100, () => fired.push(c.nowMs()));
  c.advance(99);
  assert.deepEqual(fired, []);
  c.advance(1);
  assert.deepEqual(fired, [1100]);
  c.advance(1000);
  assert.deepEqual(fired, [1100]);
  assert.equal(c.pendingTimers, 0);
});

test("ManualClock: a periodic timer fires once per period crossed, each run seeing its own time", () => {
  const c = new ManualClock();
  const fired: number[] = [];
  const cancel = c.every(100, () => fired.push(c.nowMs()));
  c.advance(350);
  assert.deepEqual(fired, [100, 200, 300]);
  assert.equal(c.nowMs(), 350);
  cancel();
  c.advance(1000);
  assert.deepEqual(fired, [100, 200, 300]);
  cancel();
});

test("ManualClock: timers fire in time order, ties in the order they were set; cancelled ones never", () => {
  const c = new ManualClock();
  const order: string[] = [];
  c.every(50, () => order.push(`p${c.nowMs()}`));
  c.after(100, () => order.push("a100"));
  const cancelled = c.after(75, () => order.push("never"));
  c.after(25, () => order.push("a25"));
  cancelled();
  c.advance(100);
  assert.deepEqual(order, ["a25", "p50", "p100", "a100"]);
});

test("ManualClock: a timer set by a callback fires in the same advance when it falls due", () => {
  const c = new ManualClock();
  const fired: number[] = [];
  c.after(10, () => c.after(10, () => fired.push(c.nowMs())));
  c.advance(25);
  assert.deepEqual(fired, [20]);
});

test("ManualClock: a periodic timer may cancel itself from its own callback", () => {
  const c = new ManualClock();
  let runs = 0;
  const cancel = c.every(10, () => {
    if (++runs === 2) cancel();
  });
  c.advance(100);
  assert.equal(runs, 2);
  assert.equal(c.pendingTimers, 0);
});

test("SystemClock: after and every run on real timers and stop when cancelled", async () => {
  const c = new SystemClock();
  let ticks = 0;
  const stopTicking = c.every(5, () => ticks++);
  await new Promise<void>((resolve) => c.after(30, resolve));
  stopTicking();
  const seen = ticks;
  assert.ok(seen >= 1, `ticked ${seen} times in 30 ms`);
  let late = false;
  c.after(5, () => (late = true))();
  await new Promise<void>((resolve) => c.after(20, resolve));
  assert.equal(ticks, seen);
  assert.equal(late, false);
});
