/**
 * Leases through the `etcd3` npm client (an unmodified third-party client)
 * against our server, in real time: grant, leased puts, the client's own
 * keepalive stream keeping a lease alive past its TTL, keepaliveOnce,
 * revocation, a lease revoked elsewhere reported as lost, and expiry once
 * the client stops keeping the lease alive.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { Etcd3, EtcdLeaseInvalidError } from "etcd3";
import { startServer, type ServerProcess } from "../harness/server-process.js";
import { leaseClients, must, sleep, waitUntil, type LeaseClients } from "./lease-client.js";

let server: ServerProcess;
let client: Etcd3;
let raw: LeaseClients;

before(async () => {
  server = await startServer({ flavor: "ours" });
  client = new Etcd3({ hosts: server.clientUrl, dialTimeout: 5000 });
  raw = leaseClients(server.endpoint);
});

after(async () => {
  client?.close();
  raw?.close();
  await server?.stop();
});

test("a leased key lives while the client keeps the lease alive, and goes with revoke", async () => {
  const lease = client.lease(2);
  let keepalives = 0;
  lease.on("keepaliveSucceeded", (res) => {
    assert.equal(res.TTL, "2");
    keepalives++;
  });
  const id = await lease.grant();
  assert.match(id, /^\d+$/);
  await lease.put("e3/alive").value("yes");
  await sleep(5000);
  assert.equal(await client.get("e3/alive").string(), "yes", "kept past 2.5× its TTL");
  assert.ok(keepalives >= 5, `keepalives: ${keepalives}`);
  const ttl = must(await raw.timeToLive(BigInt(id), true));
  assert.equal(ttl.grantedTTL, 2n);
  assert.ok(ttl.TTL >= 1n && ttl.TTL <= 2n, `remaining ${ttl.TTL}`);
  assert.deepEqual(ttl.keys.map(String), ["e3/alive"]);
  await lease.revoke();
  assert.equal(await client.get("e3/alive").string(), null);
  assert.equal(must(await raw.timeToLive(BigInt(id))).TTL, -1n);
});

test("keepaliveOnce answers the granted TTL", async () => {
  const lease = client.lease(30, { autoKeepAlive: false });
  const id = await lease.grant();
  const res = await lease.keepaliveOnce();
  assert.equal(res.ID, id);
  assert.equal(res.TTL, "30");
  await lease.revoke();
});

test("a lease revoked by someone else is reported lost on the next keepalive", async () => {
  const lease = client.lease(3);
  const lost = new Promise<Error>((resolve) => lease.on("lost", resolve));
  const id = await lease.grant();
  await lease.put("e3/lost").value("x");
  must(await raw.revoke(BigInt(id)));
  const err = await Promise.race([lost, sleep(5000).then(() => undefined)]);
  assert.ok(err instanceof EtcdLeaseInvalidError, `lost with ${String(err)}`);
  assert.equal(await client.get("e3/lost").string(), null);
});

test("once the client stops keeping it alive the lease expires with its keys — not before its TTL", async () => {
  const lease = client.lease(2);
  const id = await lease.grant();
  await lease.put("e3/expire/a").value("1");
  await lease.put("e3/expire/b").value("2");
  const before = await client.get("e3/expire/a").exec();
  lease.release();
  const released = performance.now();
  await sleep(1500);
  assert.equal(await client.getAll().prefix("e3/expire/").count(), 2, "still there before the TTL");
  await waitUntil(async () => (await client.getAll().prefix("e3/expire/").count()) === 0, 6000);
  const gone = performance.now() - released;
  assert.ok(gone >= 1900 && gone < 5000, `expired after ${gone.toFixed(0)} ms`);
  const after = await client.get("e3/expire/a").exec();
  assert.equal(BigInt(after.header.revision), BigInt(before.header.revision) + 1n, "both keys deleted in one revision");
  assert.equal(must(await raw.timeToLive(BigInt(id))).TTL, -1n);
});

test("many leases with the same TTL expire together, each in its own revision", async () => {
  const n = 50;
  const ids: bigint[] = [];
  for (let i = 0; i < n; i++) {
    const g = must(await raw.grant(2n));
    ids.push(g.ID);
    must(await raw.put(`e3/many/${i}/x`, "v", g.ID));
    must(await raw.put(`e3/many/${i}/y`, "v", g.ID));
  }
  const start = (await raw.range("e3/many/")).header!.revision;
  await waitUntil(async () => (await raw.range("e3/many/")).count === 0n, 8000);
  const end = (await raw.range("e3/many/")).header!.revision;
  assert.equal(end - start, BigInt(n), "one revision per revoked lease");
  assert.deepEqual(must(await raw.leases()).filter((id) => ids.includes(id)), []);
});
