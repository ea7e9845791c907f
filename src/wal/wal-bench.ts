/**
 * WAL throughput: sequential saves of 1, 10, 100 and 1000 entries (each save
 * written and fdatasynced before the next, as raft's Ready loop does), plus
 * single-entry saves with many in flight (group commit inside the WAL), next
 * to the disk's own floor from `etcdload disk --prealloc` when available.
 *
 *   node dist/src/wal/wal-bench.js [--dir /tmp] [--entry-bytes 300] [--seconds 3]
 *     [--etcdload /tmp/etcdload] [--replay-entries 200000] [--no-prealloc] [--segment-mib 64]
 * @module
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import { join } from "node:path";
import type { Entry } from "../gen/raftpb/raft.js";
import { Wal } from "./wal.js";

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

const baseDir = arg("dir", os.tmpdir());
const entryBytes = Number(arg("entry-bytes", "300"));
const seconds = Number(arg("seconds", "3"));
const etcdload = arg("etcdload", "/tmp/etcdload");
const preallocate = !process.argv.includes("--no-prealloc");
const segmentBytes = Number(arg("segment-mib", "64")) * 1024 * 1024;

interface Result {
  label: string;
  saves: number;
  entries: number;
  seconds: number;
  fsyncs: number;
  latencies: number[];
}

function entries(from: bigint, n: number, data: Buffer): Entry[] {
  const out: Entry[] = [];
  for (let i = 0; i < n; i++) out.push({ Index: from + BigInt(i), Term: 1n, Type: 0, Data: data });
  return out;
}

async function run(label: string, batch: number, inFlight: number): Promise<Result> {
  const dir = fs.mkdtempSync(join(baseDir, "wal-bench-"));
  let fsyncs = 0;
  const wal = await Wal.create(dir, Buffer.from("bench"), { onFsync: () => fsyncs++, preallocate, segmentBytes });
  const data = Buffer.alloc(entryBytes, 0x61);
  let next = 1n;
  const latencies: number[] = [];
  const deadline = performance.now() + seconds * 1000;
  // Warm up the JIT and the page cache.
  for (let i = 0; i < 20; i++) {
    await wal.save({ term: 1n, vote: 1n, commit: next }, entries(next, batch, data));
    next += BigInt(batch);
  }
  const fsyncsBefore = fsyncs;
  const start = performance.now();
  let saves = 0;
  const worker = async (): Promise<void> => {
    while (performance.now() < deadline) {
      const ents = entries(next, batch, data);
      next += BigInt(batch);
      const t0 = performance.now();
      await wal.save({ term: 1n, vote: 1n, commit: next - 1n }, ents);
      latencies.push(performance.now() - t0);
      saves++;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  const elapsed = (performance.now() - start) / 1000;
  await wal.close();
  fs.rmSync(dir, { recursive: true, force: true });
  return { label, saves, entries: saves * batch, seconds: elapsed, fsyncs: fsyncs - fsyncsBefore, latencies };
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? 0;
}

function floor(): { opsPerS: number; meanMs: number } | undefined {
  if (!fs.existsSync(etcdload)) return undefined;
  const out = spawnSync(etcdload, ["disk", "--dir", baseDir, "--total", "2000", "--prealloc", "--quiet"], { encoding: "utf8" });
  try {
    const j = JSON.parse(out.stdout.trim().split("\n").at(-1)!) as { ops_per_s: number; latency_ms: { mean: number } };
    return { opsPerS: j.ops_per_s, meanMs: j.latency_ms.mean };
  } catch {
    return undefined;
  }
}

/** Time to open (replay) a log of `n` entries written in batches of 1000. */
async function replayTime(n: number): Promise<{ entries: number; seconds: number; bytes: number }> {
  const dir = fs.mkdtempSync(join(baseDir, "wal-bench-"));
  const wal = await Wal.create(dir, Buffer.from("bench"));
  const data = Buffer.alloc(entryBytes, 0x61);
  for (let i = 1; i <= n; i += 1000) await wal.save({ term: 1n, vote: 1n, commit: BigInt(i + 999) }, entries(BigInt(i), 1000, data));
  await wal.close();
  const bytes = fs.readdirSync(dir).reduce((s, f) => s + fs.statSync(join(dir, f)).size, 0);
  const t0 = performance.now();
  const r = await Wal.open(dir, { index: 0n, term: 0n });
  const elapsed = (performance.now() - t0) / 1000;
  await r.wal.close();
  fs.rmSync(dir, { recursive: true, force: true });
  return { entries: r.entries.length, seconds: elapsed, bytes };
}

const disk = floor();
const results: Result[] = [];
for (const batch of [1, 10, 100, 1000]) results.push(await run(`batch ${batch}`, batch, 1));
results.push(await run("1 entry x 64 in flight", 1, 64));
const replayed = await replayTime(Number(arg("replay-entries", "200000")));

console.log(`WAL bench: ${entryBytes}-byte entries, ${seconds}s per row, dir ${baseDir}, preallocate ${preallocate}, node ${process.version}`);
if (disk !== undefined) console.log(`disk floor (etcdload disk --prealloc, 4 KiB write + fdatasync): ${disk.opsPerS.toFixed(0)} syncs/s, ${disk.meanMs.toFixed(3)} ms mean`);
console.log("| workload | saves/s | entries/s | MB/s (payload) | fdatasyncs/s | save p50 ms | save p99 ms |");
console.log("|---|---:|---:|---:|---:|---:|---:|");
for (const r of results) {
  const sorted = [...r.latencies].sort((a, b) => a - b);
  console.log(
    `| ${r.label} | ${(r.saves / r.seconds).toFixed(0)} | ${(r.entries / r.seconds).toFixed(0)} | ${((r.entries * entryBytes) / r.seconds / 1e6).toFixed(1)} | ${(r.fsyncs / r.seconds).toFixed(0)} | ${pct(sorted, 50).toFixed(3)} | ${pct(sorted, 99).toFixed(3)} |`,
  );
}
console.log(
  `replay: opened ${replayed.entries} entries (${(replayed.bytes / 1e6).toFixed(0)} MB of segment files) in ${replayed.seconds.toFixed(2)} s = ${(replayed.entries / replayed.seconds).toFixed(0)} entries/s`,
);
