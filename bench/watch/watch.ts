/**
 * Watch benchmark: real etcd and ours, same flags, same generator
 * (bench/etcdload watch), one after the other in one run, each
 * workload on a fresh server; prints ours/real ratios and writes the JSON
 * lines to bench/watch/results/.
 *   npm run bench:watch            (BENCH_SCALE=0.2 for a quick run, BENCH_REPEAT=n to repeat)
 *
 * Workloads:
 * - fanout-unpaced: 1,000 watchers on one key over 10 streams, 2,000 puts
 *   as fast as one client goes: delivered events/s (= puts/s × 1,000).
 * - fanout-paced: the same at 100 puts/s: delivery latency (put sent →
 *   event received) at a steady 100k events/s.
 * - fanout-clientv3: as unpaced, but the watchers use clientv3's Watch API
 *   (what Go programs do) instead of raw streams.
 * - prefix-many-keys: 100 watchers on a prefix, 8 putters over 1,000 keys.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "../../test/harness/paths.js";
import { startServer, type Flavor } from "../../test/harness/server-process.js";
import { runLoad, type LoadResult } from "../etcdload.js";

const scale = Number(process.env["BENCH_SCALE"] ?? 1);
const repeat = Number(process.env["BENCH_REPEAT"] ?? 1);
const n = (x: number): number => Math.max(1, Math.round(x * scale));

interface Workload {
  name: string;
  args: string[];
}

const workloads: Workload[] = [
  { name: "fanout-unpaced", args: ["watch", "--watchers", "1000", "--conns", "10", "--total", String(n(2000)), "--raw-watch", "--warmup", String(n(100))] },
  { name: "fanout-paced", args: ["watch", "--watchers", "1000", "--conns", "10", "--total", String(n(1000)), "--rate", "100", "--raw-watch"] },
  { name: "fanout-clientv3", args: ["watch", "--watchers", "1000", "--conns", "10", "--total", String(n(1000))] },
  { name: "prefix-many-keys", args: ["watch", "--watchers", "100", "--conns", "4", "--watch-prefix", "--key-space-size", "1000", "--put-clients", "8", "--total", String(n(20_000)), "--val-size", "256", "--raw-watch"] },
];

async function measure(flavor: Flavor, w: Workload): Promise<LoadResult> {
  const server = await startServer({ flavor, extraArgs: ["--quota-backend-bytes", String(8 * 1024 ** 3)] });
  try {
    return await runLoad([...w.args, "--endpoints", server.endpoint, "--server-pid", String(server.pid), "--label", `${flavor}:${w.name}`]);
  } finally {
    await server.stop();
  }
}

const fmt = (x: number, d = 0): string => x.toFixed(d);
const results: { workload: string; real: LoadResult; ours: LoadResult }[] = [];
for (let r = 0; r < repeat; r++) {
  for (const w of workloads) {
    const real = await measure("real", w);
    const ours = await measure("ours", w);
    results.push({ workload: w.name, real, ours });
    const lat = (x: LoadResult): string => `${fmt(x.latency_ms.p50, 2)}/${fmt(x.latency_ms.p99, 1)}`;
    console.log(
      `${w.name.padEnd(17)} events/s real ${fmt(real.ops_per_s).padStart(7)} ours ${fmt(ours.ops_per_s).padStart(7)} ratio ${fmt(ours.ops_per_s / real.ops_per_s, 2)}` +
        `  latency p50/p99 ms real ${lat(real)} ours ${lat(ours)}` +
        `  server cores ${fmt(real.server_cpu_cores ?? 0, 2)}/${fmt(ours.server_cpu_cores ?? 0, 2)}` +
        `  peak RSS MiB ${fmt((real.server_procs?.[0]?.vmhwm_kb ?? 0) / 1024)}/${fmt((ours.server_procs?.[0]?.vmhwm_kb ?? 0) / 1024)}` +
        `  ok ${real.ok}/${ours.ok}`,
    );
  }
}
const dir = join(repoRoot, "bench", "watch", "results");
mkdirSync(dir, { recursive: true });
const file = join(dir, `watch-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
writeFileSync(file, JSON.stringify(results, null, 2));
console.log(`results: ${file}`);
