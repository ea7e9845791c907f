/**
 * KV benchmark: real etcd and ours, same flags, same generator, one after the
 * other in one run; prints ours/real ratios.
 *   npm run bench            (BENCH_SCALE=0.2 for a quick run)
 * Workloads (each on a fresh server): put with 1 client; put with 256
 * clients over 16 connections (100k distinct keys — peak RSS is read after
 * it); linearizable range with 256 clients over 16 connections; and the last
 * two again over TLS (https client port with client-certificate auth, the
 * same certificates for both servers), and again with auth enabled (simple
 * tokens; every client authenticates as a user whose role may read and write
 * the keys' prefix).
 * BENCH_ONLY=prefix,prefix runs only the rows whose names start so (tls: the
 * TLS rows, auth: the auth rows); BENCH_FLAVORS=real (or ours) runs one
 * server only, without ratios.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "../test/harness/paths.js";
import { startServer, type Flavor } from "../test/harness/server-process.js";
import { enableAuthForBenchUser } from "./auth-user.js";
import { createClientTls, type ClientTls } from "./client-tls.js";
import { runLoad, type LoadResult } from "./etcdload.js";

const scale = Number(process.env["BENCH_SCALE"] ?? 1);
const n = (x: number): number => Math.max(1, Math.round(x * scale));

interface Workload {
  name: string;
  args: string[];
  /** Over the https client port, presenting a client certificate. */
  tls: boolean;
  /** Auth enabled before the load; every client acts as a user limited to the keys' prefix. */
  auth: boolean;
}

const put256 = ["put", "--clients", "256", "--conns", "16", "--total", String(n(100_000)), "--val-size", "256", "--key-space-size", "100000", "--warmup", String(n(5000))];
const range256 = ["range", "--clients", "256", "--conns", "16", "--total", String(n(200_000)), "--val-size", "256", "--consistency", "l", "--warmup", String(n(10_000))];
const allWorkloads: Workload[] = [
  { name: "put-1-client", args: ["put", "--clients", "1", "--conns", "1", "--total", String(n(10_000)), "--val-size", "256", "--key-space-size", "100000"], tls: false, auth: false },
  { name: "put-256-clients", args: put256, tls: false, auth: false },
  { name: "range-256-clients", args: range256, tls: false, auth: false },
  { name: "tls-put-256-clients", args: put256, tls: true, auth: false },
  { name: "tls-range-256-clients", args: range256, tls: true, auth: false },
  { name: "auth-put-256-clients", args: put256, tls: false, auth: true },
  { name: "auth-range-256-clients", args: range256, tls: false, auth: true },
];

const workloads = selected(allWorkloads, process.env["BENCH_ONLY"]);
const flavors = selectedFlavors(process.env["BENCH_FLAVORS"]);

function selected(all: Workload[], prefixes: string | undefined): Workload[] {
  if (prefixes === undefined || prefixes === "") return all;
  const wanted = prefixes.split(",").map((s) => s.trim());
  const unmatched = wanted.filter((prefix) => !all.some((w) => w.name.startsWith(prefix)));
  if (unmatched.length > 0) throw new Error(`BENCH_ONLY: no row starts with ${unmatched.join(", ")} (rows: ${all.map((w) => w.name).join(", ")})`);
  return all.filter((w) => wanted.some((prefix) => w.name.startsWith(prefix)));
}

function selectedFlavors(names: string | undefined): Flavor[] {
  if (names === undefined || names === "") return ["real", "ours"];
  const wanted = names.split(",").map((s) => s.trim());
  for (const name of wanted) if (name !== "real" && name !== "ours") throw new Error(`BENCH_FLAVORS: unknown ${name} (real, ours)`);
  return (["real", "ours"] as const).filter((f) => wanted.includes(f));
}

/** Runs a workload on a fresh server; over TLS when given the run's certificates; with auth on when the workload asks. */
async function measure(flavor: Flavor, w: Workload, tls: ClientTls | undefined): Promise<LoadResult> {
  const server = await startServer({ flavor, clientTls: tls?.listener, extraArgs: ["--quota-backend-bytes", String(8 * 1024 ** 3)] });
  const target = tls ? [server.clientUrl, ...tls.loadArgs] : [server.endpoint];
  try {
    const asUser = w.auth ? await enableAuthForBenchUser(server.clientUrl) : [];
    return await runLoad([...w.args, ...asUser, "--endpoints", ...target, "--server-pid", String(server.pid), "--label", `${flavor}:${w.name}`]);
  } finally {
    await server.stop();
  }
}

function failure(flavor: Flavor, r: LoadResult | undefined): string {
  return r && !r.ok ? `  [${flavor} failed: ${r.reason ?? `exit ${r.exit_code}`}]` : "";
}

/** One printed line per row: each flavor's throughput, and the ratios when both ran. */
function report(name: string, real: LoadResult | undefined, ours: LoadResult | undefined): string {
  const rate = (r: LoadResult | undefined): string => (r ? r.ops_per_s.toFixed(0) : "-").padStart(7);
  const rss = (r: LoadResult | undefined): number => r?.server_procs?.[0]?.vmhwm_kb ?? 0;
  const p50 = (r: LoadResult | undefined): string => (r ? r.latency_ms.p50.toFixed(2) : "-");
  const errors = (r: LoadResult | undefined): string => (r ? String(r.errors) : "-");
  const both = real !== undefined && ours !== undefined;
  return (
    `${name.padEnd(22)} real ${rate(real)} op/s  ours ${rate(ours)} op/s` +
    (both ? `  ratio ${(ours.ops_per_s / real.ops_per_s).toFixed(2)}` : "") +
    `  p50 ${p50(real)}/${p50(ours)} ms` +
    `  peak RSS ${(rss(real) / 1024).toFixed(0)}/${(rss(ours) / 1024).toFixed(0)} MiB` +
    (both ? ` (ratio ${(rss(ours) / rss(real)).toFixed(2)})` : "") +
    `  errors ${errors(real)}/${errors(ours)}` +
    failure("real", real) +
    failure("ours", ours)
  );
}

const tls = workloads.some((w) => w.tls) ? await createClientTls() : undefined;
const results: { workload: string; tls: boolean; auth: boolean; real?: LoadResult; ours?: LoadResult }[] = [];
try {
  for (const w of workloads) {
    const row: (typeof results)[number] = { workload: w.name, tls: w.tls, auth: w.auth };
    for (const flavor of flavors) row[flavor] = await measure(flavor, w, w.tls ? tls : undefined);
    results.push(row);
    console.log(report(w.name, row.real, row.ours));
  }
} finally {
  tls?.remove();
}
const dir = join(repoRoot, "bench", "results");
mkdirSync(dir, { recursive: true });
const file = join(dir, `kv-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
writeFileSync(file, JSON.stringify(results, null, 2));
console.log(`results: ${file}`);
