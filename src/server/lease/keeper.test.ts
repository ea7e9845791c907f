import assert from "node:assert/strict";
import { test } from "node:test";
import { isEtcdError } from "../../pkg/errors.js";
import { MAX_PENDING_REVOKES } from "./settings.js";
import { LeaseRig, RIG_EXTEND_MS, settle } from "./test-support.js";

test("promotion waits for the read barrier; whenPrimary resolves then", async () => {
  const rig = new LeaseRig();
  rig.lessor.grant(1n, 10n);
  rig.keeper.onLeadership(true);
  assert.equal(rig.lessor.isPrimary, false, "not before earlier terms are applied");
  let primary = false;
  const waiting = rig.keeper.whenPrimary().then(() => (primary = true));
  await settle();
  assert.equal(primary, false);
  rig.barriers.shift()!.resolve();
  await waiting;
  assert.equal(rig.lessor.isPrimary, true);
  assert.equal(rig.lessor.lookup(1n)!.remainingMs(), 10_000 + RIG_EXTEND_MS);
});

test("losing leadership before the barrier resolves: no promotion, waiters get NotLeader", async () => {
  const rig = new LeaseRig();
  rig.keeper.onLeadership(true);
  const waiting = rig.keeper.whenPrimary();
  rig.keeper.onLeadership(false);
  await assert.rejects(waiting, (err: unknown) => isEtcdError(err, "NotLeader"));
  rig.barriers.shift()!.resolve();
  await settle();
  assert.equal(rig.lessor.isPrimary, false);
  await assert.rejects(rig.keeper.whenPrimary(), (err: unknown) => isEtcdError(err, "NotLeader"));
});

test("demotion clears deadlines; re-election promotes again with the full TTL plus the extension", async () => {
  const rig = new LeaseRig();
  await rig.lead();
  rig.lessor.grant(1n, 10n);
  rig.clock.advance(9000);
  rig.keeper.onLeadership(false);
  assert.equal(rig.lessor.isPrimary, false);
  rig.clock.advance(10_000);
  rig.keeper.tick();
  assert.equal(rig.proposals.length, 0, "a follower revokes nothing");
  await rig.lead();
  assert.equal(rig.lessor.lookup(1n)!.remainingMs(), 11_000);
});

test("expired leases are revoked through the log: ≤ 500 per tick, ≤ 16 proposals in flight, never early", async () => {
  const rig = new LeaseRig({ hold: true });
  await rig.lead();
  for (let i = 1n; i <= 1200n; i++) {
    rig.lessor.grant(i, 5n);
    rig.put(`k${i}`, i);
  }
  rig.clock.advance(4999);
  rig.keeper.tick();
  assert.equal(rig.proposals.length, 0, "nothing before the deadline");
  rig.clock.advance(1);
  rig.keeper.tick();
  assert.equal(rig.held.length, MAX_PENDING_REVOKES);
  assert.equal(rig.keeper.pendingRevokes, 500);
  // Each applied revocation lets the next one go.
  while (rig.release(1) > 0) await settle();
  assert.equal(rig.proposals.length, 500);
  assert.ok(rig.proposals.every((p) => p.leaseRevoke !== undefined));
  assert.equal(rig.lessor.size, 700);
  rig.keeper.tick();
  while (rig.release() > 0) await settle();
  rig.keeper.tick();
  while (rig.release() > 0) await settle();
  assert.equal(rig.lessor.size, 0);
  assert.deepEqual(rig.keys(), []);
});

test("a lost revocation is retried after the retry interval", async () => {
  const rig = new LeaseRig({ hold: true, requestTimeoutMs: 7000 });
  await rig.lead();
  rig.lessor.grant(1n, 3n);
  rig.clock.advance(3000);
  rig.keeper.tick();
  assert.equal(rig.held.length, 1);
  rig.drop();
  await settle();
  rig.clock.advance(6999);
  rig.keeper.tick();
  assert.equal(rig.held.length, 0);
  rig.clock.advance(1);
  rig.keeper.tick();
  assert.equal(rig.held.length, 1);
  rig.release();
  await settle();
  assert.equal(rig.lessor.size, 0);
});

test("checkpoints go through the log in LeaseCheckpoint requests and are applied", async () => {
  const rig = new LeaseRig({ checkpointing: true, checkpointIntervalMs: 60_000 });
  await rig.lead();
  rig.lessor.grant(1n, 600n);
  rig.lessor.grant(2n, 600n);
  rig.clock.advance(60_000);
  rig.keeper.tick();
  await settle();
  const cp = rig.proposals.find((p) => p.leaseCheckpoint !== undefined);
  assert.deepEqual(cp?.leaseCheckpoint?.checkpoints, [
    { ID: 1n, remainingTTL: 540n },
    { ID: 2n, remainingTTL: 540n },
  ]);
  assert.equal(rig.lessor.lookup(1n)!.checkpointedTtl, 540);
  // A keepalive of a checkpointed lease clears the checkpoint through the log.
  const resp = await rig.requests.keepAlive({ ID: 1n });
  assert.equal(resp.TTL, 600n);
  await settle();
  assert.deepEqual(rig.proposals.at(-1)?.leaseCheckpoint?.checkpoints, [{ ID: 1n, remainingTTL: 0n }]);
  assert.equal(rig.lessor.lookup(1n)!.checkpointedTtl, 0);
});
