// The lease request paths act as their caller: grant and revoke are proposed as the caller; keepalive, TimeToLive and the lease list check the lease's keys here (newer etcd's rules) and a refusal renews nothing and forwards nothing.
import assert from "node:assert/strict";
import { test } from "node:test";
import { EtcdError, type ErrorKind } from "../../pkg/errors.js";
import { creds, FakeGate } from "../txn/auth-test-support.js";
import type { LeaseForwarder } from "./requests.js";
import { LeaseRig } from "./test-support.js";

const kindIs =
  (kind: ErrorKind) =>
  (e: unknown): boolean =>
    e instanceof EtcdError && e.kind === kind;

/** A leader rig with lease 5 (TTL 60 s) holding key "b/1", and users alice (a/) and bob (b/). */
async function rigWithLease(options: { forwarder?: LeaseForwarder } = {}) {
  const gate = new FakeGate();
  const alice = gate.user("alice", "a/");
  const bob = gate.user("bob", "b/");
  const rig = new LeaseRig({ auth: gate, ...options });
  await rig.lead();
  await rig.requests.grant({ ID: 5n, TTL: 60n }, undefined, bob);
  rig.put("b/1", 5n);
  gate.leaseKeys.set(5n, ["b/1"]);
  gate.asked.length = 0;
  return { gate, rig, alice, bob };
}

const remainingSeconds = (rig: LeaseRig, id: bigint): number => Math.round(rig.lessor.lookup(id)!.remainingMs() / 1000);

test("grant and revoke are proposed as their caller; an invalid token proposes nothing", async () => {
  const { rig, bob } = await rigWithLease();
  await rig.requests.grant({ ID: 6n, TTL: 60n }, undefined, bob);
  await rig.requests.revoke({ ID: 6n }, undefined, bob);
  assert.deepEqual(rig.proposedAs.slice(-2), [
    { username: "bob", revision: 1n },
    { username: "bob", revision: 1n },
  ]);
  const before = rig.proposals.length;
  await assert.rejects(rig.requests.grant({ ID: 7n, TTL: 60n }, undefined, creds("forged")), kindIs("InvalidAuthToken"));
  await assert.rejects(rig.requests.revoke({ ID: 5n }, undefined, creds("forged")), kindIs("InvalidAuthToken"));
  assert.equal(rig.proposals.length, before);
  assert.ok(rig.lessor.lookup(5n) !== undefined);
});

test("keepalive needs write permission on every key of the lease; refused, the lease is not renewed", async () => {
  const { gate, rig, alice, bob } = await rigWithLease();
  rig.clock.advance(10_000);
  await assert.rejects(rig.requests.keepAlive({ ID: 5n }, undefined, alice), kindIs("PermissionDenied"));
  await assert.rejects(rig.requests.keepAlive({ ID: 5n }), kindIs("UserEmpty"));
  await assert.rejects(rig.requests.keepAlive({ ID: 5n }, undefined, creds("forged")), kindIs("InvalidAuthToken"));
  assert.equal(remainingSeconds(rig, 5n), 50, "not renewed");
  // Resolved on arrival, and again right where the renewal is checked.
  assert.deepEqual(gate.asked, ["identify", "identify", "checkLeaseKeys 5 write", "identify", "identify", "checkLeaseKeys 5 write", "identify"]);

  const resp = await rig.requests.keepAlive({ ID: 5n }, undefined, bob);
  assert.equal(resp.TTL, 60n);
  assert.equal(remainingSeconds(rig, 5n), 60);
  const root = gate.user("root");
  assert.equal((await rig.requests.keepAlive({ ID: 5n }, undefined, root)).TTL, 60n);
});

