/**
 * Differential test: the same sequence of KV requests against real etcd
 * (Debian's etcd-server 3.4) and against ours; every response and every error
 * (code and message) must be identical, except member/cluster ids and sizes.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { connect, type Clients } from "../harness/grpc-clients.js";
import { realEtcdBin } from "../harness/paths.js";
import { startServer, type ServerProcess } from "../harness/server-process.js";
import { kvScenario } from "./kv-scenario.js";
import { describeStep, runStep } from "./run-scenario.js";

const servers: { real?: ServerProcess; ours?: ServerProcess } = {};
const clients: { real?: Clients; ours?: Clients } = {};

before(async () => {
  assert.ok(existsSync(realEtcdBin), "real etcd is required (scripts/ensure-debian-packages.sh installs it)");
  [servers.real, servers.ours] = await Promise.all([startServer({ flavor: "real" }), startServer({ flavor: "ours" })]);
  clients.real = connect(servers.real.endpoint);
  clients.ours = connect(servers.ours.endpoint);
});

after(async () => {
  clients.real?.close();
  clients.ours?.close();
  await Promise.all([servers.real?.stop(), servers.ours?.stop()]);
});

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
