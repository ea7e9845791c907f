import { test } from "node:test";
import assert from "node:assert/strict";
import { ManualClock } from "../pkg/clock.js";
import { Ticker } from "./ticker.js";

test("ticker: each duty runs at its own period once started, none after stop", () => {
  const clock = new ManualClock();
  const runs: string[] = [];
  const ticker = new Ticker(clock)
    .every(100, () => runs.push(`tick@${clock.nowMs()}`))
    .every(250, () => runs.push(`lease@${clock.nowMs()}`));
  clock.advance(1000);
  assert.deepEqual(runs, [], "nothing before start");
  ticker.start();
  clock.advance(500);
  assert.deepEqual(runs, ["tick@1100", "tick@1200", "lease@1250", "tick@1300", "tick@1400", "tick@1500", "lease@1500"]);
  ticker.stop();
  clock.advance(1000);
  assert.equal(runs.length, 7);
  assert.equal(clock.pendingTimers, 0);
});

test("ticker: a duty needs a positive period", () => {
  assert.throws(() => new Ticker(new ManualClock()).every(0, () => {}), RangeError);
});

