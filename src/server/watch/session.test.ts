import { test } from "node:test";
import assert from "node:assert/strict";
import { WatchCreateRequest_FilterType, type WatchResponse } from "../../gen/etcdserverpb/rpc.js";
import { MemoryBackend } from "../../storage/backend/memory-backend.js";
import { KVStore } from "../../storage/mvcc/kvstore.js";
import { b, create, settle, setup, show } from "./test-support.js";

test("create: ids from 0, answers in request order before events; failures are created+canceled with id -1 and etcd's reason", async () => {
  const { put, open } = setup();
  put("a", "0"); // 2
  const { session, got } = open();
  session.create(create({ key: b("a") }));
  session.create(create({ key: b("a"), watchId: 5n }));
  session.create(create({ key: b("a"), watchId: 5n }));
  session.create(create({ key: b("b"), rangeEnd: b("a") }));
  session.create(create({ key: b("a"), startRevision: -1n }));
  session.create(create({ key: b("a") }));
  put("a", "1"); // 3
  await settle();
  assert.deepEqual(got.map(show), [
    "c0@2",
    "c5@2",
    "x-1 mvcc: duplicate watch ID provided on the WatchStream",
    "x-1 mvcc: watcher range is empty",
    "x-1 etcdserver: mvcc: required revision has been compacted",
    "c1@2",
    "e0@3 PUT a=1",
    "e5@3 PUT a=1",
    "e1@3 PUT a=1",
  ]);
  for (const r of got) assert.deepEqual({ ...r.header, revision: 0n }, { clusterId: 11n, memberId: 22n, revision: 0n, raftTerm: 3n });
});

test("empty key watches from \\0; range end \\0 means every key from the key on", async () => {
  const { put, open } = setup();
  const { session, got } = open();
  session.create(create({ key: b(""), rangeEnd: Buffer.from([0]) }));
  session.create(create({ key: b("m"), rangeEnd: Buffer.from([0]) }));
  put("a", "1");
  put("z", "1");
  await settle();
  // Watchers of one revision may come in any order; each watcher's own order is what counts.
  assert.deepEqual(got.map(show).slice(0, 3), ["c0@1", "c1@1", "e0@2 PUT a=1"]);
  assert.deepEqual(got.map(show).slice(3).sort(), ["e0@3 PUT z=1", "e1@3 PUT z=1"]);
});

test("cancel answers canceled for a live id, nothing for an unknown one, and no event follows", async () => {
  const { put, open } = setup();
  const { session, got } = open();
  session.create(create({ key: b("a") }));
  session.handle({ requestUnion: { $case: "cancelRequest", value: { watchId: 0n } } });
  session.handle({ requestUnion: { $case: "cancelRequest", value: { watchId: 7n } } });
  put("a", "1");
  await settle();
  assert.deepEqual(got.map(show), ["c0@1", "k0@1"]);
});

test("start in the past: created, then the backlog once the sync runs; compacted start: created then canceled with compact_revision", async () => {
  const { put, open, hub, kv } = setup();
  for (let i = 0; i < 4; i++) put("a", `${i}`); // 2..5
  kv.compact(3n);
  const { session, got } = open();
  session.create(create({ key: b("a"), startRevision: 3n, filters: [WatchCreateRequest_FilterType.NODELETE] }));
  session.create(create({ key: b("a"), startRevision: 2n }));
  await settle();
  assert.deepEqual(got.map(show), ["c0@5", "c1@5"]);
  hub.runSync();
  await settle();
  assert.deepEqual(got.map(show).slice(2).sort(), ["e0@5 PUT a=1, PUT a=2, PUT a=3", "k1@0 compact=3"]);
});

test("progress request: -1 at the current revision when synced; deferred until the backlog is delivered", async () => {
  const { put, open, hub } = setup();
  put("a", "1");
  put("a", "2"); // 3
  const { session, got } = open();
  session.progress(); // no watchers: answered at once
  session.create(create({ key: b("a") }));
  session.handle({ requestUnion: { $case: "progressRequest", value: {} } });
  await settle();
  assert.deepEqual(got.map(show), ["p-1@3", "c0@3", "p-1@3"]);
  session.create(create({ key: b("a"), startRevision: 2n }));
  session.progress();
  session.progress(); // already pending: one answer
  await settle();
  assert.deepEqual(got.map(show).slice(3), ["c1@3"]);
  hub.runSync();
  await settle();
  assert.deepEqual(got.map(show).slice(3), ["c1@3", "e1@3 PUT a=1, PUT a=2", "p-1@3"]);
  // A pending progress whose only unsynced watcher is cancelled is answered then.
  session.create(create({ key: b("a"), startRevision: 2n }));
  session.progress();
  session.cancel({ watchId: 2n });
  await settle();
  assert.deepEqual(got.map(show).slice(6), ["c2@3", "k2@3", "p-1@3"]);
});

