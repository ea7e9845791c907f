/**
 * etcd's watch guarantees against a real server process, under a random
 * concurrent write load, with many watchers on several streams and streams
 * dropped and re-opened while the load runs:
 *
 * - ordered, unique, reliable: each watcher (across its reconnects) gets
 *   exactly the events of the client-recorded history that it covers and
 *   its filters let through, in revision order, each once;
 * - atomic: no revision is split over two responses;
 * - resumable: a stream re-opened at (last revision seen + 1) continues
 *   without gap or repeat;
 * - bookmarkable: after a progress notification at revision R, everything
 *   up to R has arrived and nothing at or below R follows;
 * - prev_kv and the kv fields match the history; filters are respected.
 *
 * Runs against ours and, to check the checker, the real etcd
 * (WATCH_FLAVORS=ours to skip it; WATCH_SEED, WATCH_OPS to vary the load).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type * as grpc from "@grpc/grpc-js";
import {
  WatchCreateRequest_FilterType,
  type DeleteRangeRequest,
  type DeleteRangeResponse,
  type PutRequest,
  type PutResponse,
  type RequestOp,
  type ResponseOp,
  type TxnRequest,
  type TxnResponse,
  type WatchResponse,
} from "../../src/gen/etcdserverpb/rpc.js";
import type { Event } from "../../src/gen/mvccpb/kv.js";
import { SeededRandom } from "../../src/pkg/random.js";
import { connect, mustCall, type Clients } from "../harness/grpc-clients.js";
import { startServer, type Flavor } from "../harness/server-process.js";
import { covers, describeEvent, describeExpected, describePrev, History, type WatchRange, type WrittenEvent } from "./model.js";
import { createRequest, newWatchClient } from "./watch-client.js";

const b = (s: string): Buffer => Buffer.from(s, "latin1");
const KEYS = Array.from({ length: 20 }, (_, i) => `k/${String(i).padStart(2, "0")}`);
const OTHER = ["other/a", "other/b"];

interface Spec extends WatchRange {
  filters: WatchCreateRequest_FilterType[];
  prevKv: boolean;
  progressNotify: boolean;
}

const SHAPES: WatchRange[] = [
  { key: "k/", end: "k0" },
  { key: "k/07", end: "" },
  { key: "k/05", end: "k/12" },
  { key: "k/15", end: "\0" },
  { key: "", end: "\0" },
  { key: "other/", end: "other0" },
];

interface Received {
  /** Index of the response among everything this watcher received. */
  response: number;
  event: Event;
}

/** One logical watcher, followed across reconnects. */
interface Watcher {
  spec: Spec;
  from: bigint;
  /** Where a re-created watcher starts: one past the last revision it is known to have seen completely. */
  resumeFrom: bigint;
  events: Received[];
  responses: number;
  /** Progress notifications: revision and how many events had arrived before it. */
  progress: { rev: bigint; eventsBefore: number }[];
  unexpected: string[];
}

interface StreamState {
  client: ReturnType<typeof newWatchClient>;
  call: grpc.ClientDuplexStream<unknown, WatchResponse> | undefined;
  generation: number;
  watchers: Watcher[];
  byId: Map<bigint, Watcher>;
  pendingCreates: Watcher[];
  created: number;
}

function openStream(s: StreamState): void {
  const gen = ++s.generation;
  const call = s.client.watch() as unknown as grpc.ClientDuplexStream<unknown, WatchResponse>;
  s.call = call;
  s.byId = new Map();
  s.pendingCreates = [];
  call.on("error", () => {});
  call.on("data", (r: WatchResponse) => {
    if (gen !== s.generation) return;
    if (r.created) {
      const w = s.pendingCreates.shift()!;
      if (r.canceled) w.unexpected.push(`create refused: ${r.cancelReason}`);
      s.byId.set(r.watchId, w);
      s.created++;
      if (w.from === 0n) {
        w.from = r.header!.revision + 1n;
        w.resumeFrom = w.from;
      }
      return;
    }
    const targets = r.watchId === -1n ? [...s.byId.values()] : [s.byId.get(r.watchId)];
    for (const w of targets) {
      if (w === undefined) continue;
      if (r.canceled) {
        w.unexpected.push(`canceled: ${r.cancelReason} compact=${r.compactRevision}`);
        continue;
      }
      const index = w.responses++;
      if (r.events.length === 0) {
        w.progress.push({ rev: r.header!.revision, eventsBefore: w.events.length });
        if (r.header!.revision + 1n > w.resumeFrom) w.resumeFrom = r.header!.revision + 1n;
        continue;
      }
      for (const event of r.events) w.events.push({ response: index, event });
      const last = r.events.at(-1)!.kv!.modRevision;
      if (last + 1n > w.resumeFrom) w.resumeFrom = last + 1n;
    }
  });
  for (const w of s.watchers) {
    s.pendingCreates.push(w);
    (call as unknown as { write(x: unknown): void }).write({
      requestUnion: {
        $case: "createRequest",
        value: createRequest({
          key: b(w.spec.key),
          rangeEnd: b(w.spec.end),
          startRevision: w.resumeFrom,
          filters: w.spec.filters,
          prevKv: w.spec.prevKv,
          progressNotify: w.spec.progressNotify,
        }),
      },
    });
  }
}

