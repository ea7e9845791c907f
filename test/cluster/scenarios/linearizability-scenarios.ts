/**
 * The recorder and the checker end to end: a linearizable history of
 * concurrent clients under kill -9, SIGSTOP and partitions, and a violation
 * caught when reads are served locally (serializable) — with the same
 * scenario using linearizable reads as the control.
 * `registerLinearizabilityScenarios("real")` proves the tooling on etcd 3.4.
 * @module
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Flavor } from "../../harness/server-process.js";
import { Cluster } from "../cluster.js";
import { checkHistory, formatViolation } from "../linearizability/checker.js";
import { runNemesis } from "../nemesis.js";
import { recordHistory } from "../recorder.js";

const KEYS = ["k0", "k1", "k2", "k3", "k4"];

/** Writers on the majority, readers on the member that gets cut off for 2 s; returns the checked history. */
async function cutOffReaders(cluster: Cluster, cut: number, keys: string[], serializableReads: boolean): Promise<ReturnType<typeof checkHistory>> {
  const majority = [0, 1, 2].filter((i) => i !== cut).map((i) => cluster.member(i).endpoint);
  const stop = new AbortController();
  const workload = recordHistory(
    {
      endpoints: cluster.endpoints(),
      clients: 8,
      keys,
      roles: { writers: 4 },
      endpointFor: (c) => (c < 4 ? majority[c % 2]! : cluster.member(cut).endpoint),
      serializableReads,
      timeoutMs: 1_000,
    },
    stop.signal,
  );
  await new Promise((r) => setTimeout(r, 1_000));
  cluster.isolate(cut);
  await new Promise((r) => setTimeout(r, 2_000));
  cluster.heal();
  await new Promise((r) => setTimeout(r, 500));
  stop.abort();
  const { history } = await workload;
  return checkHistory(history);
}

export function registerLinearizabilityScenarios(flavor: Flavor): void {
  test(`${flavor}: the history of 12 clients under kill -9, SIGSTOP and partitions is linearizable`, { timeout: 180_000 }, async () => {
    const cluster = await Cluster.start({ flavor, size: 3 });
    try {
      await cluster.waitForLeader();
      const stop = new AbortController();
      const workload = recordHistory({ endpoints: cluster.endpoints(), clients: 12, keys: KEYS, timeoutMs: 1_000, seed: 5 }, stop.signal);
      const nemesis = runNemesis(
        cluster,
        { kinds: ["kill-leader", "kill-follower", "pause-leader", "pause-follower", "isolate-leader", "isolate-follower"], seed: 3, holdMs: 2_000, gapMs: 1_500 },
        stop.signal,
      );
      await new Promise((r) => setTimeout(r, 25_000));
      stop.abort();
      const timeline = await nemesis;
      const { history, stats } = await workload;
      const result = checkHistory(history, { timeoutMs: 60_000 });
      const faults = timeline.map((e) => `${(e.at / 1000).toFixed(1)}s ${e.event}`).join(", ");
      console.log(
        `# ${flavor}: ${history.length} operations (${stats.ok} ok, ${stats.indeterminate} indeterminate, ${stats.refused} refused) ` +
          `checked in ${result.ms.toFixed(0)} ms: ${result.verdict}; faults: ${faults}`,
      );
      assert.equal(result.verdict, "linearizable", result.violation !== undefined ? formatViolation(result.violation) : "");
      assert.ok(stats.ok > 2_000, `only ${stats.ok} operations completed`);
      assert.ok(timeline.filter((e) => !e.event.startsWith("healed") && !e.event.startsWith("no leader")).length >= 4, faults);
      assert.ok(stats.indeterminate + stats.refused > 0, "the faults disturbed some operations");
      // Every member converges on the same data afterwards.
      for (let i = 0; i < 3; i++) if (cluster.member(i).state === "stopped") await cluster.restart(i);
      await cluster.waitForLeader();
      await cluster.waitForConvergence();
    } finally {
      await cluster.stopAll();
    }
  });

  test(`${flavor}: reads served locally by a member cut off from the others are caught; linearizable reads pass`, { timeout: 120_000 }, async () => {
    const cluster = await Cluster.start({ flavor, size: 3 });
    try {
      const leader = await cluster.waitForLeader();
      const cut = (leader.index + 1) % 3;
      // The injected fault: serializable (local) reads where linearizable ones are due.
      const local = await cutOffReaders(cluster, cut, ["s0", "s1"], true);
      assert.equal(local.verdict, "violation");
      const report = formatViolation(local.violation!);
      console.log(`# ${flavor}: caught: ${report.split("\n")[0]}`);
      assert.match(report, /stale/);
      // Control: the same scenario with linearizable reads is linearizable
      // (the cut-off member's reads fail instead of answering stale data).
      await cluster.waitForLeader();
      const linearizable = await cutOffReaders(cluster, cut, ["l0", "l1"], false);
      assert.equal(linearizable.verdict, "linearizable", linearizable.violation !== undefined ? formatViolation(linearizable.violation) : "");
    } finally {
      await cluster.stopAll();
    }
  });
}
