/**
 * The attack suite's measuring rig: a server process (ours or real etcd), a
 * sampler of its resident memory, and a probe client that keeps issuing
 * Ranges over its own connection. An attack runs inside a {@link Window};
 * the window's report says whether the server survived it with its memory
 * and its latency for honest clients within the suite's bounds.
 * @module
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import type { TestContext } from "node:test";
import * as grpc from "@grpc/grpc-js";
import { RangeRequest } from "../../src/gen/etcdserverpb/rpc.js";
import { connect, type Clients } from "../harness/grpc-clients.js";
import { startServer, type Flavor, type ServerProcess } from "../harness/server-process.js";

/** Peak RSS allowed during an attack above the RSS measured before it (README: why 150 MiB). */
export const RSS_HEADROOM_MIB = 150;
/** Slowest probe Range allowed during an attack, generous for a loaded 2-core machine. */
export const PROBE_MAX_LATENCY_MS = 1_000;
/** A probe call that takes longer than this counts as failed. */
const PROBE_DEADLINE_MS = 5_000;
const PROBE_INTERVAL_MS = 50;
const RSS_INTERVAL_MS = 100;

/** VmRSS of a process in MiB, or undefined once it is gone. */
export function rssMiB(pid: number): number | undefined {
  try {
    const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m === null ? undefined : Number(m[1]) / 1024;
  } catch {
    return undefined;
  }
}

/** CPU time (user + system) a process has used so far, in seconds; undefined once it is gone. */
export function cpuSeconds(pid: number): number | undefined {
  try {
    // Fields after the command name (which may hold spaces, so split after its closing parenthesis): utime and stime are the 12th and 13th.
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/** USER_HZ: the unit of /proc/<pid>/stat times, 100 on every Linux ABI Node runs on. */
const CLOCK_TICKS_PER_SECOND = 100;

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return rssMiB(pid) !== undefined;
  } catch {
    return false;
  }
}

export interface Report {
  alive: boolean;
  baselineRssMiB: number;
  peakRssMiB: number;
  probes: number;
  maxLatencyMs: number;
  failures: string[];
}

/** One attack's measurements: RSS peak and probe results from `open` to `close`. */
export class Window {
  readonly #pid: number;
  readonly #baseline: number;
  #peak: number;
  #probes = 0;
  #maxLatency = 0;
  readonly #failures: string[] = [];
  readonly #sampler: NodeJS.Timeout;
  #probing = true;
  readonly #probeLoop: Promise<void>;

