/**
 * Differential test: the same sequence of KV requests against real etcd
 * (Debian's etcd-server 3.4) and against ours; every response and every error
 * (code and message) must be identical, except member/cluster ids and sizes.
 */
import { before, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { connect } from "../harness/grpc-clients.js";
import { realEtcdBin } from "../harness/paths.js";
import { bothServers } from "../harness/both-servers.js";
import { kvScenario } from "./kv-scenario.js";
import { describeStep, runStep } from "./run-scenario.js";

before(() => assert.ok(existsSync(realEtcdBin), "real etcd is required (scripts/ensure-debian-packages.sh installs it)"));
const clients = bothServers(connect);

test("every KV rule answers exactly as real etcd", async () => {
  const steps = kvScenario();
  const mismatches: string[] = [];
  for (const [i, step] of steps.entries()) {
    const [expected, actual] = await Promise.all([runStep(clients.real!, step), runStep(clients.ours!, step)]);
    try {
      assert.deepEqual(actual, expected);
    } catch {
      mismatches.push(`#${i} ${describeStep(step)}\n  real: ${JSON.stringify(expected)}\n  ours: ${JSON.stringify(actual)}`);
    }
  }
  assert.equal(mismatches.length, 0, `${mismatches.length} of ${steps.length} steps differ:\n${mismatches.join("\n")}`);
});
