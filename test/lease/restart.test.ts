/**
 * Leases across restarts of our server, in real time: leases and their
 * attached keys come back from the backend (clean stop and kill -9), a
 * restarted leader gives every lease its full TTL plus the election timeout
 * again (never an earlier expiry), a lease left alone after the restart
 * still expires and takes its keys, and the lease-checkpoint flags start a
 * working server.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { tempDir } from "../harness/paths.js";
import { startServer, type ServerProcess } from "../harness/server-process.js";
import { leaseClients, must, sleep, waitUntil } from "./lease-client.js";

async function restart(previous: ServerProcess, dataDir: string, how: "stop" | "kill9", extraArgs: string[] = []): Promise<ServerProcess> {
  if (how === "stop") await previous.stop({ keepData: true });
  else await previous.kill9();
  return startServer({ flavor: "ours", dataDir, clientPort: previous.clientPort, peerPort: previous.peerPort, extraArgs });
}

test("leases and attached keys survive a restart; deadlines restart from the full TTL; expiry still works", async () => {
  const dir = tempDir("etcd-lease-restart");
  let server = await startServer({ flavor: "ours", dataDir: `${dir.path}/data` });
  try {
    let c = leaseClients(server.endpoint);
    const long = must(await c.grant(60n)).ID;
    const short = must(await c.grant(3n)).ID;
    must(await c.put("rs/long/1", "a", long));
    must(await c.put("rs/long/2", "b", long));
    must(await c.put("rs/short", "c", short));
    await sleep(2000); // the short lease has about 1 s left when the member stops
    c.close();

    server = await restart(server, `${dir.path}/data`, "stop");
    const restarted = performance.now();
    c = leaseClients(server.endpoint);
    assert.deepEqual(must(await c.leases()), [long, short].sort((a, b) => (a < b ? -1 : 1)));
    const ttlLong = must(await c.timeToLive(long, true));
    assert.equal(ttlLong.grantedTTL, 60n);
    assert.ok(ttlLong.TTL >= 59n && ttlLong.TTL <= 61n, `remaining ${ttlLong.TTL}`);
    assert.deepEqual(ttlLong.keys.map(String), ["rs/long/1", "rs/long/2"]);
    const ttlShort = must(await c.timeToLive(short, true));
    assert.ok(ttlShort.TTL >= 2n, `the restarted leader restarts the 3 s TTL (+1 s): ${ttlShort.TTL}`);
    // Not early: the short lease's key outlives its pre-restart deadline.
    await sleep(2500 - (performance.now() - restarted));
    assert.equal((await c.range("rs/short")).count, 1n);
    await waitUntil(async () => (await c.range("rs/short")).count === 0n, 6000);
    const gone = performance.now() - restarted;
    assert.ok(gone >= 2900, `expired ${gone.toFixed(0)} ms after the restart, before 3 s`);
    assert.equal(must(await c.timeToLive(short)).TTL, -1n);
    // The long lease's keys are attached again: revoking it deletes them.
    const before = (await c.range("rs/")).header!.revision;
    const revoked = must(await c.revoke(long));
    assert.equal(revoked.revision, before + 1n);
    assert.equal((await c.range("rs/")).count, 0n);
    c.close();
  } finally {
    await server.stop();
    dir.remove();
  }
});

test("an acknowledged grant and leased put survive kill -9", async () => {
  const dir = tempDir("etcd-lease-kill9");
  let server = await startServer({ flavor: "ours", dataDir: `${dir.path}/data` });
  try {
    let c = leaseClients(server.endpoint);
    const ids: bigint[] = [];
    for (let i = 0; i < 20; i++) {
      const id = must(await c.grant(120n)).ID;
      ids.push(id);
      must(await c.put(`k9/${i}`, "v", id));
    }
    c.close();
    server = await restart(server, `${dir.path}/data`, "kill9");
    c = leaseClients(server.endpoint);
    const listed = must(await c.leases());
    for (const id of ids) assert.ok(listed.includes(id), `lease ${id.toString(16)} lost`);
    for (const [i, id] of ids.entries()) assert.deepEqual(must(await c.timeToLive(id, true)).keys.map(String), [`k9/${i}`]);
    c.close();
  } finally {
    await server.stop();
    dir.remove();
  }
});

test("--experimental-enable-lease-checkpoint(-persist): a working server, leases kept across restart", async () => {
  const dir = tempDir("etcd-lease-checkpoint");
  const flags = ["--experimental-enable-lease-checkpoint", "--experimental-enable-lease-checkpoint-persist"];
  let server = await startServer({ flavor: "ours", dataDir: `${dir.path}/data`, extraArgs: flags });
  try {
    let c = leaseClients(server.endpoint);
    const id = must(await c.grant(600n)).ID;
    must(await c.put("cp/k", "v", id));
    const ka = c.keepAliveStream();
    assert.equal((await ka.send(id)).TTL, 600n);
    await ka.end();
    c.close();
    server = await restart(server, `${dir.path}/data`, "stop", flags);
    c = leaseClients(server.endpoint);
    const ttl = must(await c.timeToLive(id, true));
    assert.equal(ttl.grantedTTL, 600n);
    assert.ok(ttl.TTL > 590n && ttl.TTL <= 601n, `${ttl.TTL}`);
    assert.deepEqual(ttl.keys.map(String), ["cp/k"]);
    c.close();
  } finally {
    await server.stop();
    dir.remove();
  }
});
