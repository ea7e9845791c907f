/**
 * A watcher whose client stops reading while 100k events (256-byte values)
 * flow must not make the server hold them: the server's memory stays within
 * a fixed bound, and when the client reads again it gets every event, in
 * order, exactly once (from the victim batch, then caught up from the store).
 *
 * Memory is sampled from /proc/PID/status every 100 ms: VmRSS (what the task
 * states) and RssAnon (VmRSS without the LMDB file pages the 100k new
 * revisions themselves add, which are not watch buffering). The raft log is
 * kept short (--snapshot-count) so its in-memory entries do not blur the
 * picture. STALL_EVENTS changes the count.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import type { PutRequest, PutResponse, WatchResponse } from "../../src/gen/etcdserverpb/rpc.js";
import { connect, mustCall, type Clients } from "../harness/grpc-clients.js";
import { startServer } from "../harness/server-process.js";
import { newWatchClient, WatchStreamClient } from "./watch-client.js";

const MiB = 1024 * 1024;
const VALUE_BYTES = 1024;
/**
 * What one stalled stream may cost beyond a reading one. The design bound is
 * ~2.5 MiB (1 MiB session queue + one 1 MiB victim batch + one 256 KiB
 * transport write + the HTTP/2 window); the rest is allowance for GC noise
 * between two server runs. Unbounded buffering would hold all the events
 * (100k x 1 KiB ≈ 100 MiB of values alone).
 */
const BOUND_BYTES = 24 * MiB;

function memory(pid: number): { rss: number; anon: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? 0) * 1024;
  return { rss: kb("VmRSS"), anon: kb("RssAnon") };
}

async function putMany(clients: Clients[], total: number, value: Buffer, revisions: bigint[]): Promise<void> {
  let next = 0;
  const worker = async (c: Clients): Promise<void> => {
    while (next < total) {
      next++;
      const r = await mustCall<PutRequest, PutResponse>(c.kv, c.kv.put, { key: Buffer.from("stall/key"), value, lease: 0n, prevKv: false, ignoreValue: false, ignoreLease: false });
      revisions.push(r.header!.revision);
    }
  };
  await Promise.all(clients.flatMap((c) => Array.from({ length: 24 }, () => worker(c))));
}

interface Run {
  loadSeconds: number;
  catchUpSeconds: number;
  responsesWhileStalled: number;
  baseRssMiB: number;
  peakRssMiB: number;
  baseAnonMiB: number;
  peakAnonMiB: number;
  anonGrowthMiB: number;
}

/** One server, one watcher on the key (stalled or reading), `total` puts; checks the events; returns the memory figures. */
async function run(total: number, stall: boolean): Promise<Run> {
  const server = await startServer({ flavor: "ours", extraArgs: ["--snapshot-count", "2000", "--quota-backend-bytes", String(4 * 1024 * MiB)] });
  const writers = Array.from({ length: 4 }, () => connect(server.endpoint));
  const watchClient = newWatchClient(server.endpoint);
  try {
    const value = Buffer.alloc(VALUE_BYTES, "v");
    // Warm up (JIT, buffers, LMDB pages) so the baseline is the steady state, not a cold start.
    await putMany(writers, 3000, value, []);
    const watcher = new WatchStreamClient(watchClient);
    watcher.create({ key: Buffer.from("stall/key") });
    await watcher.until((rs) => rs.some((r) => r.created), 10_000, "created");
    const startRev = watcher.responses[0]!.header!.revision;
    if (stall) watcher.call.pause(); // stop reading: the HTTP/2 window fills, the server's writes block
    await new Promise((r) => setTimeout(r, 500));
    const base = memory(server.pid);
    let peak = { ...base };
    const sampler = setInterval(() => {
      const m = memory(server.pid);
      peak = { rss: Math.max(peak.rss, m.rss), anon: Math.max(peak.anon, m.anon) };
    }, 100);
    const revisions: bigint[] = [];
    const began = Date.now();
    try {
      await putMany(writers, total, value, revisions);
    } finally {
      clearInterval(sampler);
    }
    const loadSeconds = (Date.now() - began) / 1000;
    const responsesWhileStalled = watcher.responses.length;

    // Read again: everything arrives.
    const resumed = Date.now();
    watcher.call.resume();
    const events = (): number => watcher.responses.reduce((n, r) => n + r.events.length, 0);
    await watcher.until(() => events() >= total, 300_000, `${total} events`);
    const catchUpSeconds = (Date.now() - resumed) / 1000;

    const got = watcher.responses.flatMap((r: WatchResponse) => r.events.map((e) => e.kv!.modRevision));
    revisions.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    assert.equal(got.length, total, "every event once");
    assert.ok(got.every((rev, i) => rev === revisions[i]), "in order, no gap, no repeat");
    assert.ok(got[0]! > startRev);
    watcher.cancel();
    const mib = (n: number): number => +(n / MiB).toFixed(1);
    return {
      loadSeconds,
      catchUpSeconds,
      responsesWhileStalled,
      baseRssMiB: mib(base.rss),
      peakRssMiB: mib(peak.rss),
      baseAnonMiB: mib(base.anon),
      peakAnonMiB: mib(peak.anon),
      anonGrowthMiB: mib(peak.anon - base.anon),
    };
  } finally {
    watchClient.close();
    for (const c of writers) c.close();
    await server.stop();
  }
}

test("a stalled watcher: bounded server memory while 100k events flow, then every event in order", { timeout: 900_000 }, async (t) => {
  const total = Number(process.env["STALL_EVENTS"] ?? 100_000);
  // The same load with a watcher that keeps reading: what the writes themselves cost (heap growth, index, LMDB).
  const reading = await run(total, false);
  const stalled = await run(total, true);
  const extra = stalled.anonGrowthMiB - reading.anonGrowthMiB;
  const report = { events: total, valueBytes: VALUE_BYTES, eventBytesFlowing: +((total * VALUE_BYTES) / MiB).toFixed(1), boundMiB: BOUND_BYTES / MiB, stalledExtraAnonMiB: +extra.toFixed(1), reading, stalled };
  t.diagnostic(JSON.stringify(report));
  console.log(`stalled consumer: ${JSON.stringify(report)}`);
  assert.ok(stalled.responsesWhileStalled < total / 10, `the stalled client got ${stalled.responsesWhileStalled} responses: it was not stalled`);
  assert.ok(extra * MiB < BOUND_BYTES, `a stalled watcher cost ${extra.toFixed(1)} MiB more than a reading one (bound ${BOUND_BYTES / MiB} MiB)`);
});
