/**
 * The attack suite's bounds and what it reads of a server process, shared by
 * the harness (main thread) and the probe thread.
 * @module
 */
import { readFileSync } from "node:fs";

/** Peak RSS allowed during an attack above the RSS measured before it (README: why 150 MiB). */
export const RSS_HEADROOM_MIB = 150;
/** Slowest probe Range allowed during an attack, generous for a loaded 2-core machine. */
export const PROBE_MAX_LATENCY_MS = 1_000;
/** A probe call that takes longer than this counts as failed. */
export const PROBE_DEADLINE_MS = 5_000;
export const PROBE_INTERVAL_MS = 50;
export const RSS_INTERVAL_MS = 100;

/** VmRSS of a process in MiB, or undefined once it is gone. */
export function rssMiB(pid: number): number | undefined {
  try {
    const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m === null ? undefined : Number(m[1]) / 1024;
  } catch {
    return undefined;
  }
}
