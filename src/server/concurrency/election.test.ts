import assert from "node:assert/strict";
import { test } from "node:test";
import type { LeaderResponse } from "../../gen/v3electionpb/v3election.js";
import { isEtcdError } from "../../pkg/errors.js";
import { ConcurrencyRig, settle } from "./test-support.js";

const name = Buffer.from("vip");
const v = (s: string): Buffer => Buffer.from(s);

test("campaign: the first candidate leads at once; later ones wait in order; resign hands over", async (t) => {
  const rig = new ConcurrencyRig();
  t.after(() => rig.close());
  const [a, b, c] = [rig.grant(0xan), rig.grant(0xbn), rig.grant(0xcn)];
  const ra = await rig.election.campaign({ name, lease: a, value: v("A") });
  assert.deepEqual(ra.leader, { name, key: v("vip/a"), rev: ra.header!.revision, lease: a });
  let bDone = false;
  let cDone = false;
  const pb = rig.election.campaign({ name, lease: b, value: v("B") }).then((r) => ((bDone = true), r));
  await settle();
  const pc = rig.election.campaign({ name, lease: c, value: v("C") }).then((r) => ((cDone = true), r));
  await settle();
  assert.equal(bDone || cDone, false);
  assert.equal((await rig.election.leader({ name })).kv?.value.toString(), "A");

  const deliveries = rig.events.wakeups;
  await rig.election.resign({ leader: ra.leader });
  const rb = await pb;
  assert.equal(rig.events.wakeups - deliveries, 1, "one candidate woke");
  assert.equal(cDone, false);
  assert.equal((await rig.election.leader({ name })).kv?.value.toString(), "B");
  // The campaign's answer carries the header of its own txn (etcd's quirk), and the leader key's create revision.
  assert.ok(rb.header!.revision < rig.store.rev);
  assert.equal(rb.leader!.rev, rb.header!.revision);
  await rig.election.resign({ leader: rb.leader });
  assert.equal((await pc).leader?.key.toString(), "vip/c");
});

test("proclaim changes the value only while leader; resign of a stale leader key changes nothing", async (t) => {
  const rig = new ConcurrencyRig();
  t.after(() => rig.close());
  const a = rig.grant(1n);
  const { leader } = await rig.election.campaign({ name, lease: a, value: v("one") });
  await rig.election.proclaim({ leader, value: v("two") });
  assert.equal((await rig.election.leader({ name })).kv?.value.toString(), "two");
  const stale = { ...leader!, rev: leader!.rev + 100n };
  await assert.rejects(rig.election.proclaim({ leader: stale, value: v("x") }), (e: unknown) => isEtcdError(e, "ElectionNotLeader"));
  const before = rig.store.rev;
  await rig.election.resign({ leader: stale });
  assert.equal(rig.store.rev, before, "nothing deleted");
  await assert.rejects(rig.election.proclaim({ leader: undefined, value: v("x") }), (e: unknown) => isEtcdError(e, "ElectionMissingLeaderKey"));
  await assert.rejects(rig.election.resign({ leader: undefined }), (e: unknown) => isEtcdError(e, "ElectionMissingLeaderKey"));
  await rig.election.resign({ leader });
  await assert.rejects(rig.election.leader({ name }), (e: unknown) => isEtcdError(e, "ElectionNoLeader"));
});

test("campaigning again with the same lease keeps the place and proclaims a new value", async (t) => {
  const rig = new ConcurrencyRig();
  t.after(() => rig.close());
  const a = rig.grant(1n);
  const first = await rig.election.campaign({ name, lease: a, value: v("one") });
  const second = await rig.election.campaign({ name, lease: a, value: v("two") });
  assert.equal(second.leader!.rev, first.leader!.rev);
  assert.equal((await rig.election.leader({ name })).kv?.value.toString(), "two");
});

test("a killed leader's lease expires and the next candidate leads", async (t) => {
  const rig = new ConcurrencyRig();
  t.after(() => rig.close());
  const dead = rig.grant(1n, 5n);
  const next = rig.grant(2n);
  await rig.election.campaign({ name, lease: dead, value: v("dead") });
  const p = rig.election.campaign({ name, lease: next, value: v("next") });
  await settle();
  rig.expire(dead);
  assert.equal((await p).leader!.key.toString(), "vip/2");
});

test("observe: current leader, each proclaimed value, the next leader after a resign, nothing for non-leaders", async (t) => {
  const rig = new ConcurrencyRig();
  t.after(() => rig.close());
  const [a, b] = [rig.grant(1n), rig.grant(2n)];
  const abort = new AbortController();
  const seen: string[] = [];
  const iterate = (async () => {
    for await (const r of rig.election.observe({ name }, abort.signal)) {
      seen.push(`${(r as LeaderResponse).kv!.key.toString()}=${r.kv!.value.toString()}@${r.header!.revision}`);
    }
  })();
  await settle();
  assert.deepEqual(seen, [], "no leader yet: nothing");
  const { leader } = await rig.election.campaign({ name, lease: a, value: v("A1") });
  await settle();
  const pb = rig.election.campaign({ name, lease: b, value: v("B1") });
  await settle();
  await rig.election.proclaim({ leader, value: v("A2") });
  await settle();
  await rig.election.resign({ leader });
  await pb;
  await settle();
  abort.abort();
  await iterate;
  assert.deepEqual(seen, ["vip/1=A1@2", "vip/1=A2@4", "vip/2=B1@5"]);
  assert.equal(rig.events.open, 0);
});

test("observe answers the current leader at once and coalesces for a slow reader", async (t) => {
  const rig = new ConcurrencyRig();
  t.after(() => rig.close());
  const a = rig.grant(1n);
  const { leader } = await rig.election.campaign({ name, lease: a, value: v("v0") });
  const abort = new AbortController();
  const it = rig.election.observe({ name }, abort.signal)[Symbol.asyncIterator]();
  const first = await it.next();
  assert.equal(first.value?.kv?.value.toString(), "v0");
  for (let i = 1; i <= 5; i++) await rig.election.proclaim({ leader, value: v(`v${i}`) });
  const next = await it.next();
  assert.equal(next.value?.kv?.value.toString(), "v5", "the latest value, not every one");
  abort.abort();
  assert.equal((await it.next()).done, true);
});