  constructor(pid: number, clients: Clients) {
    this.#pid = pid;
    this.#baseline = rssMiB(pid) ?? 0;
    this.#peak = this.#baseline;
    this.#sampler = setInterval(() => {
      const rss = rssMiB(pid);
      if (rss !== undefined && rss > this.#peak) this.#peak = rss;
    }, RSS_INTERVAL_MS);
    this.#probeLoop = this.#probe(clients);
  }

  async #probe(clients: Clients): Promise<void> {
    while (this.#probing) {
      const started = performance.now();
      const error = await rangeOnce(clients);
      const latency = performance.now() - started;
      this.#probes++;
      this.#maxLatency = Math.max(this.#maxLatency, latency);
      if (error !== undefined && this.#failures.length < 20) this.#failures.push(`${Math.round(latency)} ms: ${error}`);
      await new Promise((resolve) => setTimeout(resolve, PROBE_INTERVAL_MS));
    }
  }

  async close(): Promise<Report> {
    this.#probing = false;
    await this.#probeLoop;
    clearInterval(this.#sampler);
    const rss = rssMiB(this.#pid);
    if (rss !== undefined) this.#peak = Math.max(this.#peak, rss);
    return {
      alive: isAlive(this.#pid),
      baselineRssMiB: this.#baseline,
      peakRssMiB: this.#peak,
      probes: this.#probes,
      maxLatencyMs: this.#maxLatency,
      failures: this.#failures,
    };
  }
}

function rangeOnce(clients: Clients): Promise<string | undefined> {
  return new Promise((resolve) => {
    clients.kv.range(RangeRequest.fromPartial({ key: Buffer.from("probe") }), new grpc.Metadata(), { deadline: Date.now() + PROBE_DEADLINE_MS }, (err) =>
      resolve(err === null ? undefined : `${err.code} ${err.details}`),
    );
  });
}

/** A server under attack, with its probe client's own connection. */
export class Target {
  readonly server: ServerProcess;
  readonly #clients: Clients;

  private constructor(server: ServerProcess, clients: Clients) {
    this.server = server;
    this.#clients = clients;
  }

  static async start(flavor: Flavor, extraArgs: string[] = []): Promise<Target> {
    const server = await startServer({ flavor, extraArgs });
    const clients = connect(server.endpoint);
    const target = new Target(server, clients);
    // Warm the probe's connection so its setup is not measured as latency.
    const error = await rangeOnce(clients);
    if (error !== undefined) {
      await target.stop();
      throw new Error(`probe could not reach ${flavor} etcd: ${error}`);
    }
    return target;
  }

  get port(): number {
    return this.server.clientPort;
  }

  get flavor(): Flavor {
    return this.server.flavor;
  }

  /**
   * Runs `attack` while measuring, keeps measuring for `settleMs` (what the
   * attack queued is still being worked off), lets `observe` log what the
   * attack saw, then asserts the server survived within the bounds.
   */
  async survive<T>(t: TestContext, attack: () => Promise<T>, observe?: (result: T) => Promise<void> | void, settleMs = 1_000, bounds?: Bounds): Promise<T> {
    const { result, report } = await this.measure(attack, settleMs);
    await observe?.(result);
    assertSurvived(t, this.server, report, bounds);
    return result;
  }

  /** Runs `attack` while measuring; asserts nothing (for real etcd, whose bounds are not ours to set). */
  async measure<T>(attack: () => Promise<T>, settleMs = 1_000): Promise<{ result: T; report: Report }> {
    const window = new Window(this.server.pid, this.#clients);
    let result: T;
    try {
      result = await attack();
    } finally {
      await sleep(settleMs);
    }
    return { result, report: await window.close() };
  }

  async stop(): Promise<void> {
    this.#clients.close();
    await this.server.stop();
  }
}

/** One line for `t.diagnostic`: the memory and latency an attack cost. */
export function describeReport(flavor: Flavor, r: Report): string {
  const grown = r.peakRssMiB - r.baselineRssMiB;
  return (
    `${flavor}: RSS ${r.baselineRssMiB.toFixed(0)} → peak ${r.peakRssMiB.toFixed(0)} MiB (+${grown.toFixed(0)}), ` +
    `probe ${r.probes} calls, max ${r.maxLatencyMs.toFixed(0)} ms, ${r.failures.length} failed${r.alive ? "" : ", DIED"}`
  );
}

/** A case's own bounds, where its attack legitimately costs more than the suite's defaults (the case says why). */
export interface Bounds {
  rssHeadroomMiB?: number;
  probeMaxLatencyMs?: number;
}

export function assertSurvived(t: TestContext, server: ServerProcess, r: Report, bounds: Bounds = {}): void {
  const rssBound = bounds.rssHeadroomMiB ?? RSS_HEADROOM_MIB;
  const latencyBound = bounds.probeMaxLatencyMs ?? PROBE_MAX_LATENCY_MS;
  const grown = r.peakRssMiB - r.baselineRssMiB;
  t.diagnostic(describeReport(server.flavor, r));
  assert.ok(r.alive, `${server.flavor} etcd died during the attack:\n${server.output().slice(-2000)}`);
  assert.deepEqual(r.failures, [], "probe calls failed during the attack");
  assert.ok(r.probes > 0, "the probe made no call during the attack");
  assert.ok(grown <= rssBound, `peak RSS grew by ${grown.toFixed(0)} MiB (bound ${rssBound} MiB)`);
  assert.ok(r.maxLatencyMs <= latencyBound, `a probe Range took ${r.maxLatencyMs.toFixed(0)} ms (bound ${latencyBound} ms)`);
}

/** Runs `fn` with connections that are all destroyed afterwards, whatever happens. */
export async function withConnections<C extends { destroy(): void }, T>(open: () => Promise<C[]>, fn: (conns: C[]) => Promise<T>): Promise<T> {
  const conns = await open();
  try {
    return await fn(conns);
  } finally {
    for (const c of conns) c.destroy();
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
