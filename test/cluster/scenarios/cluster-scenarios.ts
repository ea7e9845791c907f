/**
 * The cluster scenarios of the "Replicated cluster" issue, for either
 * server: write anywhere and read everywhere, kill -9 of the leader under
 * load, an isolated leader (minority refuses, majority continues, nothing
 * diverges), a learner caught up by snapshot and promoted, member removal
 * and rejoin without data, a 5-member partition and two paused members.
 * `registerClusterScenarios("real")` runs them on etcd 3.4 (proving the
 * harness); `registerClusterScenarios("ours")` is our server's test. The kill -9
 * and membership scenarios are exported to run on other cluster set-ups
 * too (test/tls runs them with TLS on every listener).
 * @module
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import type { Flavor } from "../../harness/server-process.js";
import { Cluster, type ClusterOptions } from "../cluster.js";
import { get, put } from "../kv.js";

export interface ScenarioOptions {
  /** A pattern in the learner's output proving it installed a snapshot (checked when given). */
  snapshotEvidence?: RegExp;
}

export function registerClusterScenarios(flavor: Flavor, options?: ScenarioOptions): void {
  test(`${flavor}: 3 members: write through any member, read from every member; kill -9 the leader under load`, { timeout: 120_000 }, () =>
    killLeaderUnderLoad({ flavor, size: 3 }),
  );

  test(`${flavor}: an isolated leader: the minority stops accepting writes and linearizable reads, the majority goes on, nothing diverges`, { timeout: 120_000 }, async () => {
    const cluster = await Cluster.start({ flavor, size: 3 });
    try {
      const leader = await cluster.waitForLeader();
      assert.ok((await put(cluster, leader.index, "before", "1")).ok);
      cluster.isolate(leader.index);
      const others = [0, 1, 2].filter((i) => i !== leader.index);
      const next = await cluster.waitForLeader({ among: others, notId: leader.id });
      // Majority side: writes and linearizable reads work.
      assert.ok((await put(cluster, others[0]!, "during", "majority")).ok);
      assert.deepEqual(await get(cluster, others[1]!, "during"), { ok: true, value: "majority" });
      // Minority side: a write and a linearizable read fail; a serializable read answers (stale).
      const w = await put(cluster, leader.index, "during", "minority", 2_500);
      assert.equal(w.ok, false);
      const r = await get(cluster, leader.index, "during", { deadlineMs: 2_500 });
      assert.equal(r.ok, false);
      if (!w.ok) assert.ok([grpc.status.DEADLINE_EXCEEDED, grpc.status.UNAVAILABLE].includes(w.error.code), `${w.error.code} ${w.error.message}`);
      assert.deepEqual(await get(cluster, leader.index, "during", { serializable: true }), { ok: true, value: undefined });
      cluster.heal();
      await cluster.waitForLeader();
      await cluster.waitForConvergence();
      for (let i = 0; i < 3; i++) assert.deepEqual(await get(cluster, i, "during", { serializable: true }), { ok: true, value: "majority" });
      await assertNewTerm(cluster, next.index, leader.term);
    } finally {
      await cluster.stopAll();
    }
  });

  test(`${flavor}: membership: a learner added under load catches up and is promoted; a member is removed and rejoins without its data`, { timeout: 180_000 }, () =>
    learnerAndRejoin({ flavor, size: 3, extraArgs: ["--snapshot-count", "200"] }, options),
  );

  test(`${flavor}: 5 members: a 2|3 partition keeps the majority writable; SIGSTOP of two members is survived`, { timeout: 120_000 }, async () => {
    const cluster = await Cluster.start({ flavor, size: 5 });
    try {
      await cluster.waitForLeader();
      cluster.partition([
        [0, 1],
        [2, 3, 4],
      ]);
      await cluster.waitForLeader({ among: [2, 3, 4] });
      assert.ok((await put(cluster, 3, "p", "majority")).ok);
      assert.equal((await put(cluster, 0, "p", "minority", 2_000)).ok, false);
      cluster.heal();
      await cluster.waitForLeader();
      await cluster.waitForConvergence();
      cluster.pause(0);
      cluster.pause(1);
      await cluster.waitForLeader({ among: [2, 3, 4] });
      assert.ok((await put(cluster, 2, "q", "three of five")).ok);
      cluster.resume(0);
      cluster.resume(1);
      await cluster.waitForLeader();
      await cluster.waitForConvergence();
    } finally {
      await cluster.stopAll();
    }
  });
}

/**
 * Writes through every member and reads everywhere; kill -9 of the leader
 * while the followers take writes: a new leader within seconds, the old one
 * restarts on its data and catches up, every acknowledged write everywhere.
 */
