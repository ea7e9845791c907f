/**
 * KV benchmark: real etcd and ours, same flags, same generator, one after the
 * other in one run; prints ours/real ratios.
 *   npm run bench            (BENCH_SCALE=0.2 for a quick run)
 * Workloads (each on a fresh server): put with 1 client; put with 256
 * clients over 16 connections (100k distinct keys — peak RSS is read after
 * it); linearizable range with 256 clients over 16 connections.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "../test/harness/paths.js";
import { startServer, type Flavor } from "../test/harness/server-process.js";
import { runLoad, type LoadResult } from "./etcdload.js";

const scale = Number(process.env["BENCH_SCALE"] ?? 1);
const n = (x: number): number => Math.max(1, Math.round(x * scale));

interface Workload {
  name: string;
  args: string[];
}

const workloads: Workload[] = [
  { name: "put-1-client", args: ["put", "--clients", "1", "--conns", "1", "--total", String(n(10_000)), "--val-size", "256", "--key-space-size", "100000"] },
  { name: "put-256-clients", args: ["put", "--clients", "256", "--conns", "16", "--total", String(n(100_000)), "--val-size", "256", "--key-space-size", "100000", "--warmup", String(n(5000))] },
  { name: "range-256-clients", args: ["range", "--clients", "256", "--conns", "16", "--total", String(n(200_000)), "--val-size", "256", "--consistency", "l", "--warmup", String(n(10_000))] },
];

async function measure(flavor: Flavor, w: Workload): Promise<LoadResult> {
  const server = await startServer({ flavor, extraArgs: ["--quota-backend-bytes", String(8 * 1024 ** 3)] });
  try {
    return await runLoad([...w.args, "--endpoints", server.endpoint, "--server-pid", String(server.pid), "--label", `${flavor}:${w.name}`]);
  } finally {
    await server.stop();
  }
}

const results: { workload: string; real: LoadResult; ours: LoadResult }[] = [];
for (const w of workloads) {
  const real = await measure("real", w);
  const ours = await measure("ours", w);
  results.push({ workload: w.name, real, ours });
  const rssReal = real.server_procs?.[0]?.vmhwm_kb ?? 0;
  const rssOurs = ours.server_procs?.[0]?.vmhwm_kb ?? 0;
  console.log(
    `${w.name.padEnd(18)} real ${real.ops_per_s.toFixed(0).padStart(7)} op/s  ours ${ours.ops_per_s.toFixed(0).padStart(7)} op/s  ratio ${(ours.ops_per_s / real.ops_per_s).toFixed(2)}` +
      `  p50 ${real.latency_ms.p50.toFixed(2)}/${ours.latency_ms.p50.toFixed(2)} ms` +
      `  peak RSS ${(rssReal / 1024).toFixed(0)}/${(rssOurs / 1024).toFixed(0)} MiB (ratio ${(rssOurs / rssReal).toFixed(2)})` +
      `  errors ${real.errors}/${ours.errors}`,
  );
}
const dir = join(repoRoot, "bench", "results");
mkdirSync(dir, { recursive: true });
const file = join(dir, `kv-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
writeFileSync(file, JSON.stringify(results, null, 2));
console.log(`results: ${file}`);
