/**
 * The `etcd3` npm client's lock() and election() against our server, in
 * real time, with several clients: mutual exclusion of lock holders, a
 * holder process killed with -9 (its lease expires, another client gets the
 * lock), and elections with a killed leader and an observer.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { Etcd3 } from "etcd3";
import { startServer, type ServerProcess } from "../harness/server-process.js";
import { holderProc, sleep } from "./procs.js";

let server: ServerProcess;
const clients: Etcd3[] = [];

function client(): Etcd3 {
  const c = new Etcd3({ hosts: server.clientUrl, dialTimeout: 5000 });
  clients.push(c);
  return c;
}

before(async () => {
  server = await startServer({ flavor: "ours" });
});

after(async () => {
  for (const c of clients) c.close();
  await server?.stop();
});

test("etcd3 lock(): four clients, three rounds each, never two holders", async () => {
  let holders = 0;
  let maxHolders = 0;
  let entries = 0;
  const worker = async (c: Etcd3): Promise<void> => {
    for (let round = 0; round < 3; round++) {
      for (;;) {
        const lock = c.lock("shared-resource").ttl(5);
        try {
          await lock.acquire();
        } catch {
          await sleep(20); // held by someone else (etcd3's lock is a try-lock)
          continue;
        }
        holders++;
        entries++;
        maxHolders = Math.max(maxHolders, holders);
        await sleep(30);
        holders--;
        await lock.release();
        break;
      }
    }
  };
  await Promise.all([client(), client(), client(), client()].map(worker));
  assert.equal(entries, 12);
  assert.equal(maxHolders, 1);
});

test("etcd3 lock(): a holder killed with -9 frees the lock when its lease expires", async () => {
  const holder = holderProc(["etcd3-lock", server.clientUrl, "killed-lock", "2"]);
  await holder.waitFor(/^LOCKED$/);
  const c = client();
  await assert.rejects(c.lock("killed-lock").ttl(5).acquire(), /Failed to acquire a lock/);
  const killedAt = performance.now();
  await holder.kill9();
  for (;;) {
    try {
      const lock = await c.lock("killed-lock").ttl(5).acquire();
      await lock.release();
      break;
    } catch {
      assert.ok(performance.now() - killedAt < 8000, "lock never freed");
      await sleep(100);
    }
  }
  const waited = performance.now() - killedAt;
  assert.ok(waited >= 1000, `freed ${waited.toFixed(0)} ms after the kill, before the 2 s TTL`);
});

test("etcd3 election(): a killed leader is replaced once its lease expires; the observer follows", async () => {
  const holder = holderProc(["etcd3-campaign", server.clientUrl, "el", "dead-leader", "2"]);
  await holder.waitFor(/^ELECTED$/);
  const watcherClient = client();
  const observer = await watcherClient.election("el").observe();
  const changes: (string | undefined)[] = [observer.leader()];
  observer.on("change", (v) => changes.push(v));
  const candidate = client().election("el", 2).campaign("next-leader");
  let elected = false;
  candidate.on("elected", () => (elected = true));
  await sleep(800);
  assert.equal(elected, false);
  const killedAt = performance.now();
  await holder.kill9();
  await candidate.wait();
  const waited = performance.now() - killedAt;
  assert.ok(waited >= 1000 && waited < 6000, `elected ${waited.toFixed(0)} ms after the kill`);
  assert.equal(await watcherClient.election("el").leader(), "next-leader");
  for (let i = 0; i < 50 && !changes.includes("next-leader"); i++) await sleep(100);
  assert.equal(changes[0], "dead-leader");
  assert.ok(changes.includes("next-leader"), JSON.stringify(changes));
  await observer.cancel();
  await candidate.resign();
});
