/**
 * Runs a share of the randomized seeds in a worker thread and reports each
 * result (or failure) to the parent.
 */
import { parentPort, workerData } from "node:worker_threads";
import { runSeed } from "./harness.js";
import type { SeedStats } from "./harness.js";

export interface WorkerTask {
  seeds: number[];
  events: number;
}

export type WorkerReport =
  | { kind: "ok"; stats: Omit<SeedStats, "maxTerm" | "committed"> & { maxTerm: string; committed: string } }
  | { kind: "fail"; seed: number; message: string }
  | { kind: "done" };

const task = workerData as WorkerTask;
for (const seed of task.seeds) {
  try {
    const s = runSeed(seed, { events: task.events });
    const report: WorkerReport = { kind: "ok", stats: { ...s, maxTerm: s.maxTerm.toString(), committed: s.committed.toString() } };
    parentPort!.postMessage(report);
  } catch (err) {
    const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    const report: WorkerReport = { kind: "fail", seed, message };
    parentPort!.postMessage(report);
  }
}
parentPort!.postMessage({ kind: "done" } satisfies WorkerReport);
