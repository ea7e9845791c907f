// Lock and Election act as their caller: every read, write, grant and watch they make carries the caller's credentials, so a user without permission on the name's keys gets etcd's error and changes nothing.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { LeaderResponse } from "../../gen/v3electionpb/v3election.js";
import { isEtcdError } from "../../pkg/errors.js";
import { FakeGate } from "../txn/auth-test-support.js";
import { ConcurrencyRig, settle } from "./test-support.js";

const denied = (e: unknown): boolean => isEtcdError(e, "PermissionDenied");

/** A rig whose paths check callers: alice may use "mylock/" and "vip/", bob nothing of them. */
function authRig() {
  const gate = new FakeGate();
  const alice = gate.user("alice", "mylock/", "vip/");
  const bob = gate.user("bob", "other/");
  const rig = new ConcurrencyRig(gate);
  return { gate, rig, alice, bob };
}

test("a lock as a user without permission on its keys is refused and creates nothing", async (t) => {
  const { rig, bob } = authRig();
  t.after(() => rig.close());
  const lease = rig.grant(1n);
  await assert.rejects(rig.lock.lock({ name: Buffer.from("mylock"), lease }, undefined, bob), denied);
  await assert.rejects(rig.lock.unlock({ key: Buffer.from("mylock/1") }, undefined, bob), denied);
  assert.deepEqual(rig.keys("mylock/"), []);
});

test("a lock and its wait act as the caller: every call carries the caller's credentials", async (t) => {
  const { rig, alice } = authRig();
  t.after(() => rig.close());
  const holder = await rig.lock.lock({ name: Buffer.from("mylock"), lease: 0n }, undefined, alice);
  const waiting = rig.lock.lock({ name: Buffer.from("mylock"), lease: rig.grant(2n) }, undefined, alice);
  await settle();
  await rig.lock.unlock({ key: holder.key }, undefined, alice);
  assert.equal((await waiting).key.toString(), "mylock/2");
  assert.ok(rig.callers.length >= 5, "grant, txns, ranges, delete");
  assert.ok(
    rig.callers.every((c) => c === alice),
    "every KV and lease call was made as alice",
  );
});

test("a waiter whose user loses the permission stops waiting with etcd's error", async (t) => {
  const { rig, gate, alice } = authRig();
  t.after(() => rig.close());
  await rig.lock.lock({ name: Buffer.from("mylock"), lease: rig.grant(1n) }, undefined, alice);
  let outcome: unknown;
  const waiting = rig.lock.lock({ name: Buffer.from("mylock"), lease: rig.grant(2n) }, undefined, alice).then(
    () => (outcome = "granted"),
    (e: unknown) => (outcome = e),
  );
  await settle();
  assert.equal(rig.events.open, 1, "waiting on its predecessor");
  gate.change(() => gate.grants.set("alice", []));
  await waiting;
  assert.ok(denied(outcome), String(outcome));
  assert.equal(rig.events.open, 0);
});

test("an election as a user without permission is refused; an observer that loses the permission sees its stream end", async (t) => {
  const { rig, gate, alice, bob } = authRig();
  t.after(() => rig.close());
  const name = Buffer.from("vip");
  await assert.rejects(rig.election.campaign({ name, lease: rig.grant(1n), value: Buffer.from("B") }, undefined, bob), denied);
  await assert.rejects(rig.election.leader({ name }, undefined, bob), denied);
  assert.deepEqual(rig.keys("vip/"), []);

  const { leader } = await rig.election.campaign({ name, lease: rig.grant(2n), value: Buffer.from("A") }, undefined, alice);
  await assert.rejects(rig.election.proclaim({ leader, value: Buffer.from("x") }, undefined, bob), denied);
  await assert.rejects(rig.election.resign({ leader }, undefined, bob), denied);

  const observer = new AbortController();
  t.after(() => observer.abort());
  const seen: LeaderResponse[] = [];
  const observing = (async () => {
    for await (const r of rig.election.observe({ name }, observer.signal, alice)) seen.push(r);
  })();
  await settle();
  assert.equal(seen.length, 1);
  gate.change(() => gate.grants.set("alice", []));
  await observing;
  assert.equal(rig.events.open, 0, "its watch is gone");
  await assert.rejects(
    (async () => {
      for await (const r of rig.election.observe({ name }, observer.signal, bob)) seen.push(r);
    })(),
    denied,
  );
});