async function writer(clients: Clients, history: History, rnd: SeededRandom, ops: number): Promise<void> {
  const kv = clients.kv;
  const key = (): string => (rnd.intn(10) === 0 ? OTHER[rnd.intn(OTHER.length)]! : KEYS[rnd.intn(KEYS.length)]!);
  const value = (): string => `v${rnd.intn(100000)}`.padEnd(1 + rnd.intn(40), "x");
  const deletes = (prevKvs: { key: Buffer }[]): WrittenEvent[] => prevKvs.map((p) => ({ type: "DEL", key: p.key.toString("latin1"), value: "" }));
  for (let i = 0; i < ops; i++) {
    const op = rnd.intn(100);
    if (op < 50) {
      const k = key();
      const v = value();
      const r = await mustCall<PutRequest, PutResponse>(kv, kv.put, { key: b(k), value: b(v), lease: 0n, prevKv: false, ignoreValue: false, ignoreLease: false });
      history.record(r.header!.revision, [{ type: "PUT", key: k, value: v }]);
    } else if (op < 70) {
      const r = await mustCall<DeleteRangeRequest, DeleteRangeResponse>(kv, kv.deleteRange, { key: b(key()), rangeEnd: b(""), prevKv: true });
      history.record(r.header!.revision, deletes(r.prevKvs));
    } else if (op < 90) {
      const n = 1 + rnd.intn(3);
      const used = new Set<string>();
      const planned: { op: RequestOp; put?: WrittenEvent }[] = [];
      for (let j = 0; j < n; j++) {
        const k = key();
        if (used.has(k)) continue;
        used.add(k);
        if (rnd.intn(3) === 0) {
          planned.push({ op: { request: { $case: "requestDeleteRange", value: { key: b(k), rangeEnd: b(""), prevKv: true } } } });
        } else {
          const v = value();
          planned.push({ op: { request: { $case: "requestPut", value: { key: b(k), value: b(v), lease: 0n, prevKv: false, ignoreValue: false, ignoreLease: false } } }, put: { type: "PUT", key: k, value: v } });
        }
      }
      const r = await mustCall<TxnRequest, TxnResponse>(kv, kv.txn, { compare: [], success: planned.map((p) => p.op), failure: [] });
      const events: WrittenEvent[] = [];
      r.responses.forEach((resp: ResponseOp, j: number) => {
        const p = planned[j]!;
        if (p.put !== undefined) events.push(p.put);
        else if (resp.response?.$case === "responseDeleteRange") events.push(...deletes(resp.response.value.prevKvs));
      });
      history.record(r.header!.revision, events);
    } else if (op < 95) {
      const r = await mustCall<DeleteRangeRequest, DeleteRangeResponse>(kv, kv.deleteRange, { key: b("k/1"), rangeEnd: b("k/2"), prevKv: true });
      history.record(r.header!.revision, deletes(r.prevKvs));
    } else {
      const r = await mustCall<DeleteRangeRequest, DeleteRangeResponse>(kv, kv.deleteRange, { key: b("k/00"), rangeEnd: b("k/05"), prevKv: true });
      history.record(r.header!.revision, deletes(r.prevKvs));
    }
  }
}

function check(w: Watcher, expectedAll: ReturnType<History["replay"]>, where: string): void {
  assert.deepEqual(w.unexpected, [], where);
  const s = w.spec;
  const expected = expectedAll.filter(
    (e) =>
      e.rev >= w.from &&
      covers(s, e.key) &&
      !(e.type === "PUT" && s.filters.includes(WatchCreateRequest_FilterType.NOPUT)) &&
      !(e.type === "DEL" && s.filters.includes(WatchCreateRequest_FilterType.NODELETE)),
  );
  // Ordered, unique, reliable, and the kv fields right.
  assert.deepEqual(
    w.events.map((r) => describeEvent(r.event)),
    expected.map(describeExpected),
    `${where}: events`,
  );
  // prev_kv: the key as it was before the event (none for a creation).
  if (s.prevKv) {
    assert.deepEqual(
      w.events.map((r) => describePrev(r.event.prevKv)),
      expected.map((e) => (e.type === "PUT" && e.prev === undefined ? "-" : describePrev(e.prev))),
      `${where}: prev_kv`,
    );
  } else {
    assert.ok(w.events.every((r) => r.event.prevKv === undefined), `${where}: prev_kv not asked for`);
  }
  // Atomic: a revision's events all arrive in one response.
  const responseOf = new Map<bigint, number>();
  for (const r of w.events) {
    const rev = r.event.kv!.modRevision;
    const seen = responseOf.get(rev);
    assert.ok(seen === undefined || seen === r.response, `${where}: revision ${rev} split over responses ${seen} and ${r.response}`);
    responseOf.set(rev, r.response);
  }
  // Bookmarkable: a progress notification at R comes after every event <= R and before every event > R.
  for (const p of w.progress) {
    const due = expected.filter((e) => e.rev <= p.rev).length;
    assert.equal(p.eventsBefore, due, `${where}: progress at ${p.rev} after ${p.eventsBefore} events, ${due} are at or below it`);
  }
}

