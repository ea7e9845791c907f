/**
 * Defrag benchmark: real etcd and ours, same flags, same generator, one after
 * the other in one run.
 *   npm run bench:defrag     (BENCH_SCALE=0.1 for a quick look: a tenth of the database)
 *   BENCH_FLAVORS=ours npm run bench:defrag   (one server only)
 * On each fresh server: build a database file of at least 1 GiB (512 KiB
 * values, four in five of them deleted again and the history compacted, so a
 * defrag has most of the file to give back), then run put@256 and range@256
 * clients together twice: (a) for a fixed time without a defrag, and (b)
 * while a Defragment (Debian's `etcdctl defrag`) runs, started a fixed time
 * into the load; phase (b) ends a fixed time after the defrag returns, so its
 * latencies are those of the defrag's window, not diluted by a long quiet tail.
 * Meanwhile one more client reads a key in a loop from the defrag's start to
 * its end: its answers and longest wait show whether the server kept serving.
 * Prints throughput and p50/p99/max for both phases, the defrag's duration
 * and the file size before and after; JSON lands in bench/results/.
 */
import { spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { RangeRequest, type RangeResponse } from "../src/gen/etcdserverpb/rpc.js";
import { etcdctl } from "../test/harness/etcdctl.js";
import { call, connect } from "../test/harness/grpc-clients.js";
import { repoRoot } from "../test/harness/paths.js";
import { startServer, type Flavor, type ServerProcess } from "../test/harness/server-process.js";
import { etcdloadBinary, runLoad, type LoadResult } from "./etcdload.js";

const scale = Number(process.env["BENCH_SCALE"] ?? 1);
const flavors = selectedFlavors(process.env["BENCH_FLAVORS"]);

const VALUE_BYTES = 512 * 1024;
/** 2,100 values of 512 KiB: 1.03 GiB of values, over 1 GiB of file with the trees around them. */
const KEPT_VALUES = Math.max(1, Math.round(400 * scale));
const DROPPED_VALUES = Math.max(1, Math.round(1700 * scale));
const STEADY_SECONDS = 15;
/** How long the loads run before the defrag starts, and after it returns. */
const LEAD_IN_MS = 3000;
const TAIL_MS = 2000;

const put256 = ["put", "--clients", "256", "--conns", "16", "--val-size", "256", "--key-space-size", "100000", "--prefix", "p/"];
const range256 = ["range", "--clients", "256", "--conns", "16", "--val-size", "256", "--key-space-size", "1000", "--prefix", "r/", "--consistency", "l"];

interface Phase {
  put: LoadResult;
  range: LoadResult;
}

/** What one client reading in a loop saw while the defrag ran. */
interface Probe {
  /** Linearizable reads answered between the defrag's start and its end. */
  answers: number;
  /** The longest time without an answer (a read blocked throughout is one gap). */
  longestGapMs: number;
}

interface FlavorResult {
  flavor: Flavor;
  fillSeconds: number;
  dbSizeBeforeDefrag: number;
  dbSizeAfterDefrag: number;
  defragSeconds: number;
  defragOutput: string;
  /** The server's own log line at the defrag's end (ours: took-ms and commits-held-ms; etcd: "took"). */
  defragLogLine: string | undefined;
  probe: Probe;
  steady: Phase;
  duringDefrag: Phase;
}

function selectedFlavors(names: string | undefined): Flavor[] {
  if (names === undefined || names === "") return ["real", "ours"];
  const wanted = names.split(",").map((s) => s.trim());
  for (const name of wanted) if (name !== "real" && name !== "ours") throw new Error(`BENCH_FLAVORS: unknown ${name} (real, ours)`);
  return (["real", "ours"] as const).filter((f) => wanted.includes(f));
}

async function ctl(server: ServerProcess, args: string[], timeoutMs = 60_000): Promise<string> {
  const r = await etcdctl(server.endpoint, args, { timeoutMs, commandTimeout: `${Math.ceil(timeoutMs / 1000)}s` });
  if (r.code !== 0) throw new Error(`etcdctl ${args.join(" ")} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

async function status(server: ServerProcess): Promise<{ revision: bigint; dbSize: number }> {
  const [entry] = JSON.parse(await ctl(server, ["endpoint", "status", "-w", "json"])) as { Status: { header: { revision: number | string }; dbSize: number } }[];
  if (entry === undefined) throw new Error("etcdctl endpoint status printed no endpoint");
  return { revision: BigInt(entry.Status.header.revision), dbSize: entry.Status.dbSize };
}

/** Writes `count` values of 512 KiB under `prefix`, each key once. */
async function fill(server: ServerProcess, prefix: string, count: number): Promise<void> {
  const r = await runLoad([
    "put", "--endpoints", server.endpoint, "--clients", "8", "--conns", "4", "--total", String(count),
    "--val-size", String(VALUE_BYTES), "--key-space-size", String(count), "--sequential-keys", "--prefix", prefix,
    "--req-timeout", "60s", "--duration", "600s", "--no-status", "--label", `${server.flavor}:fill-${prefix}`,
  ]);
  if (!r.ok) throw new Error(`${server.flavor}: filling ${prefix} failed: ${r.reason ?? `exit ${r.exit_code}`}`);
}

/** A database file of at least 1 GiB (at scale 1) of which four fifths are free once compacted. */
async function buildFragmentedDatabase(server: ServerProcess): Promise<void> {
  await fill(server, "keep/", KEPT_VALUES);
  await fill(server, "drop/", DROPPED_VALUES);
  await ctl(server, ["del", "--prefix", "drop/"]);
  await ctl(server, ["put", "r/probe", "probe"]);
  const { revision } = await status(server);
  await ctl(server, ["compact", String(revision), "--physical"], 300_000);
}

/** Starts one etcdload run that lasts until it is interrupted (SIGINT ends its measured phase normally). */
function startOpenEndedLoad(args: string[], label: string): { stop(): void; result: Promise<LoadResult> } {
  // Errors are a measured outcome here (real etcd times writes out while it defragments), not a failed run.
  const open = ["--total", "0", "--duration", "600s", "--req-timeout", "120s", "--max-error-rate", "1", "--no-status", "--quiet"];
  const child = spawn(etcdloadBinary(), [...args, ...open, "--label", label], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  child.stdout.on("data", (c: Buffer) => (out += c.toString("utf8")));
  const result = new Promise<LoadResult>((resolve, reject) => {
    child.on("error", reject);
    child.on("exit", () => {
      try {
        resolve(JSON.parse(out.trim().split("\n").pop() ?? "") as LoadResult);
      } catch {
        reject(new Error(`etcdload printed no result: ${out}`));
      }
    });
  });
  return { stop: () => child.kill("SIGINT"), result };
}

/**
 * One client reading a key linearizably in a loop from the defrag's start to
 * its end: whether the server answered at all while it defragmented.
 */
function startProbe(server: ServerProcess): { stop(): Promise<Probe> } {
  const client = connect(server.endpoint);
  const req = RangeRequest.fromPartial({ key: Buffer.from("r/probe") });
  let running = true;
  let answers = 0;
  let last = performance.now();
  let longestGapMs = 0;
  const loop = (async () => {
    while (running) {
      const r = await call<RangeRequest, RangeResponse>(client.kv, client.kv.range, req);
      const now = performance.now();
      if (!running) break;
      if (r.ok) {
        answers++;
        longestGapMs = Math.max(longestGapMs, now - last);
        last = now;
      }
    }
  })();
  return {
    async stop() {
      running = false;
      longestGapMs = Math.max(longestGapMs, performance.now() - last);
      await loop;
      client.close();
      return { answers, longestGapMs };
    },
  };
}

async function steadyPhase(server: ServerProcess): Promise<Phase> {
  const common = ["--endpoints", server.endpoint, "--server-pid", String(server.pid), "--total", "0", "--duration", `${STEADY_SECONDS}s`, "--no-status"];
  const [put, range] = await Promise.all([
    runLoad([...put256, ...common, "--label", `${server.flavor}:steady-put`]),
    // Populates r/ once; the defrag phase reads the same keys without writing them again.
    runLoad([...range256, ...common, "--label", `${server.flavor}:steady-range`]),
  ]);
  return { put, range };
}

async function defragPhase(server: ServerProcess): Promise<{ phase: Phase; seconds: number; output: string; probe: Probe }> {
  const common = ["--endpoints", server.endpoint, "--server-pid", String(server.pid)];
  const put = startOpenEndedLoad([...put256, ...common], `${server.flavor}:defrag-put`);
  const range = startOpenEndedLoad([...range256, ...common, "--populate", "0"], `${server.flavor}:defrag-range`);
  try {
    await sleep(LEAD_IN_MS);
    const probe = startProbe(server);
    const started = performance.now();
    const output = await ctl(server, ["defrag"], 600_000);
    const seconds = (performance.now() - started) / 1000;
    const probed = await probe.stop();
    await sleep(TAIL_MS);
    put.stop();
    range.stop();
    return { phase: { put: await put.result, range: await range.result }, seconds, output: output.trim(), probe: probed };
  } finally {
    put.stop();
    range.stop();
  }
}

async function measure(flavor: Flavor): Promise<FlavorResult> {
  const server = await startServer({ flavor, extraArgs: ["--quota-backend-bytes", String(8 * 1024 ** 3)] });
  try {
    const fillStarted = performance.now();
    await buildFragmentedDatabase(server);
    const fillSeconds = (performance.now() - fillStarted) / 1000;
    console.log(`${flavor}: database built in ${fillSeconds.toFixed(1)} s`);
    const steady = await steadyPhase(server);
    const before = await status(server);
    const defrag = await defragPhase(server);
    const after = await status(server);
    return {
      flavor,
      fillSeconds,
      dbSizeBeforeDefrag: before.dbSize,
      dbSizeAfterDefrag: after.dbSize,
      defragSeconds: defrag.seconds,
      defragOutput: defrag.output,
      defragLogLine: defragLogLine(server.output()),
      probe: defrag.probe,
      steady,
      duringDefrag: defrag.phase,
    };
  } finally {
    await server.stop();
  }
}

/** Ours logs "defragmented", etcd 3.4 "finished defragmenting directory". */
function defragLogLine(output: string): string | undefined {
  return output.split("\n").findLast((line) => line.includes('"defragmented"') || line.includes("finished defragmenting"));
}

/** Ours' log line carries how long commits were held: the only time a non-blocking defrag may stall writes. */
function commitsHeld(line: string | undefined): string {
  const held = line === undefined ? undefined : /"commits-held-ms":(\d+)/.exec(line)?.[1];
  return held === undefined ? "" : `, commits held ${held} ms (server's log)`;
}

const mib = (bytes: number): string => `${(bytes / 1024 ** 2).toFixed(0)} MiB`;

function loadLine(name: string, r: LoadResult): string {
  const L = r.latency_ms;
  const failed = r.ok ? "" : `  [failed: ${r.reason ?? `exit ${r.exit_code}`}]`;
  const samples = r["error_samples"] as Record<string, number> | undefined;
  const why = samples === undefined ? "" : ` (${Object.entries(samples).map(([text, count]) => `${count}× ${text}`).join(", ")})`;
  return (
    `  ${name.padEnd(16)} ${r.ops_per_s.toFixed(0).padStart(7)} op/s  ` +
    `p50 ${L.p50.toFixed(1)}  p99 ${L.p99.toFixed(1)}  max ${L.max.toFixed(0)} ms  over ${r.duration_s.toFixed(1)} s  errors ${r.errors}${why}${failed}`
  );
}

function report(r: FlavorResult): string {
  const ratio = (load: "put" | "range"): string => (r.duringDefrag[load].latency_ms.p99 / r.steady[load].latency_ms.p99).toFixed(2);
  return [
    `${r.flavor}: defrag ${r.defragSeconds.toFixed(1)} s, file ${mib(r.dbSizeBeforeDefrag)} → ${mib(r.dbSizeAfterDefrag)} (built in ${r.fillSeconds.toFixed(0)} s)`,
    `  a reader in a loop during the defrag: ${r.probe.answers} answers, longest wait ${(r.probe.longestGapMs / 1000).toFixed(1)} s${commitsHeld(r.defragLogLine)}`,
    loadLine("put, steady", r.steady.put),
    loadLine("put, defrag", r.duringDefrag.put),
    loadLine("range, steady", r.steady.range),
    loadLine("range, defrag", r.duringDefrag.range),
    `  p99 during defrag / steady: put ${ratio("put")}×, range ${ratio("range")}× (goal ≤ 2×)`,
  ].join("\n");
}

const results: FlavorResult[] = [];
for (const flavor of flavors) {
  const r = await measure(flavor);
  results.push(r);
  console.log(report(r));
}
const dir = join(repoRoot, "bench", "results");
mkdirSync(dir, { recursive: true });
const file = join(dir, `defrag-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
writeFileSync(file, JSON.stringify({ scale, valueBytes: VALUE_BYTES, keptValues: KEPT_VALUES, droppedValues: DROPPED_VALUES, results }, null, 2));
console.log(`results: ${file}`);
