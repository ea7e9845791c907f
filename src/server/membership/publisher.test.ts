import { test } from "node:test";
import assert from "node:assert/strict";
import { ManualClock } from "../../pkg/clock.js";
import { EtcdError } from "../../pkg/errors.js";
import { nullLogger } from "../../pkg/logger.js";
import type { RaftRequestBody } from "../proposals/codec.js";
import { MemberPublisher, type PublishOutcome } from "./publisher.js";

const settle = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
};

function setup(outcomes: (PublishOutcome | Error)[], options: { isLeader?: boolean; version?: string } = {}) {
  const clock = new ManualClock();
  const proposed: RaftRequestBody[] = [];
  const publisher = new MemberPublisher({
    memberId: 7n,
    name: "n1",
    clientUrls: ["http://127.0.0.1:2379"],
    clusterVersion: "3.6.0",
    propose: async (body) => {
      proposed.push(body);
      const next = outcomes.shift() ?? { ok: true, response: {} };
      if (next instanceof Error) throw next;
      return next;
    },
    isLeader: () => options.isLeader ?? false,
    agreedClusterVersion: () => options.version,
    retryMs: 100,
    clock,
    logger: nullLogger,
  });
  return { clock, proposed, publisher };
}

test("publish retries once per heartbeat on the clock until the attributes commit", async () => {
  const { clock, proposed, publisher } = setup([new EtcdError("NoLeader"), { ok: false, error: new EtcdError("Timeout") }]);
  let done = false;
  const published = publisher.publish().then(() => (done = true));
  await settle();
  assert.equal(proposed.length, 1);
  clock.advance(99);
  await settle();
  assert.equal(proposed.length, 1, "no retry before a heartbeat passed");
  clock.advance(1);
  await settle();
  assert.equal(proposed.length, 2);
  clock.advance(100);
  await published;
  assert.equal(done, true);
  assert.equal(proposed.length, 3);
  assert.deepEqual(proposed[2], { clusterMemberAttrSet: { memberID: 7n, memberAttributes: { name: "n1", clientUrls: ["http://127.0.0.1:2379"] } } });
});

test("the leader sets the cluster version when none is agreed yet; a follower or a set version leaves it", async () => {
  const leader = setup([], { isLeader: true });
  await leader.publisher.publish();
  assert.deepEqual(leader.proposed[1], { clusterVersionSet: { ver: "3.6.0" } });
  const follower = setup([], { isLeader: false });
  await follower.publisher.publish();
  assert.equal(follower.proposed.length, 1);
  const agreed = setup([], { isLeader: true, version: "3.5.0" });
  await agreed.publisher.publish();
  assert.equal(agreed.proposed.length, 1);
});

test("stop ends a wait between attempts: publish rejects and leaves no timer", async () => {
  const { clock, publisher } = setup([new EtcdError("NoLeader")]);
  const published = publisher.publish();
  await settle();
  assert.equal(clock.pendingTimers, 1);
  publisher.stop();
  await assert.rejects(published, (e: unknown) => e instanceof EtcdError && e.kind === "Stopped");
  assert.equal(clock.pendingTimers, 0);
});
