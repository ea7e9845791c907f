/**
 * Faults injected into a running {@link Cluster} while a workload runs:
 * kill -9 and restart, pause (SIGSTOP) and resume, isolate or cut off a
 * member through the peer proxies, add latency. Chosen by a seeded random
 * source from the kinds asked for; each fault is held for a while, then
 * undone, and the timeline is kept for failure reports.
 * @module
 */
import { SeededRandom } from "../../src/pkg/random.js";
import type { Cluster } from "./cluster.js";

export type FaultKind = "kill-leader" | "kill-follower" | "pause-leader" | "pause-follower" | "isolate-leader" | "isolate-follower" | "delay-leader";

export interface NemesisOptions {
  kinds: readonly FaultKind[];
  seed?: number;
  /** How long a fault lasts. */
  holdMs?: number;
  /** Quiet time between faults. */
  gapMs?: number;
}

export interface TimelineEvent {
  /** ms since the nemesis started. */
  at: number;
  event: string;
}

/** Runs faults until `signal` aborts; resolves with the timeline once the last fault is undone. */
export async function runNemesis(cluster: Cluster, options: NemesisOptions, signal: AbortSignal): Promise<TimelineEvent[]> {
  const random = new SeededRandom(options.seed ?? 7);
  const started = Date.now();
  const timeline: TimelineEvent[] = [];
  const note = (event: string): void => {
    timeline.push({ at: Date.now() - started, event });
  };
  const holdMs = options.holdMs ?? 2_000;
  const gapMs = options.gapMs ?? 1_500;
  while (!signal.aborted) {
    await pause(gapMs, signal);
    if (signal.aborted) break;
    const kind = options.kinds[random.intn(options.kinds.length)]!;
    let leader: number;
    try {
      leader = (await cluster.waitForLeader({ timeoutMs: 10_000 })).index;
    } catch (err) {
      note(`no leader before a fault: ${(err as Error).message}`);
      continue;
    }
    const running = cluster.members.map((_, i) => i).filter((i) => cluster.members[i]!.state === "running");
    const followers = running.filter((i) => i !== leader);
    const target = kind.endsWith("leader") ? leader : followers[random.intn(followers.length)]!;
    const name = cluster.member(target).name;
    note(`${kind} ${name}`);
    switch (kind) {
      case "kill-leader":
      case "kill-follower":
        await cluster.kill9(target);
        await pause(holdMs, undefined);
        await cluster.restart(target);
        break;
      case "pause-leader":
      case "pause-follower":
        cluster.pause(target);
        await pause(holdMs, undefined);
        cluster.resume(target);
        break;
      case "isolate-leader":
      case "isolate-follower":
        cluster.isolate(target);
        await pause(holdMs, undefined);
        cluster.heal();
        break;
      case "delay-leader":
        cluster.delay(target, 50 + random.intn(150));
        await pause(holdMs, undefined);
        cluster.heal();
        break;
    }
    note(`healed ${name}`);
  }
  return timeline;
}

function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done);
  });
}
