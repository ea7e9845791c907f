import assert from "node:assert/strict";
import { test } from "node:test";
import { isEtcdError } from "../../pkg/errors.js";
import { minLeaseTtlSeconds, leaseExtensionMs } from "./settings.js";
import { LeaseRig, settle } from "./test-support.js";
import { atLeast36 } from "./wiring.js";

test("grant: a client id is kept; id 0 gets a positive int63; errors come from the apply", async () => {
  const rig = new LeaseRig();
  await rig.lead();
  const mine = await rig.requests.grant({ ID: 42n, TTL: 10n });
  assert.equal(mine.ID, 42n);
  assert.equal(mine.TTL, 10n);
  assert.equal(mine.error, "");
  assert.deepEqual(mine.header, { clusterId: 1n, memberId: 2n, revision: 1n, raftTerm: 3n });
  const picked = await rig.requests.grant({ ID: 0n, TTL: 1n });
  assert.ok(picked.ID > 0n && picked.ID < 1n << 63n);
  assert.equal(picked.TTL, 2n, "raised to the minimum");
  await assert.rejects(rig.requests.grant({ ID: 42n, TTL: 10n }), (e: unknown) => isEtcdError(e, "LeaseExist"));
  await assert.rejects(rig.requests.grant({ ID: 43n, TTL: 9_000_000_001n }), (e: unknown) => isEtcdError(e, "LeaseTTLTooLarge"));
});

test("grant over the quota raises NOSPACE and fails with NoSpace before proposing", async () => {
  const rig = new LeaseRig({ quotaBytes: 1000 });
  await rig.lead();
  await assert.rejects(rig.requests.grant({ ID: 1n, TTL: 10n }), (e: unknown) => isEtcdError(e, "NoSpace"));
  assert.equal(rig.noSpaceRaised, 1);
  assert.equal(rig.proposals.length, 0);
});

test("revoke: keys gone in one revision; header carries that revision; unknown → LeaseNotFound", async () => {
  const rig = new LeaseRig();
  await rig.lead();
  await rig.requests.grant({ ID: 5n, TTL: 60n });
  rig.put("a", 5n);
  rig.put("b", 5n);
  const resp = await rig.requests.revoke({ ID: 5n });
  assert.equal(resp.header?.revision, 4n);
  assert.deepEqual(rig.keys(), []);
  await assert.rejects(rig.requests.revoke({ ID: 5n }), (e: unknown) => isEtcdError(e, "LeaseNotFound"));
});

test("keepalive: TTL on renewal, 0 for a missing lease; header taken before renewing", async () => {
  const rig = new LeaseRig();
  await rig.lead();
  await rig.requests.grant({ ID: 7n, TTL: 10n });
  rig.clock.advance(8000);
  const resp = await rig.requests.keepAlive({ ID: 7n });
  assert.deepEqual(resp, { header: { clusterId: 1n, memberId: 2n, revision: 1n, raftTerm: 3n }, ID: 7n, TTL: 10n });
  assert.equal(rig.lessor.lookup(7n)!.remainingMs(), 10_000);
  assert.deepEqual((await rig.requests.keepAlive({ ID: 8n })).TTL, 0n);
});

test("keepalive of an expired lease waits for its revocation and answers 0", async () => {
  const rig = new LeaseRig();
  await rig.lead();
  await rig.requests.grant({ ID: 7n, TTL: 3n });
  rig.clock.advance(3000);
  let answered: bigint | undefined;
  const pending = rig.requests.keepAlive({ ID: 7n }).then((r) => (answered = r.TTL));
  await settle();
  assert.equal(answered, undefined, "no renewal of an expired lease");
  rig.keeper.tick(); // the leader revokes it through the log
  await pending;
  assert.equal(answered, 0n);
});

