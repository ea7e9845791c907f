/**
 * Lease keepalive benchmark: real etcd and ours, same flags, same generator
 * (bench/etcdload lease-keepalive, etcd's own Go client), one after
 * the other in one run; prints keepalives/s and ours/real ratios.
 *   npm run bench:lease            (BENCH_SCALE=0.2 for a quick run)
 * Workloads (each on a fresh server):
 *   stream — 1000 leases kept alive by 16 clients over 4 connections, one
 *            LeaseKeepAlive stream per client, closed loop;
 *   stream-256 — 10000 leases, 256 clients over 16 connections;
 *   once   — KeepAliveOnce per op (a new stream per keepalive, as etcd's
 *            own benchmark does), 16 clients.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "../../test/harness/paths.js";
import { startServer, type Flavor } from "../../test/harness/server-process.js";
import { runLoad, type LoadResult } from "../etcdload.js";

const scale = Number(process.env["BENCH_SCALE"] ?? 1);
const n = (x: number): number => Math.max(1, Math.round(x * scale));

interface Workload {
  name: string;
  args: string[];
}

const workloads: Workload[] = [
  {
    name: "stream-16-clients",
    args: ["lease-keepalive", "--leases", "1000", "--clients", "16", "--conns", "4", "--total", String(n(200_000)), "--warmup", String(n(10_000))],
  },
  {
    name: "stream-256-clients",
    args: ["lease-keepalive", "--leases", "10000", "--clients", "256", "--conns", "16", "--total", String(n(300_000)), "--warmup", String(n(20_000))],
  },
  {
    name: "once-16-clients",
    args: ["lease-keepalive", "--lease-mode", "once", "--leases", "1000", "--clients", "16", "--conns", "4", "--total", String(n(50_000)), "--warmup", String(n(2000))],
  },
];

async function measure(flavor: Flavor, w: Workload): Promise<LoadResult> {
  const server = await startServer({ flavor });
  try {
    return await runLoad([...w.args, "--endpoints", server.endpoint, "--server-pid", String(server.pid), "--label", `${flavor}:${w.name}`]);
  } finally {
    await server.stop();
  }
}

const only = process.env["BENCH_ONLY"];
const results: { workload: string; real: LoadResult; ours: LoadResult; ratio: number }[] = [];
for (const w of workloads) {
  if (only !== undefined && !w.name.startsWith(only)) continue;
  const real = await measure("real", w);
  const ours = await measure("ours", w);
  const ratio = ours.ops_per_s / real.ops_per_s;
  results.push({ workload: w.name, real, ours, ratio });
  const cpu = (r: LoadResult): string => (r.server_cpu_cores ?? 0).toFixed(2);
  console.log(
    `${w.name.padEnd(20)} real ${real.ops_per_s.toFixed(0).padStart(7)} ka/s  ours ${ours.ops_per_s.toFixed(0).padStart(7)} ka/s  ratio ${ratio.toFixed(2)}` +
      `  p50 ${real.latency_ms.p50.toFixed(2)}/${ours.latency_ms.p50.toFixed(2)} ms  p99 ${real.latency_ms.p99.toFixed(2)}/${ours.latency_ms.p99.toFixed(2)} ms` +
      `  server cores ${cpu(real)}/${cpu(ours)}  errors ${real.errors}/${ours.errors}  ok ${real.ok}/${ours.ok}`,
  );
}
const dir = join(repoRoot, "bench", "results");
mkdirSync(dir, { recursive: true });
const file = join(dir, `lease-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
writeFileSync(file, JSON.stringify(results, null, 2));
console.log(`results: ${file}`);