async function run(flavor: Flavor, seed: number): Promise<void> {
  const server = await startServer({ flavor, extraArgs: ["--experimental-watch-progress-notify-interval", "100ms"] });
  const rnd = new SeededRandom(seed);
  const writers: Clients[] = [];
  const streams: StreamState[] = [];
  try {
    for (let i = 0; i < 3; i++) writers.push(connect(server.endpoint));
    const history = new History();
    // Some history first, so that watchers can start in the past.
    await writer(writers[0]!, history, rnd, 40);
    const early = history.lastRevision;
    let n = 0;
    for (let i = 0; i < 6; i++) {
      const client = newWatchClient(server.endpoint);
      const s: StreamState = { client, call: undefined, generation: 0, watchers: [], byId: new Map(), pendingCreates: [], created: 0 };
      for (let j = 0; j < 6; j++, n++) {
        const shape = SHAPES[n % SHAPES.length]!;
        const filterPick = rnd.intn(6);
        const spec: Spec = {
          ...shape,
          filters: filterPick === 0 ? [WatchCreateRequest_FilterType.NOPUT] : filterPick === 1 ? [WatchCreateRequest_FilterType.NODELETE] : [],
          prevKv: rnd.intn(2) === 0,
          progressNotify: rnd.intn(3) !== 0,
        };
        const from = rnd.intn(2) === 0 ? 0n : 2n + BigInt(rnd.intn(Number(early - 1n)));
        s.watchers.push({ spec, from, resumeFrom: from, events: [], responses: 0, progress: [], unexpected: [] });
      }
      openStream(s);
      streams.push(s);
    }
    const total = streams.reduce((a, s) => a + s.watchers.length, 0);
    const deadline = Date.now() + 10_000;
    while (streams.reduce((a, s) => a + s.created, 0) < total) {
      if (Date.now() > deadline) throw new Error("watchers not created");
      await new Promise((r) => setTimeout(r, 10));
    }

    // The load, with streams dropped and re-opened at (last seen + 1) while it runs.
    const ops = Number(process.env["WATCH_OPS"] ?? 300);
    let loading = true;
    let reconnects = 0;
    const load = Promise.all(writers.flatMap((c, i) => [writer(c, history, new SeededRandom(seed * 100 + i), ops), writer(c, history, new SeededRandom(seed * 100 + 50 + i), ops)])).finally(() => {
      loading = false;
    });
    const chaos = (async () => {
      while (loading) {
        await new Promise((r) => setTimeout(r, 50 + rnd.intn(150)));
        const s = streams[rnd.intn(streams.length)]!;
        // Only a stream whose watchers all know their start can be resumed exactly.
        if (s.pendingCreates.length > 0) continue;
        s.call?.cancel();
        openStream(s);
        reconnects++;
      }
    })();
    await load;
    await chaos;

    // Everything delivered: every watcher has what the history says, and progress watchers got past the end.
    const final = history.lastRevision;
    const expectedAll = history.replay();
    const done = (w: Watcher): boolean =>
      w.resumeFrom > final ||
      (!w.spec.progressNotify &&
        w.events.length >=
          expectedAll.filter((e) => e.rev >= w.from && covers(w.spec, e.key) && !(e.type === "PUT" && w.spec.filters.includes(0)) && !(e.type === "DEL" && w.spec.filters.includes(1))).length);
    const until = Date.now() + 20_000;
    while (!streams.every((s) => s.watchers.every(done)) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));

    assert.ok(reconnects >= 3, `only ${reconnects} reconnects happened`);
    streams.forEach((s, i) =>
      s.watchers.forEach((w, j) => check(w, expectedAll, `${flavor} seed ${seed} stream ${i} watcher ${j} ${JSON.stringify({ ...w.spec, from: String(w.from) })}`)),
    );
    const progressSeen = streams.reduce((a, s) => a + s.watchers.reduce((x, w) => x + w.progress.length, 0), 0);
    assert.ok(progressSeen > 0, "no progress notification arrived");
  } finally {
    for (const s of streams) {
      s.generation = -1;
      s.call?.cancel();
      s.client.close();
    }
    for (const c of writers) c.close();
    await server.stop();
  }
}

const flavors = (process.env["WATCH_FLAVORS"] ?? "ours,real").split(",") as Flavor[];
const seed = Number(process.env["WATCH_SEED"] ?? 1);
for (const flavor of flavors) {
  test(`watch guarantees under a random concurrent load with reconnects (${flavor})`, { timeout: 180_000 }, () => run(flavor, seed));
}