export async function killLeaderUnderLoad(clusterOptions: ClusterOptions): Promise<void> {
  const flavor = clusterOptions.flavor;
  const cluster = await Cluster.start(clusterOptions);
  try {
    const leader = await cluster.waitForLeader();
    for (let i = 0; i < 3; i++) assert.ok((await put(cluster, i, `via-${i}`, `v${i}`)).ok);
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) assert.deepEqual(await get(cluster, i, `via-${j}`), { ok: true, value: `v${j}` });

    // Writers on the two followers while the leader is killed.
    const acked: string[] = [];
    let writing = true;
    const writers = [0, 1, 2]
      .filter((i) => i !== leader.index)
      .map(async (i) => {
        for (let n = 0; writing; n++) {
          const key = `load-${i}-${n}`;
          if ((await put(cluster, i, key, "x", 1_000)).ok) acked.push(key);
        }
      });
    await new Promise((r) => setTimeout(r, 500));
    const killedAt = Date.now();
    await cluster.kill9(leader.index);
    const next = await cluster.waitForLeader({ notId: leader.id, timeoutMs: 10_000 });
    const electionMs = Date.now() - killedAt;
    await new Promise((r) => setTimeout(r, 500));
    writing = false;
    await Promise.all(writers);
    console.log(`# ${flavor}: new leader ${cluster.member(next.index).name} ${electionMs} ms after kill -9 (election timeout 1000 ms); ${acked.length} acknowledged writes`);
    assert.ok(electionMs < 5_000, `${electionMs} ms`);
    await assertNewTerm(cluster, next.index, leader.term);
    // The old leader comes back with its data and catches up; every acknowledged write is everywhere.
    await cluster.restart(leader.index);
    await cluster.waitForLeader();
    const revision = await cluster.waitForConvergence();
    assert.ok(revision > BigInt(acked.length));
    for (let i = 0; i < 3; i++) {
      for (const key of acked.filter((_, n) => n % 25 === 0)) assert.deepEqual(await get(cluster, i, key, { serializable: true }), { ok: true, value: "x" });
    }
  } finally {
    await cluster.stopAll();
  }
}

/**
 * A learner added under load catches up (by snapshot: more entries than the
 * leader keeps) and is promoted; a member is removed and rejoins without its
 * data (member add, start with "existing").
 */
export async function learnerAndRejoin(clusterOptions: ClusterOptions, options?: ScenarioOptions): Promise<void> {
  const flavor = clusterOptions.flavor;
  const cluster = await Cluster.start(clusterOptions);
  try {
    await cluster.waitForLeader();
    let writing = true;
    let written = 0;
    const load = Promise.all(
      [0, 1, 2, 3, 4, 5].map(async (w) => {
        for (let n = 0; writing; n++) if ((await put(cluster, (w + n) % 3, `k${n % 50}`, `v${n}`, 1_000)).ok) written++;
      }),
    );
    // More entries than the leader keeps in its log after a snapshot (etcd keeps 5000),
    // so the learner can only catch up from a snapshot.
    while (written < 7_000) await new Promise((r) => setTimeout(r, 100));
    const learner = await cluster.addMember({ learner: true });
    assert.equal((await cluster.status(learner))?.isLearner, true);
    await cluster.promote(learner);
    writing = false;
    await load;
    assert.equal((await cluster.status(learner))?.isLearner, false);
    await cluster.waitForConvergence();
    const list = await cluster.etcdctl(0, ["member", "list"]);
    assert.equal(list.stdout.trim().split("\n").length, 4, list.stdout);
    assert.ok(!list.stdout.split("\n").some((l) => l.trim().endsWith(", true")), `no learner left:\n${list.stdout}`);
    const bySnapshot = options?.snapshotEvidence?.test(cluster.member(learner).output());
    console.log(`# ${flavor}: learner promoted after ${written} writes; caught up by snapshot: ${bySnapshot}`);
    if (options?.snapshotEvidence !== undefined) assert.ok(bySnapshot, "the learner caught up by snapshot");

    // Remove member 1 and bring it back with an empty data dir.
    await cluster.removeMember(1);
    const after = await cluster.etcdctl(0, ["member", "list"]);
    assert.equal(after.stdout.trim().split("\n").length, 3);
    await cluster.rejoin(1);
    await cluster.waitForLeader();
    await cluster.waitForConvergence();
    assert.equal((await cluster.etcdctl(0, ["member", "list"])).stdout.trim().split("\n").length, 4);
  } finally {
    await cluster.stopAll();
  }
}

/**
 * The member at `index` leads in a later term than `oldTerm`. Status reports
 * the term of the last applied entry (as etcd does), which lags an election
 * until the new leader's first entry is applied: so read it after a write
 * through that member.
 */
async function assertNewTerm(cluster: Cluster, index: number, oldTerm: bigint): Promise<void> {
  assert.ok((await put(cluster, index, "term-check", "1")).ok);
  const term = (await cluster.status(index))?.raftTerm;
  assert.ok(term !== undefined && term > oldTerm, `term ${term} after term ${oldTerm}`);
}
