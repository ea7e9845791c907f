/**
 * Layer 4: randomized runs. Each seed is a full, deterministic run of a
 * simulated cluster under random faults with the safety invariants checked
 * after every event and liveness checked after healing (see
 * randomized/harness.ts).
 *
 *   RAFT_SEEDS=20000     more seeds (default 1000, the CI amount)
 *   RAFT_EVENTS=20000    longer runs (default 10000 events per seed)
 *   RAFT_SEED_BASE=7000  first seed (default 1)
 *   RAFT_SEED=1234       replay one seed, printing the tail of its trace on failure
 *   RAFT_TRACE=path      with RAFT_SEED: write the whole trace to a file
 *   RAFT_SUMMARY_FILE    where to write the totals (used by run-suite)
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { runSeed } from "./randomized/harness.js";
import type { WorkerReport, WorkerTask } from "./randomized/worker.js";

const events = Number(process.env["RAFT_EVENTS"] ?? 10000);
const replay = process.env["RAFT_SEED"];

if (replay !== undefined) {
  test(`randomized run, replaying seed ${replay}`, () => {
    const lines: string[] = [];
    const path = process.env["RAFT_TRACE"];
    try {
      const stats = runSeed(Number(replay), { events, trace: (l) => lines.push(l) });
      console.log(JSON.stringify(stats, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v)));
    } catch (err) {
      console.log(lines.slice(-200).join("\n"));
      throw err;
    } finally {
      if (path !== undefined) writeFileSync(path, lines.join("\n") + "\n");
    }
  });
} else {
  const count = Number(process.env["RAFT_SEEDS"] ?? 1000);
  const base = Number(process.env["RAFT_SEED_BASE"] ?? 1);
  test(`randomized runs: ${count} seeds x ${events} events, invariants checked after every event`, { timeout: 3_600_000 }, async (t) => {
    const seeds = Array.from({ length: count }, (_, i) => base + i);
    const workers = Math.max(1, Math.min(availableParallelism(), 8, count));
    const failures: Array<{ seed: number; message: string }> = [];
    const totals = { elections: 0, reads: 0, snapshots: 0, confChanges: 0, crashes: 0, transfers: 0, messages: 0, dropped: 0, events: 0 };
    let ok = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: workers }, (_, w) => {
        const task: WorkerTask = { seeds: seeds.filter((_s, i) => i % workers === w), events };
        return new Promise<void>((resolve, reject) => {
          const worker = new Worker(new URL("./randomized/worker.js", import.meta.url), { workerData: task });
          worker.on("message", (r: WorkerReport) => {
            if (r.kind === "ok") {
              ok++;
              for (const k of Object.keys(totals) as Array<keyof typeof totals>) totals[k] += r.stats[k];
            } else if (r.kind === "fail") {
              failures.push({ seed: r.seed, message: r.message });
            } else {
              resolve();
            }
          });
          worker.on("error", reject);
          worker.on("exit", (code) => {
            if (code !== 0) reject(new Error(`worker exited with ${code}`));
          });
        });
      }),
    );
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    t.diagnostic(
      `${ok + failures.length} seeds in ${seconds}s on ${workers} workers: ${totals.elections} elections, ${totals.reads} reads answered, ${totals.snapshots} snapshots installed, ${totals.confChanges} conf changes applied, ${totals.crashes} crashes, ${totals.messages} messages (${totals.dropped} lost)`,
    );
    const summary = process.env["RAFT_SUMMARY_FILE"];
    if (summary !== undefined) {
      writeFileSync(summary, JSON.stringify({ seeds: ok + failures.length, failed: failures.length, events, base, totals }));
    }
    failures.sort((a, b) => a.seed - b.seed);
    for (const f of failures.slice(0, 10)) {
      t.diagnostic(`FAILED seed ${f.seed}: ${f.message}\n  replay: RAFT_SEED=${f.seed} RAFT_EVENTS=${events} node --test dist/test/raft/randomized.test.js`);
    }
    assert.deepEqual(
      failures.map((f) => f.seed),
      [],
      `failing seeds (replay one with RAFT_SEED=<seed> RAFT_EVENTS=${events}): ${failures.map((f) => `${f.seed}: ${f.message}`).join("\n")}`,
    );
  });
}
