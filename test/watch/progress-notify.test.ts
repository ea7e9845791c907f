/**
 * progress_notify in real time, on ours and the real etcd with
 * --experimental-watch-progress-notify-interval=200ms: a quiet synced
 * watcher that asked for it gets an empty response at the current revision
 * about every interval (etcd adds up to 10% jitter); a watcher that did not
 * ask gets none; a watcher that just got events skips the next one.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { PutRequest, PutResponse } from "../../src/gen/etcdserverpb/rpc.js";
import { connect, mustCall } from "../harness/grpc-clients.js";
import { startServer, type Flavor } from "../harness/server-process.js";
import { newWatchClient, WatchStreamClient } from "./watch-client.js";

const b = (s: string): Buffer => Buffer.from(s, "latin1");

async function observe(flavor: Flavor): Promise<{ quiet: bigint[]; silent: number; busy: { events: number; progressRevs: bigint[] } }> {
  const server = await startServer({ flavor, extraArgs: ["--experimental-watch-progress-notify-interval", "200ms"] });
  const c = connect(server.endpoint);
  const wc = newWatchClient(server.endpoint);
  try {
    const put = (k: string): Promise<PutResponse> => mustCall<PutRequest, PutResponse>(c.kv, c.kv.put, { key: b(k), value: b("v"), lease: 0n, prevKv: false, ignoreValue: false, ignoreLease: false });
    await put("x");
    const s = new WatchStreamClient(wc);
    s.create({ key: b("quiet"), progressNotify: true }); // id 0
    s.create({ key: b("quiet") }); // id 1: did not ask
    s.create({ key: b("busy"), progressNotify: true }); // id 2
    await s.until((rs) => rs.filter((r) => r.created).length === 3, 5000, "created");
    // Writes to "busy" every 50 ms for 2 s: its progress ticks are elided; "quiet" keeps getting them.
    const end = Date.now() + 2000;
    while (Date.now() < end) {
      await put("busy");
      await new Promise((r) => setTimeout(r, 50));
    }
    await new Promise((r) => setTimeout(r, 300));
    const of = (id: bigint) => s.responses.filter((r) => !r.created && r.watchId === id);
    const quiet = of(0n).map((r) => {
      assert.equal(r.events.length, 0);
      return r.header!.revision;
    });
    const busy = of(2n);
    s.cancel();
    return {
      quiet,
      silent: of(1n).length,
      busy: { events: busy.reduce((n, r) => n + r.events.length, 0), progressRevs: busy.filter((r) => r.events.length === 0).map((r) => r.header!.revision) },
    };
  } finally {
    wc.close();
    c.close();
    await server.stop();
  }
}

for (const flavor of ["real", "ours"] as Flavor[]) {
  test(`progress_notify every interval for quiet synced watchers that asked (${flavor})`, { timeout: 60_000 }, async () => {
    const o = await observe(flavor);
    // ~2.3 s at 200-220 ms: 8 to 12 notifications (timing slack both ways).
    assert.ok(o.quiet.length >= 7 && o.quiet.length <= 13, `quiet watcher got ${o.quiet.length} progress notifications`);
    // Each one carries the current revision, which only goes up.
    for (let i = 1; i < o.quiet.length; i++) assert.ok(o.quiet[i]! >= o.quiet[i - 1]!);
    assert.equal(o.silent, 0, "a watcher without progress_notify gets nothing");
    assert.ok(o.busy.events >= 20, `busy watcher got ${o.busy.events} events`);
    assert.ok(o.busy.progressRevs.length <= 2, `busy watcher got ${o.busy.progressRevs.length} progress notifications`);
  });
}
