import { test } from "node:test";
import assert from "node:assert/strict";
import { ManualClock } from "../../pkg/clock.js";
import { nullLogger } from "../../pkg/logger.js";
import { MemberRemoval, REMOVED_GRACE_HEARTBEATS } from "./removal.js";

test("a removed member hands leadership over at once and settles `removed` after its grace heartbeats, once", async () => {
  const clock = new ManualClock();
  let handOvers = 0;
  const removal = new MemberRemoval({ memberId: 1n, heartbeatIntervalMs: 100, handOver: () => {
      handOvers++;
    }, clock, logger: nullLogger });
  let removed = false;
  void removal.removed.then(() => (removed = true));
  removal.notice();
  removal.notice();
  assert.equal(handOvers, 1);
  clock.advance(REMOVED_GRACE_HEARTBEATS * 100 - 1);
  await new Promise((r) => setImmediate(r));
  assert.equal(removed, false);
  clock.advance(1);
  await removal.removed;
  assert.equal(clock.pendingTimers, 0);
});

test("stop cancels the pending removal timer", () => {
  const clock = new ManualClock();
  const removal = new MemberRemoval({ memberId: 1n, heartbeatIntervalMs: 100, handOver: () => {}, clock, logger: nullLogger });
  removal.notice();
  assert.equal(clock.pendingTimers, 1);
  removal.stop();
  assert.equal(clock.pendingTimers, 0);
});
