import { test } from "node:test";
import assert from "node:assert/strict";
import { nullLogger } from "../pkg/logger.js";
import { SeededRandom } from "../pkg/random.js";
import { electionTicks, ticksCovering } from "./config.js";
import { leaseExtensionMs, minLeaseTtlSeconds } from "./lease/settings.js";
import { buildRaftNode } from "./raftnode/node.js";

test("--heartbeat-interval 100 --election-timeout 1050: raft and the lessor both count 10 election ticks (etcd's integer division)", () => {
  const built = buildRaftNode({ id: 1n, heartbeatIntervalMs: 100, electionTimeoutMs: 1050, preVote: true, random: new SeededRandom(1), logger: nullLogger });
  assert.equal(built.electionTick, 10);
  assert.equal(electionTicks(100, 1050), 10);
  // The lessor's election timeout is its ticks × heartbeat: 10 ticks, not 10.5 or 11.
  assert.equal(leaseExtensionMs(100, 1050), 10 * 100);
  assert.equal(minLeaseTtlSeconds(100, 1050), Math.ceil((Math.floor((3 * 10) / 2) * 100) / 1000));
});

test("election ticks: whole heartbeats only; ticksCovering rounds up", () => {
  assert.equal(electionTicks(100, 1000), 10);
  assert.equal(electionTicks(100, 1099), 10);
  assert.equal(electionTicks(300, 1000), 3);
  assert.equal(ticksCovering(7000, 100), 70);
  assert.equal(ticksCovering(7001, 100), 71);
});
