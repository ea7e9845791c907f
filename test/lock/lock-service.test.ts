/**
 * v3lockpb.Lock against our server over gRPC, in real time, with several
 * clients: arrival order and mutual exclusion under contention, a holder
 * process killed with -9 (its lease expires, the next waiter gets the lock,
 * then the next, in order), a waiter whose session expired while waiting
 * ("mutex: session is expired"), and a waiter whose deadline passes (its
 * key is removed so it blocks nobody).
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { status } from "@grpc/grpc-js";
import { startServer, type ServerProcess } from "../harness/server-process.js";
import { must } from "../lease/lease-client.js";
import { concurrencyClients, type ConcurrencyClients } from "./clients.js";
import { holderProc, sleep } from "./procs.js";

let server: ServerProcess;
let c: ConcurrencyClients;

before(async () => {
  server = await startServer({ flavor: "ours" });
  c = concurrencyClients(server.endpoint);
});

after(async () => {
  c?.close();
  await server?.stop();
});

async function keysUnder(prefix: string): Promise<string[]> {
  const r = await c.lease.range(prefix);
  return r.kvs.sort((a, b) => (a.createRevision < b.createRevision ? -1 : 1)).map((kv) => kv.key.toString());
}

test("five clients: granted one at a time, in arrival order", async () => {
  const leases = await Promise.all([1, 2, 3, 4, 5].map(() => c.keptLease(10n)));
  let holders = 0;
  let maxHolders = 0;
  const order: number[] = [];
  const first = must(await c.lock("contend", leases[0]!.id));
  holders = 1;
  order.push(0);
  const waiting = leases.slice(1).map(async (l, i) => {
    // Arrive in order: each lock request after the previous one's key exists.
    await sleep(150 * i);
    const r = must(await c.lock("contend", l.id));
    holders++;
    maxHolders = Math.max(maxHolders, holders);
    order.push(i + 1);
    await sleep(100); // hold it for a while
    holders--;
    must(await c.unlock(r.key));
  });
  await sleep(150 * 4 + 300);
  assert.equal((await keysUnder("contend/")).length, 5, "everyone queued");
  assert.deepEqual(order, [0]);
  holders--;
  must(await c.unlock(first.key));
  await Promise.all(waiting);
  assert.deepEqual(order, [0, 1, 2, 3, 4]);
  assert.equal(maxHolders, 1, "never two holders");
  assert.deepEqual(await keysUnder("contend/"), []);
  for (const l of leases) l.stop();
});

test("a holder killed with -9: its lease expires and the waiters get the lock in order", async () => {
  const holder = holderProc(["grpc-lock", server.endpoint, "killed", "2"]);
  const locked = await holder.waitFor(/^LOCKED /);
  const holderKey = locked.split(" ")[1]!;
  const [a, b] = [await c.keptLease(10n), await c.keptLease(10n)];
  const granted: string[] = [];
  const pa = c.lock("killed", a.id).then((r) => (granted.push("a"), must(r)));
  await sleep(200);
  const pb = c.lock("killed", b.id).then((r) => (granted.push("b"), must(r)));
  await sleep(500);
  assert.deepEqual(granted, [], "the live holder keeps it");
  const killedAt = performance.now();
  await holder.kill9();
  const ra = await pa;
  const waited = performance.now() - killedAt;
  assert.ok(waited >= 1000 && waited < 5000, `granted ${waited.toFixed(0)} ms after the kill (TTL 2 s)`);
  assert.deepEqual(granted, ["a"]);
  assert.ok(!(await keysUnder("killed/")).includes(holderKey), "the dead holder's key went with its lease");
  await sleep(300);
  assert.deepEqual(granted, ["a"], "b still waits for a");
  must(await c.unlock(ra.key));
  await pb;
  assert.deepEqual(granted, ["a", "b"]);
  a.stop();
  b.stop();
});

test("a waiter whose lease expires while it waits gets 'mutex: session is expired'", async () => {
  const holder = await c.keptLease(10n);
  const h = must(await c.lock("expire", holder.id));
  const shortLived = must(await c.lease.grant(2n)).ID; // nobody keeps it alive
  const waiting = c.lock("expire", shortLived);
  await sleep(4000); // its key is gone with its lease; it still waits for the holder
  assert.deepEqual((await keysUnder("expire/")).length, 1);
  must(await c.unlock(h.key));
  const r = await waiting;
  assert.deepEqual(r.ok ? "granted" : r.error, { code: status.UNKNOWN, message: "mutex: session is expired" });
  holder.stop();
});

test("a waiter whose deadline passes removes its key; the one behind it moves up", async () => {
  const [h, w1, w2] = [await c.keptLease(10n), await c.keptLease(10n), await c.keptLease(10n)];
  const held = must(await c.lock("deadline", h.id));
  const timedOut = c.lock("deadline", w1.id, { deadlineMs: 500 });
  await sleep(100);
  let w2Granted = false;
  const p2 = c.lock("deadline", w2.id).then((r) => ((w2Granted = true), must(r)));
  const r1 = await timedOut;
  assert.equal(r1.ok ? 0 : r1.error.code, status.DEADLINE_EXCEEDED);
  await sleep(300);
  assert.deepEqual(await keysUnder("deadline/"), [held.key.toString(), `deadline/${w2.id.toString(16)}`], "w1's key is gone");
  assert.equal(w2Granted, false);
  must(await c.unlock(held.key));
  const r2 = await p2;
  assert.equal(r2.key.toString(), `deadline/${w2.id.toString(16)}`);
  for (const l of [h, w1, w2]) l.stop();
});

test("lock with an unknown lease fails as etcd's does (Unknown + 'requested lease not found'); unlock of a missing key succeeds", async () => {
  const r = await c.lock("unknown", 0x7777n);
  assert.deepEqual(r.ok ? "granted" : r.error, { code: status.UNKNOWN, message: "etcdserver: requested lease not found" });
  const u = await c.unlock(Buffer.from("nothing/here"));
  assert.ok(u.ok);
});
