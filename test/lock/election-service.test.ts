/**
 * v3electionpb.Election against our server over gRPC, in real time:
 * candidates lead in campaign order, Observe streams the leader and its
 * proclaimed values, a leader process killed with -9 loses leadership when
 * its lease expires and the next candidate leads, and the errors clients
 * match on.
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

test("three candidates lead in campaign order; Observe sees each leader and proclaimed value", async () => {
  const [a, b, d] = [await c.keptLease(10n), await c.keptLease(10n), await c.keptLease(10n)];
  const obs = c.observe("svc");
  const ra = must(await c.campaign("svc", a.id, "a1"));
  assert.equal(ra.leader?.key.toString(), `svc/${a.id.toString(16)}`);
  assert.equal(ra.leader?.lease, a.id);
  await obs.next(1);
  const elected: string[] = [];
  const pb = c.campaign("svc", b.id, "b1").then((r) => (elected.push("b"), must(r)));
  await sleep(200);
  const pd = c.campaign("svc", d.id, "d1").then((r) => (elected.push("d"), must(r)));
  await sleep(200);
  assert.equal(must(await c.leader("svc")).kv?.value.toString(), "a1");
  must(await c.proclaim(ra.leader, "a2"));
  await obs.next(2);
  must(await c.resign(ra.leader));
  const rb = await pb;
  await obs.next(3);
  assert.deepEqual(elected, ["b"]);
  must(await c.resign(rb.leader));
  await pd;
  await obs.next(4);
  assert.deepEqual(elected, ["b", "d"]);
  assert.deepEqual(obs.values, [`svc/${a.id.toString(16)}=a1`, `svc/${a.id.toString(16)}=a2`, `svc/${b.id.toString(16)}=b1`, `svc/${d.id.toString(16)}=d1`]);
  obs.cancel();
  for (const l of [a, b, d]) l.stop();
});

test("a leader killed with -9: its lease expires and the waiting candidate leads", async () => {
  const holder = holderProc(["grpc-campaign", server.endpoint, "vip", "dead", "2"]);
  await holder.waitFor(/^ELECTED /);
  const obs = c.observe("vip");
  await obs.next(1);
  const next = await c.keptLease(10n);
  let elected = false;
  const p = c.campaign("vip", next.id, "alive").then((r) => ((elected = true), must(r)));
  await sleep(500);
  assert.equal(elected, false);
  const killedAt = performance.now();
  await holder.kill9();
  await p;
  const waited = performance.now() - killedAt;
  assert.ok(waited >= 1000 && waited < 5000, `elected ${waited.toFixed(0)} ms after the kill (TTL 2 s)`);
  await obs.next(2);
  assert.match(obs.values[0]!, /=dead$/);
  assert.equal(obs.values[1], `vip/${next.id.toString(16)}=alive`);
  obs.cancel();
  next.stop();
});

test("errors: no leader, not leader, missing leader key — Unknown with etcd's text", async () => {
  assert.deepEqual(await errorOf(c.leader("nobody")), { code: status.UNKNOWN, message: "election: no leader" });
  const l = await c.keptLease(10n);
  const r = must(await c.campaign("errs", l.id, "x"));
  assert.deepEqual(await errorOf(c.proclaim({ ...r.leader!, rev: r.leader!.rev + 1000n }, "y")), { code: status.UNKNOWN, message: "election: not leader" });
  assert.deepEqual(await errorOf(c.proclaim(undefined, "y")), { code: status.UNKNOWN, message: '"leader" field must be provided' });
  assert.deepEqual(await errorOf(c.resign(undefined)), { code: status.UNKNOWN, message: '"leader" field must be provided' });
  assert.deepEqual(await errorOf(c.campaign("errs2", 0x5555n, "x")), { code: status.UNKNOWN, message: "etcdserver: requested lease not found" });
  must(await c.resign(r.leader));
  l.stop();
});

async function errorOf(p: Promise<{ ok: true } | { ok: false; error: { code: number; message: string } }>): Promise<unknown> {
  const r = await p;
  return r.ok ? "succeeded" : r.error;
}
