import { test } from "node:test";
import assert from "node:assert/strict";
import type { Snapshot } from "../../gen/raftpb/raft.js";
import { nullLogger } from "../../pkg/logger.js";
import { SnapshotInstaller } from "./installer.js";

test("installing a snapshot rebuilds leases before keys, then membership, alarms and the auth store, before watchers catch up", async () => {
  const steps: string[] = [];
  const step = (name: string) => () => {
    steps.push(name);
  };
  const confState = { voters: [1n], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false };
  const installer = new SnapshotInstaller({
    takeReceived: () => "/received.db",
    backend: { replaceWith: async () => void steps.push("backend") },
    cindex: { reload: () => (steps.push("cindex"), { index: 12n }) },
    leases: { reload: step("leases") },
    store: { rev: 5n, compactionIdle: () => Promise.resolve(), restore: step("store") },
    membership: { reload: step("membership") },
    alarms: { reload: step("alarms") },
    auth: { reload: step("auth") },
    conf: { confState, reset: step("conf") },
    restoreWatchers: step("watchers"),
    applied: { advance: (index) => void steps.push(`applied ${index}`) },
    onMembersChanged: step("peers"),
    logger: nullLogger,
  });
  const snapshot = { data: Buffer.alloc(0), metadata: { index: 10n, term: 2n, confState } } as Snapshot;
  await installer.install(snapshot);
  assert.deepEqual(steps, ["backend", "cindex", "leases", "store", "membership", "alarms", "auth", "conf", "watchers", "applied 12", "peers"]);
});