test("a keepalive that waits for the applied index is checked at the auth revision it renews at, not refused as old", async () => {
  const { gate, rig, bob } = await rigWithLease();
  rig.committed = 11n; // a write in flight: the renewal waits for it to apply
  rig.waitApplied = async () => {
    gate.change(); // an unrelated auth change applied meanwhile
    rig.applied = 11n;
  };
  assert.equal((await rig.requests.keepAlive({ ID: 5n }, undefined, bob)).TTL, 60n);
});

test("a follower checks a keepalive before it sends it on to the leader, with the caller's credentials", async () => {
  const forwarded: [bigint, string | undefined][] = [];
  const forwarder: LeaseForwarder = {
    renew: async (id, _signal, creds) => {
      forwarded.push([id, creds?.token]);
      return 60n;
    },
    timeToLive: async () => undefined,
  };
  const { rig, alice, bob } = await rigWithLease({ forwarder });
  rig.keeper.onLeadership(false);
  await assert.rejects(rig.requests.keepAlive({ ID: 5n }, undefined, alice), kindIs("PermissionDenied"));
  assert.deepEqual(forwarded, []);
  assert.equal((await rig.requests.keepAlive({ ID: 5n }, undefined, bob)).TTL, 60n);
  assert.deepEqual(forwarded, [[5n, "bob-token"]], "sent on with the caller's credentials");
});

test("TimeToLive needs a caller, and read permission on the keys only when it asks for them", async () => {
  const { gate, rig, alice, bob } = await rigWithLease();
  await assert.rejects(rig.requests.timeToLive({ ID: 5n, keys: false }), kindIs("UserEmpty"));
  assert.equal((await rig.requests.timeToLive({ ID: 5n, keys: false }, undefined, alice)).grantedTTL, 60n);
  await assert.rejects(rig.requests.timeToLive({ ID: 5n, keys: true }, undefined, alice), kindIs("PermissionDenied"));
  const mine = await rig.requests.timeToLive({ ID: 5n, keys: true }, undefined, bob);
  assert.deepEqual(
    mine.keys.map((k) => k.toString()),
    ["b/1"],
  );
  assert.deepEqual(gate.asked.filter((a) => a.startsWith("check")), ["checkLeaseKeys 5 read", "checkLeaseKeys 5 read"]);
});

test("TimeToLive with keys is refused when the auth store changed while the answer was fetched", async () => {
  const forwarder: LeaseForwarder = {
    renew: async () => 0n,
    timeToLive: async (req) => {
      gate.change(); // e.g. bob's permission revoked meanwhile
      return { header: undefined, ID: req.ID, TTL: 50n, grantedTTL: 60n, keys: [Buffer.from("b/1")] };
    },
  };
  const { gate, rig, bob } = await rigWithLease({ forwarder });
  rig.keeper.onLeadership(false);
  await assert.rejects(rig.requests.timeToLive({ ID: 5n, keys: true }, undefined, bob), kindIs("AuthOldRevision"));
});

test("the lease list needs read permission on the keys of every lease", async () => {
  const { gate, rig, alice, bob } = await rigWithLease();
  await assert.rejects(rig.requests.leases({}, undefined, alice), kindIs("PermissionDenied"));
  await assert.rejects(rig.requests.leases({}), kindIs("UserEmpty"));
  assert.deepEqual(
    (await rig.requests.leases({}, undefined, bob)).leases.map((l) => l.ID),
    [5n],
  );
  assert.deepEqual(gate.asked.filter((a) => a.startsWith("check")), ["checkAllLeases", "checkAllLeases", "checkAllLeases"]);
});

test("with auth off the lease paths ask the gate nothing", async () => {
  const { gate, rig, alice } = await rigWithLease();
  gate.enabled = false;
  await rig.requests.keepAlive({ ID: 5n }, undefined, alice);
  await rig.requests.timeToLive({ ID: 5n, keys: true });
  await rig.requests.leases({});
  await rig.requests.grant({ ID: 9n, TTL: 60n });
  assert.deepEqual(gate.asked, []);
  assert.equal(rig.proposedAs.at(-1), undefined);
});