test("progress_notify: an empty response per interval (with jitter) when no events came and the watcher is synced", async () => {
  const { put, open, hub, clock } = setup({ progressNotifyIntervalMs: 1000 });
  const { session, got } = open();
  session.create(create({ key: b("a"), progressNotify: true }));
  session.create(create({ key: b("b") }));
  clock.advance(999);
  hub.progressTick();
  await settle();
  assert.deepEqual(got.map(show), ["c0@1", "c1@1"]);
  clock.advance(101); // past interval + max jitter (10%)
  hub.progressTick();
  await settle();
  assert.deepEqual(got.map(show).slice(2), ["p0@1"]);
  put("a", "x"); // an event during the next interval elides its progress
  clock.advance(1100);
  hub.progressTick();
  clock.advance(1100);
  hub.progressTick();
  await settle();
  assert.deepEqual(got.map(show).slice(3), ["e0@2 PUT a=x", "p0@2"]);
});

test("prev_kv: none for a creation, the old value for overwrite and delete, omitted once compacted", async () => {
  const { put, del, open, hub, kv } = setup();
  put("a", "1"); // 2
  put("a", "2"); // 3
  del("a"); // 4
  put("a", "3"); // 5
  const { session, got } = open();
  session.create(create({ key: b("a"), prevKv: true, startRevision: 2n }));
  hub.runSync();
  await settle();
  assert.deepEqual(got.map(show).slice(1), ["e0@5 PUT a=1, PUT a=2 prev=1, DEL a prev=2, PUT a=3"]);
  put("a", "4"); // 6
  await settle();
  assert.equal(show(got.at(-1)!), "e0@6 PUT a=4 prev=3");
  const late = open();
  late.session.create(create({ key: b("a"), prevKv: true, startRevision: 6n }));
  kv.compact(6n);
  hub.runSync();
  await settle();
  // Revision 5 (the previous value) is compacted away: prev_kv left out.
  assert.equal(show(late.got.at(-1)!), "e0@6 PUT a=4");
});

test("fragment: a big response is split under the limit, fragment set on all but the last; without it, one response", async () => {
  const { kv, open, hub } = setup({ fragmentBytes: 1000 });
  const t = kv.write();
  for (let i = 0; i < 10; i++) t.put(b(`k${i}`), Buffer.alloc(300, 97), 0n);
  t.end(); // one revision, 10 events of ~320 bytes
  const frag = open();
  frag.session.create(create({ key: b("k"), rangeEnd: b("l"), startRevision: 1n, fragment: true }));
  const whole = open();
  whole.session.create(create({ key: b("k"), rangeEnd: b("l"), startRevision: 1n }));
  hub.runSync();
  await settle();
  const pieces = frag.got.slice(1);
  assert.ok(pieces.length >= 4, `split into ${pieces.length}`);
  assert.deepEqual(
    pieces.map((p) => p.fragment),
    [...pieces.slice(1).map(() => true), false],
  );
  assert.deepEqual(
    pieces.flatMap((p) => p.events.map((e) => e.kv!.key.toString())),
    Array.from({ length: 10 }, (_, i) => `k${i}`),
  );
  assert.equal(whole.got.length, 2);
  assert.equal(whole.got[1]!.events.length, 10);
});

test("back-pressure: a consumer that stops taking responses pins a bounded queue; on resume every event arrives once, in order", async () => {
  const { put, hub } = setup({ sessionLimits: { maxQueuedBytes: 4096, maxWriteBytes: 1024 } });
  const session = hub.openSession();
  const got: WatchResponse[] = [];
  let open = true;
  session.attach({
    write(rs) {
      got.push(...rs);
      return open;
    },
  });
  session.create(create({ key: b("k"), rangeEnd: b("l") }));
  session.create(create({ key: b("k5") }));
  await settle();
  open = false;
  for (let i = 0; i < 2000; i++) put(`k${i % 10}`, `v${i}`);
  await settle();
  // Stalled: at most a queue's worth is held; the watchers are victims holding one batch each.
  assert.ok(session.queued < 200, `queued ${session.queued}`);
  assert.ok(hub.stats().victims >= 1);
  for (let round = 0; round < 10_000 && (hub.store.hasBacklog || hub.stats().victims > 0 || session.queued > 0); round++) {
    open = true;
    session.resume();
    await settle();
    hub.runSync();
    await settle();
  }
  const events = (id: bigint): string[] => got.filter((r) => r.watchId === id).flatMap((r) => r.events.map((e) => `${e.kv!.key}=${e.kv!.value}@${e.kv!.modRevision}`));
  const all = events(0n);
  assert.equal(all.length, 2000);
  assert.deepEqual(
    all,
    Array.from({ length: 2000 }, (_, i) => `k${i % 10}=v${i}@${i + 2}`),
  );
  assert.deepEqual(
    events(1n),
    Array.from({ length: 200 }, (_, j) => `k5=v${j * 10 + 5}@${j * 10 + 7}`),
  );
  assert.equal(hub.stats().pendingEvents, 0);
});

