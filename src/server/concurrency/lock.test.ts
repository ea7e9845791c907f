import assert from "node:assert/strict";
import { test } from "node:test";
import { isEtcdError } from "../../pkg/errors.js";
import { prefixEnd } from "../../pkg/bytes.js";
import { leaseHex } from "./kv-ops.js";
import { ConcurrencyRig, settle } from "./test-support.js";

const name = Buffer.from("mylock");

/** Starts a lock and records when it is granted (or fails). */
function pending(rig: ConcurrencyRig, lease: bigint, signal?: AbortSignal) {
  const state: { key?: string; error?: unknown; done: boolean } = { done: false };
  const promise = rig.lock.lock({ name, lease }, signal).then(
    (r) => {
      state.key = r.key.toString();
      state.done = true;
    },
    (err: unknown) => {
      state.error = err;
      state.done = true;
    },
  );
  return { state, promise };
}

test("an uncontended lock is granted at once with key name/<lease hex> and the txn's header", async (t) => {
  const rig = new ConcurrencyRig();
  t.after(() => rig.close());
  const lease = rig.grant(0x694d7c0a7b4c4e0bn);
  const resp = await rig.lock.lock({ name, lease });
  assert.equal(resp.key.toString(), "mylock/694d7c0a7b4c4e0b");
  assert.equal(resp.header?.revision, rig.store.rev);
  assert.equal(rig.calls.range, 0, "one txn, no extra read");
  // The same session locking again keeps its key (and its place).
  const again = await rig.lock.lock({ name, lease });
  assert.equal(again.key.toString(), "mylock/694d7c0a7b4c4e0b");
  assert.deepEqual(rig.keys("mylock/"), ["mylock/694d7c0a7b4c4e0b"]);
});

test("contention: waiters are granted in arrival order, each release wakes exactly one waiter", async (t) => {
  const rig = new ConcurrencyRig();
  t.after(() => rig.close());
  const leases = [1n, 2n, 3n, 4n, 5n].map((i) => rig.grant(i));
  const holder = await rig.lock.lock({ name, lease: leases[0]! });
  const waiters = leases.slice(1).map((l) => pending(rig, l));
  await settle();
  assert.ok(waiters.every((w) => !w.state.done));
  assert.equal(rig.events.open, 4, "each waiter watches one key");

  let key = holder.key;
  for (let i = 0; i < waiters.length; i++) {
    const rangesBefore = rig.calls.range;
    const deliveriesBefore = rig.events.wakeups;
    await rig.lock.unlock({ key });
    await settle();
    assert.equal(rig.events.wakeups - deliveriesBefore, 1, `release ${i}: one wake-up`);
    // The woken waiter looks for an older key once, then reads its own key (3.5's re-check).
    assert.equal(rig.calls.range - rangesBefore, 2, `release ${i}: only the next waiter read`);
    assert.ok(waiters[i]!.state.done, `waiter ${i} granted`);
    assert.equal(waiters[i]!.state.key, `mylock/${leaseHex(leases[i + 1]!)}`);
    for (const later of waiters.slice(i + 1)) assert.equal(later.state.done, false);
    key = Buffer.from(waiters[i]!.state.key!);
  }
  assert.equal(rig.events.open, 0, "no subscription left behind");
});

test("a killed holder: its lease expires, the next waiter gets the lock", async (t) => {
  const rig = new ConcurrencyRig();
  t.after(() => rig.close());
  const dead = rig.grant(10n, 5n);
  const alive = rig.grant(11n);
  await rig.lock.lock({ name, lease: dead });
  const next = pending(rig, alive);
  await settle();
  assert.equal(next.state.done, false);
  rig.expire(dead);
  await next.promise;
  assert.equal(next.state.key, "mylock/b");
});

test("a waiter whose own lease expired while waiting fails with 'mutex: session is expired'", async (t) => {
  const rig = new ConcurrencyRig();
  t.after(() => rig.close());
  const holder = rig.grant(20n);
  const waiter = rig.grant(21n);
  const h = await rig.lock.lock({ name, lease: holder });
  const w = pending(rig, waiter);
  await settle();
  rig.expire(waiter); // its key goes; it still waits on the holder
  await settle();
  assert.equal(w.state.done, false);
  await rig.lock.unlock({ key: h.key });
  await w.promise;
  assert.ok(isEtcdError(w.state.error, "SessionExpired"), String(w.state.error));
  assert.deepEqual(rig.keys("mylock/"), []);
});

test("a cancelled waiter removes its key; the one behind it moves up to wait on the holder", async (t) => {
  const rig = new ConcurrencyRig();
  t.after(() => rig.close());
  const [a, b, c] = [rig.grant(30n), rig.grant(31n), rig.grant(32n)];
  const held = await rig.lock.lock({ name, lease: a });
  const abort = new AbortController();
  const wb = pending(rig, b, abort.signal);
  await settle();
  const wc = pending(rig, c);
  await settle();
  abort.abort();
  await wb.promise;
  await settle();
  assert.ok(isEtcdError(wb.state.error, "Timeout"));
  assert.deepEqual(rig.keys("mylock/"), ["mylock/1e", "mylock/20"], "b's key is gone");
  assert.equal(wc.state.done, false, "c now waits for a");
  await rig.lock.unlock({ key: held.key });
  await wc.promise;
  assert.equal(wc.state.key, "mylock/20");
});

test("lock with an unknown lease: 'requested lease not found'; lease 0 gets a fresh 60 s lease", async (t) => {
  const rig = new ConcurrencyRig();
  t.after(() => rig.close());
  await assert.rejects(rig.lock.lock({ name, lease: 999n }), (e: unknown) => isEtcdError(e, "LeaseNotFound"));
  const r = await rig.lock.lock({ name, lease: 0n });
  const id = BigInt(`0x${r.key.toString().split("/")[1]!}`);
  assert.equal(rig.lessor.lookup(id)?.ttl, 60);
  assert.equal(rig.calls.grant, 1);
});

test("key names: negative lease ids print as Go does; prefix ends", () => {
  assert.equal(leaseHex(255n), "ff");
  assert.equal(leaseHex(-5n), "-5");
  assert.deepEqual(prefixEnd(Buffer.from("a/")), Buffer.from("a0"));
  assert.deepEqual(prefixEnd(Buffer.from([0x61, 0xff])), Buffer.from([0x62]));
  assert.deepEqual(prefixEnd(Buffer.from([0xff, 0xff])), Buffer.from([0]));
});
