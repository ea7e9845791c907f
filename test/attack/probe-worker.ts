/**
 * The attack harness's probe client and RSS sampler, on a thread of their
 * own. The attacks run on the test's main thread and can keep its event loop
 * busy for seconds (writing floods as fast as the socket takes them); a probe
 * on that thread would report the test's own stalls as server latency.
 *
 * workerData: { endpoint, pid }. Messages in: "open" (start a window),
 * "close" (end it; answers with the window's figures). First message out:
 * { ready: true } or { error }.
 * @module
 */
import { parentPort, workerData } from "node:worker_threads";
import * as grpc from "@grpc/grpc-js";
import { RangeRequest } from "../../src/gen/etcdserverpb/rpc.js";
import { connect, type Clients } from "../harness/grpc-clients.js";
import { PROBE_DEADLINE_MS, PROBE_INTERVAL_MS, RSS_INTERVAL_MS, rssMiB } from "./process-stats.js";

interface WindowFigures {
  baselineRssMiB: number;
  peakRssMiB: number;
  probes: number;
  maxLatencyMs: number;
  failures: string[];
}

const { endpoint, pid } = workerData as { endpoint: string; pid: number };
const port = parentPort!;
const clients = connect(endpoint);

function rangeOnce(c: Clients): Promise<string | undefined> {
  return new Promise((resolve) => {
    c.kv.range(RangeRequest.fromPartial({ key: Buffer.from("probe") }), new grpc.Metadata(), { deadline: Date.now() + PROBE_DEADLINE_MS }, (err) =>
      resolve(err === null ? undefined : `${err.code} ${err.details}`),
    );
  });
}

let figures: WindowFigures | undefined;
let probing = false;
let loop: Promise<void> = Promise.resolve();
let sampler: NodeJS.Timeout | undefined;

async function probe(f: WindowFigures): Promise<void> {
  while (probing) {
    const started = performance.now();
    const error = await rangeOnce(clients);
    const latency = performance.now() - started;
    f.probes++;
    f.maxLatencyMs = Math.max(f.maxLatencyMs, latency);
    if (error !== undefined && f.failures.length < 20) f.failures.push(`${Math.round(latency)} ms: ${error}`);
    await new Promise((resolve) => setTimeout(resolve, PROBE_INTERVAL_MS));
  }
}

port.on("message", (message: "open" | "close") => {
  if (message === "open") {
    const baseline = rssMiB(pid) ?? 0;
    const f: WindowFigures = { baselineRssMiB: baseline, peakRssMiB: baseline, probes: 0, maxLatencyMs: 0, failures: [] };
    figures = f;
    sampler = setInterval(() => {
      const rss = rssMiB(pid);
      if (rss !== undefined && rss > f.peakRssMiB) f.peakRssMiB = rss;
    }, RSS_INTERVAL_MS);
    probing = true;
    loop = probe(f);
    return;
  }
  probing = false;
  void loop.then(() => {
    clearInterval(sampler);
    const f = figures!;
    const rss = rssMiB(pid);
    if (rss !== undefined) f.peakRssMiB = Math.max(f.peakRssMiB, rss);
    port.postMessage(f);
  });
});

// Warm the probe's connection so its setup is not measured as latency.
void rangeOnce(clients).then((error) => port.postMessage(error === undefined ? { ready: true } : { error }));