test("async iteration and close: responses in order; close frees the watchers", async () => {
  const { put, hub } = setup();
  const session = hub.openSession();
  session.create(create({ key: b("a") }));
  put("a", "1");
  put("a", "2");
  const seen: string[] = [];
  for await (const r of session) {
    seen.push(show(r));
    if (seen.length === 3) break;
  }
  assert.deepEqual(seen, ["c0@1", "e0@2 PUT a=1", "e0@3 PUT a=2"]);
  assert.equal(session.closed, true);
  assert.deepEqual(hub.stats(), { watchers: 0, synced: 0, unsynced: 0, victims: 0, streams: 0, pendingEvents: 0 });
});

test("gauges: watchers, streams, slow watchers and pending events", async () => {
  const values: Record<string, number> = {};
  const gauge = (name: string) => ({ set: (v: number) => void (values[name] = v) });
  const { put, hub } = setup({
    metrics: { watchers: gauge("watchers"), streams: gauge("streams"), slowWatchers: gauge("slow"), pendingEvents: gauge("pending") },
  });
  put("a", "1");
  const s = hub.openSession();
  s.create(create({ key: b("a") }));
  s.create(create({ key: b("a"), startRevision: 1n }));
  hub.updateMetrics();
  assert.deepEqual(values, { watchers: 2, streams: 1, slow: 1, pending: 0 });
  put("a", "2");
  hub.updateMetrics();
  assert.equal(values["pending"], 1, "queued, no consumer yet");
  s.close();
  assert.deepEqual(values, { watchers: 0, streams: 0, slow: 0, pending: 0 });
});

test("input back-pressure: past maxQueuedResponses the transport is asked to stop reading requests, and to go on once drained", async () => {
  const { hub } = setup({ sessionLimits: { maxQueuedResponses: 10 } });
  const session = hub.openSession();
  const calls: string[] = [];
  let open = false;
  session.attach({
    write: () => open,
    pauseInput: () => calls.push("pause"),
    resumeInput: () => calls.push("resume"),
  });
  session.create(create({ key: b("first") }));
  await settle(); // the sink took it and said it is full
  for (let i = 0; i < 30; i++) session.create(create({ key: b(`k${i}`) }));
  await settle();
  assert.deepEqual(calls, ["pause"]);
  assert.equal(session.queued, 30);
  open = true;
  session.resume();
  await settle();
  assert.deepEqual(calls, ["pause", "resume"]);
  assert.equal(session.queued, 0);
});

test("a sink that throws ends its session, not the server", async () => {
  const { put, hub } = setup();
  const session = hub.openSession();
  session.attach({
    write() {
      throw new Error("transport gone");
    },
  });
  session.create(create({ key: b("a") }));
  put("a", "1");
  await settle();
  assert.equal(session.closed, true);
  assert.equal(hub.sessions, 0);
  put("a", "2");
});

test("hub restore with a replaced store: watchers catch up from the new store, prev_kv read from it", async () => {
  const { put, open, hub, kv } = setup();
  put("a", "1"); // 2
  const { session, got } = open();
  session.create(create({ key: b("a"), prevKv: true }));
  await settle();
  // A new store with a longer history of the same keys (as after installing a leader snapshot).
  const backend2 = new MemoryBackend();
  const kv2 = new KVStore({ backend: backend2 });
  for (const v of ["1", "2", "3"]) {
    const t = kv2.write();
    t.put(b("a"), b(v), 0n);
    t.end();
  }
  hub.restore(kv.rev, { source: kv2, backend: backend2 });
  hub.runSync();
  await settle();
  assert.deepEqual(got.map(show), ["c0@2", "e0@4 PUT a=2 prev=1, PUT a=3 prev=2"]);
});