test("keepalive right after election waits for the promotion", async () => {
  const rig = new LeaseRig();
  rig.lessor.grant(7n, 10n);
  rig.keeper.onLeadership(true);
  let ttl: bigint | undefined;
  const pending = rig.requests.keepAlive({ ID: 7n }).then((r) => (ttl = r.TTL));
  await settle();
  assert.equal(ttl, undefined);
  rig.barriers.shift()!.resolve();
  await pending;
  assert.equal(ttl, 10n);
});

test("a member that is not the leader: NoLeader without one, NotLeader with one (no forwarding configured)", async () => {
  const rig = new LeaseRig();
  rig.lessor.grant(7n, 10n);
  rig.hasLeader = false;
  await assert.rejects(rig.requests.keepAlive({ ID: 7n }), (e: unknown) => isEtcdError(e, "NoLeader"));
  rig.hasLeader = true;
  await assert.rejects(rig.requests.timeToLive({ ID: 7n, keys: false }), (e: unknown) => isEtcdError(e, "NotLeader"));
});

test("timeToLive: remaining (truncated), granted, keys; −1 for a missing lease", async () => {
  const rig = new LeaseRig();
  await rig.lead();
  await rig.requests.grant({ ID: 9n, TTL: 30n });
  rig.put("k2", 9n);
  rig.put("k1", 9n);
  rig.clock.advance(10_400);
  const withKeys = await rig.requests.timeToLive({ ID: 9n, keys: true });
  assert.equal(withKeys.TTL, 19n);
  assert.equal(withKeys.grantedTTL, 30n);
  assert.deepEqual(withKeys.keys.map(String), ["k1", "k2"]);
  assert.deepEqual((await rig.requests.timeToLive({ ID: 9n, keys: false })).keys, []);
  const missing = await rig.requests.timeToLive({ ID: 10n, keys: true });
  assert.deepEqual({ ID: missing.ID, TTL: missing.TTL, grantedTTL: missing.grantedTTL, keys: missing.keys }, { ID: 10n, TTL: -1n, grantedTTL: 0n, keys: [] });
  assert.equal(missing.header?.revision, 3n);
});

test("leases lists ids, soonest deadline first", async () => {
  const rig = new LeaseRig();
  await rig.lead();
  await rig.requests.grant({ ID: 3n, TTL: 30n });
  await rig.requests.grant({ ID: 1n, TTL: 10n });
  const resp = await rig.requests.leases();
  assert.deepEqual(resp.leases, [{ ID: 1n }, { ID: 3n }]);
});

test("settings: etcd's minimum TTL and extension; 3.6 clusters persist checkpoints", () => {
  assert.equal(minLeaseTtlSeconds(100, 1000), 2);
  assert.equal(minLeaseTtlSeconds(100, 3000), 5);
  assert.equal(minLeaseTtlSeconds(50, 250), 1);
  assert.equal(leaseExtensionMs(100, 1000), 1000);
  assert.equal(leaseExtensionMs(300, 1000), 900, "whole ticks, as etcd counts them");
  assert.equal(atLeast36("3.6.0"), true);
  assert.equal(atLeast36("4.0.0"), true);
  assert.equal(atLeast36("3.5.9"), false);
  assert.equal(atLeast36(undefined), false);
});

test("a renewal on a leader whose lessor never becomes primary fails with 'request timed out' when the clock passes the request timeout, not before", async () => {
  const rig = new LeaseRig({ requestTimeoutMs: 1000 });
  await rig.lead();
  await rig.requests.grant({ ID: 7n, TTL: 10n });
  rig.keeper.onLeadership(false);
  rig.keeper.onLeadership(true); // a new term: the promotion waits on a read barrier that never resolves
  let outcome: unknown;
  const renewal = rig.requests.keepAlive({ ID: 7n }).then(
    (r) => (outcome = r),
    (e: unknown) => (outcome = e),
  );
  rig.clock.advance(999);
  await settle();
  assert.equal(outcome, undefined, "still waiting before the timeout");
  rig.clock.advance(1);
  await renewal;
  assert.ok(isEtcdError(outcome, "Timeout"), String(outcome));
});
