/**
 * The attack suite's measuring rig: a server process (ours or real etcd), a
 * sampler of its resident memory, and a probe client that keeps issuing
 * Ranges over its own connection — both on a thread of their own
 * (`probe-worker.ts`), so an attack that keeps the test's event loop busy is
 * not mistaken for server latency. An attack runs inside a measuring window;
 * the window's report says whether the server survived it with its memory
 * and its latency for honest clients within the suite's bounds.
 * @module
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import type { TestContext } from "node:test";
import { Worker } from "node:worker_threads";
import { startServer, type Flavor, type ServerProcess } from "../harness/server-process.js";

import { PROBE_MAX_LATENCY_MS, RSS_HEADROOM_MIB, rssMiB } from "./process-stats.js";

export { PROBE_MAX_LATENCY_MS, RSS_HEADROOM_MIB, rssMiB };

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

/** The probe client and RSS sampler of one server, on their own thread (see probe-worker.ts). */
class ProbeThread {
  readonly #worker: Worker;
  readonly #pid: number;

  private constructor(worker: Worker, pid: number) {
    this.#worker = worker;
    this.#pid = pid;
  }

  static async start(endpoint: string, pid: number): Promise<ProbeThread> {
    const worker = new Worker(new URL("./probe-worker.js", import.meta.url), { workerData: { endpoint, pid } });
    const first = await nextMessage<{ ready?: true; error?: string }>(worker);
    if (first.error !== undefined) {
      await worker.terminate();
      throw new Error(first.error);
    }
    return new ProbeThread(worker, pid);
  }

  open(): void {
    this.#worker.postMessage("open");
  }

  async close(): Promise<Report> {
    const reply = nextMessage<Omit<Report, "alive">>(this.#worker);
    this.#worker.postMessage("close");
    return { ...(await reply), alive: isAlive(this.#pid) };
  }

  async stop(): Promise<void> {
    await this.#worker.terminate();
  }
}

function nextMessage<T>(worker: Worker): Promise<T> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    worker.once("error", onError);
    worker.once("message", (m: T) => {
      worker.off("error", onError);
      resolve(m);
    });
  });
}

/** A server under attack, with its probe client's own connection. */
export class Target {
  readonly server: ServerProcess;
  readonly #probe: ProbeThread;

  private constructor(server: ServerProcess, probe: ProbeThread) {
    this.server = server;
    this.#probe = probe;
  }

  static async start(flavor: Flavor, extraArgs: string[] = []): Promise<Target> {
    const server = await startServer({ flavor, extraArgs });
    try {
      return new Target(server, await ProbeThread.start(server.endpoint, server.pid));
    } catch (err) {
      await server.stop();
      throw new Error(`probe could not reach ${flavor} etcd: ${(err as Error).message}`);
    }
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
    this.#probe.open();
    let result: T;
    try {
      result = await attack();
    } finally {
      await sleep(settleMs);
    }
    return { result, report: await this.#probe.close() };
  }

  async stop(): Promise<void> {
    await this.#probe.stop();
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
