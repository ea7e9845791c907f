/**
 * The Watch gRPC service in process, over a real HTTP/2 socket, on both
 * transports: our gRPC server (a batch of responses framed into one write)
 * and the grpc-js fallback (one write per response). Both must give the
 * client the same responses, honour the client's flow control, and free the
 * session when the client goes away. Also: the hasleader check refuses a
 * stream when there is no leader.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import type { WatchResponse } from "../../src/gen/etcdserverpb/rpc.js";
import { registerWithGrpcJs } from "../../src/api/grpc-js-adapter.js";
import { GrpcServer } from "../../src/api/grpc/server.js";
import { listenForTest } from "../../src/api/grpc/test-support.js";
import { leaderInterceptor } from "../../src/api/interceptors.js";
import { bindService } from "../../src/api/rpc/methods.js";
import { WATCH_SERVICE, watchHandlers } from "../../src/api/watch-service.js";
import { ManualClock } from "../../src/pkg/clock.js";
import { SeededRandom } from "../../src/pkg/random.js";
import { LeaderMonitor } from "../../src/server/raftnode/leader-monitor.js";
import { WatchHub } from "../../src/server/watch/hub.js";
import { MemoryBackend } from "../../src/storage/backend/memory-backend.js";
import { KVStore } from "../../src/storage/mvcc/kvstore.js";
import { newWatchClient, WatchStreamClient } from "./watch-client.js";

const b = (s: string): Buffer => Buffer.from(s, "latin1");

interface Rig {
  endpoint: string;
  hub: WatchHub;
  /** The member's leader monitor; the test checks it in place of the server's ticker. */
  monitor: LeaderMonitor;
  put(key: string, value: string): void;
  leader: { has: boolean };
  close(): Promise<void>;
}

type Transport = "ours" | "grpc-js";

async function rig(transport: Transport): Promise<Rig> {
  const backend = new MemoryBackend();
  let hub: WatchHub | undefined;
  const kv = new KVStore({ backend, onCommit: (events, rev) => hub!.notify(events, rev) });
  hub = new WatchHub({
    source: kv,
    backend,
    header: (revision) => ({ clusterId: 1n, memberId: 2n, revision, raftTerm: 3n }),
    clock: new ManualClock(),
    random: new SeededRandom(1),
    maxRequestBytes: 1.5 * 1024 * 1024,
  });
  hub.start();
  const leader = { has: true };
  const monitor = new LeaderMonitor(() => leader.has);
  const header = {
    header: (revision?: bigint) => ({ clusterId: 1n, memberId: 2n, revision: revision ?? kv.rev, raftTerm: 3n }),
    hasLeader: () => leader.has,
    onLeaderLost: (listener: () => void) => monitor.onLeaderLost(listener),
  };
  const methods = bindService(WATCH_SERVICE, watchHandlers(hub), [leaderInterceptor(header)]);
  let endpoint: string;
  let stopServer: () => Promise<void>;
  if (transport === "ours") {
    const server = new GrpcServer({ maxConcurrentStreams: 100, keepaliveIntervalMs: 0, keepaliveTimeoutMs: 20_000, maxReceiveBytes: 4 << 20 });
    server.addMethods(methods);
    const listening = await listenForTest(server);
    endpoint = listening.address;
    stopServer = () => listening.close();
  } else {
    const server = new grpc.Server();
    registerWithGrpcJs(server, methods);
    const port = await new Promise<number>((resolve, reject) => server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
    endpoint = `127.0.0.1:${port}`;
    stopServer = async () => server.forceShutdown();
  }
  return {
    endpoint,
    hub,
    monitor,
    leader,
    put(key, value) {
      const t = kv.write();
      try {
        t.put(b(key), b(value), 0n);
      } finally {
        t.end();
      }
    },
    async close() {
      hub!.stop();
      await stopServer();
    },
  };
}

async function until(cond: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function scenario(transport: Transport): Promise<string[]> {
  const r = await rig(transport);
  const client = newWatchClient(r.endpoint);
  try {
    const s = new WatchStreamClient(client);
    s.create({ key: b("k"), rangeEnd: b("l") });
    s.create({ key: b("k1"), prevKv: true });
    await s.count(2);
    // Many events while the client does not read: the server must wait for the window, not drop or buffer without end.
    s.call.pause();
    for (let i = 0; i < 3000; i++) r.put(`k${i % 3}`, `v${i}`.padEnd(200, "."));
    await new Promise((res) => setTimeout(res, 300));
    assert.ok(r.hub.stats().victims + r.hub.stats().unsynced >= 1 || s.responses.length < 1000, "the stalled client held the server back");
    s.call.resume();
    const events = (id: bigint): number => s.responses.filter((x) => x.watchId === id).reduce((n, x) => n + x.events.length, 0);
    await until(() => events(0n) === 3000 && events(1n) === 1000, "all events");
    s.cancel();
    await until(() => r.hub.sessions === 0, "session closed after the client cancelled");
    const describe = (x: WatchResponse): string[] =>
      x.created ? [`created ${x.watchId}`] : x.events.map((e) => `${x.watchId} ${e.kv!.key}=${e.kv!.value.toString().slice(0, 6)}@${e.kv!.modRevision} prev=${e.prevKv?.value.toString().slice(0, 6) ?? "-"}`);
    // Per watcher, in order (batching may differ between the two transports).
    return [...s.responses.filter((x) => x.created || x.watchId === 0n), ...s.responses.filter((x) => !x.created && x.watchId === 1n)].flatMap(describe);
  } finally {
    client.close();
    await r.close();
  }
}

test("Watch service: our transport (batched frames) and the grpc-js fallback give the same responses, with flow control", { timeout: 60_000 }, async () => {
  const raw = await scenario("ours");
  const fallback = await scenario("grpc-js");
  assert.equal(raw.length, 2 + 3000 + 1000);
  assert.deepEqual(raw.slice(0, 4), ["created 0", "created 1", "0 k0=v0....@2 prev=-", "0 k1=v1....@3 prev=-"]);
  assert.equal(raw.at(-1), "1 k1=v2998.@3000 prev=v2995.");
  assert.deepEqual(fallback, raw);
});

test("Watch service: hasleader=true without a leader is refused with 'no leader', and ended when the leader is gone", { timeout: 30_000 }, async () => {
  const r = await rig("ours");
  const client = newWatchClient(r.endpoint);
  try {
    r.leader.has = false;
    const md = new grpc.Metadata();
    md.set("hasleader", "true");
    const s = new WatchStreamClient(client, md);
    s.create({ key: b("k") });
    await until(() => s.error !== undefined, "the stream error");
    assert.equal(s.error!.code, grpc.status.UNAVAILABLE);
    assert.equal(s.error!.details, "etcdserver: no leader");
    // Without the metadata the same member serves the stream.
    const ok = new WatchStreamClient(client);
    ok.create({ key: b("k") });
    await ok.count(1);
    // A stream that required a leader is ended after three election timeouts without one.
    r.leader.has = true;
    const strict = new WatchStreamClient(client, md);
    strict.create({ key: b("k") });
    await strict.count(1);
    r.leader.has = false;
    for (let i = 0; i < 3; i++) r.monitor.check();
    await until(() => strict.error !== undefined, "the no-leader end");
    assert.equal(strict.error!.code, grpc.status.UNAVAILABLE);
    assert.equal(strict.error!.details, "etcdserver: no leader");
    assert.equal(ok.error, undefined);
    ok.cancel();
  } finally {
    client.close();
    await r.close();
  }
});
