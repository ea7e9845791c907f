import { test } from "node:test";
import assert from "node:assert/strict";
import { LeaderMonitor, MAX_NO_LEADER_CHECKS } from "./leader-monitor.js";

test("subscribers are told at every check from the third in a row without a leader; a leader resets the count", () => {
  const state = { leader: false };
  const monitor = new LeaderMonitor(() => state.leader);
  const told: string[] = [];
  monitor.onLeaderLost(() => told.push("a"));
  const offB = monitor.onLeaderLost(() => told.push("b"));
  for (let i = 1; i < MAX_NO_LEADER_CHECKS; i++) assert.equal(monitor.check(), 0);
  assert.equal(monitor.check(), 2);
  assert.deepEqual(told, ["a", "b"]);
  offB();
  assert.equal(monitor.check(), 1);
  state.leader = true;
  assert.equal(monitor.check(), 0);
  state.leader = false;
  assert.equal(monitor.check(), 0, "the count starts over after a leader was seen");
  assert.deepEqual(told, ["a", "b", "a"]);
});
