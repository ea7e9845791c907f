/**
 * 3-member cluster benchmark: real etcd and ours, each as a 3-member cluster
 * on this machine (same flags), driven by the same generator one after the
 * other; prints ours/real ratios.
 *   npm run bench:cluster            (BENCH_SCALE=0.2 for a quick run)
 * Workloads: put with 256 clients over 16 connections spread over all
 * members (followers forward to the leader); linearizable range with 256
 * clients the same way.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Cluster } from "../test/cluster/cluster.js";
import { repoRoot } from "../test/harness/paths.js";
import type { Flavor } from "../test/harness/server-process.js";
import { runLoad, type LoadResult } from "./etcdload.js";

const scale = Number(process.env["BENCH_SCALE"] ?? 1);
const n = (x: number): number => Math.max(1, Math.round(x * scale));

const workloads = [
  { name: "put-256-clients", args: ["put", "--clients", "256", "--conns", "16", "--total", String(n(100_000)), "--val-size", "256", "--key-space-size", "100000", "--warmup", String(n(5000))] },
  { name: "range-256-clients", args: ["range", "--clients", "256", "--conns", "16", "--total", String(n(200_000)), "--val-size", "256", "--consistency", "l", "--warmup", String(n(10_000))] },
];

async function measure(flavor: Flavor, args: string[], label: string): Promise<LoadResult> {
  const cluster = await Cluster.start({ flavor, size: 3, proxied: false, extraArgs: ["--quota-backend-bytes", String(8 * 1024 ** 3)] });
  try {
    await cluster.waitForLeader();
    const pids = [0, 1, 2].map((i) => cluster.member(i).pid).filter((p): p is number => p !== undefined);
    return await runLoad([...args, "--endpoints", cluster.endpoints().join(","), "--server-pid", pids.join(","), "--label", label]);
  } finally {
    await cluster.stopAll();
  }
}

const results: { workload: string; real: LoadResult; ours: LoadResult }[] = [];
for (const w of workloads) {
  const real = await measure("real", w.args, `real:${w.name}`);
  const ours = await measure("ours", w.args, `ours:${w.name}`);
  results.push({ workload: w.name, real, ours });
  console.log(
    `3 members ${w.name.padEnd(18)} real ${real.ops_per_s.toFixed(0).padStart(7)} op/s  ours ${ours.ops_per_s.toFixed(0).padStart(7)} op/s  ratio ${(ours.ops_per_s / real.ops_per_s).toFixed(2)}` +
      `  p50 ${real.latency_ms.p50.toFixed(2)}/${ours.latency_ms.p50.toFixed(2)} ms  errors ${real.errors}/${ours.errors}`,
  );
}
const dir = join(repoRoot, "bench", "results");
mkdirSync(dir, { recursive: true });
const file = join(dir, `cluster-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
writeFileSync(file, JSON.stringify(results, null, 2));
console.log(`results: ${file}`);
