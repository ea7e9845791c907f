import { test } from "node:test";
import assert from "node:assert/strict";
import { DowngradeRequest_DowngradeAction as Action, type DowngradeRequest } from "../../gen/etcdserverpb/rpc.js";
import { ResponseHeader } from "../../gen/etcdserverpb/rpc.js";
import { isEtcdError } from "../../pkg/errors.js";
import { MemoryBackend } from "../../storage/backend/memory-backend.js";
import type { ApplyResult } from "../apply/apply-result.js";
import type { RaftRequestBody } from "../proposals/codec.js";
import { applyDowngradeInfoSet, downgrade, DowngradeInfoStore, parseClusterVersion, type DowngradeDeps } from "./downgrade.js";

/** A member over a memory backend whose proposals apply at once, as the log would apply them. */
/** `clusterVersion` null: the members have not agreed on one yet. */
function member(clusterVersion: string | null = "3.6.0"): { deps: DowngradeDeps; store: DowngradeInfoStore; backend: MemoryBackend; barriers: () => number } {
  const backend = new MemoryBackend();
  if (clusterVersion !== null) backend.put("cluster", Buffer.from("clusterVersion"), Buffer.from(clusterVersion));
  const store = new DowngradeInfoStore(backend);
  let barriers = 0;
  const deps: DowngradeDeps = {
    store,
    header: { header: () => ResponseHeader.fromPartial({ clusterId: 1n, memberId: 2n }), hasLeader: () => true, onLeaderLost: () => () => {} },
    readBarrier: async () => {
      barriers++;
    },
    propose: async (body: RaftRequestBody): Promise<ApplyResult> => {
      assert.ok(body.downgradeInfoSet, "Downgrade proposes only downgradeInfoSet");
      return applyDowngradeInfoSet(store, body.downgradeInfoSet);
    },
  };
  return { deps, store, backend, barriers: () => barriers };
}

const req = (action: Action, version = ""): DowngradeRequest => ({ action, version });

/** The kind of error a request is refused with (src/api/status.ts gives each kind etcd's code and text). */
async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    assert.ok(isEtcdError(err), `expected an EtcdError, got ${String(err)}`);
    return err.kind;
  }
  assert.fail("expected a refusal");
}

test("version texts are read as etcd's convertToClusterVersion reads them", () => {
  assert.deepEqual(parseClusterVersion("3.5.0"), { major: 3, minor: 5 });
  assert.deepEqual(parseClusterVersion("v3.5"), { major: 3, minor: 5 });
  assert.deepEqual(parseClusterVersion("3.5.7-rc.1+build"), { major: 3, minor: 5 });
  assert.deepEqual(parseClusterVersion("3"), { major: 3, minor: 0 });
  for (const bad of ["", "abc", "3.5.x", "3..5", "03.5", "3.5.0.1", " 3.5"]) assert.equal(parseClusterVersion(bad), undefined, bad);
});

test("VALIDATE accepts the previous minor of the cluster version and answers with the cluster version", async () => {
  const m = member();
  for (const target of ["3.5", "3.5.0", "v3.5.2"]) {
    const resp = await downgrade(m.deps, req(Action.VALIDATE, target));
    assert.equal(resp.version, "3.6");
    assert.equal(resp.header?.memberId, 2n);
  }
  assert.equal(m.barriers(), 3, "each VALIDATE reads after a ReadIndex barrier");
  assert.deepEqual(m.store.info(), { enabled: false, targetVersion: "" }, "VALIDATE changes nothing");
});

test("VALIDATE and ENABLE refuse other targets and malformed versions with etcd's codes and texts", async () => {
  const m = member();
  for (const action of [Action.VALIDATE, Action.ENABLE]) {
    for (const target of ["3.6", "3.4", "3.7", "2.5", "4.5"]) {
      assert.deepEqual(await refusal(downgrade(m.deps, req(action, target))), "InvalidDowngradeTargetVersion", target);
    }
    for (const target of ["", "three", "3.5.x"]) {
      assert.deepEqual(await refusal(downgrade(m.deps, req(action, target))), "WrongDowngradeVersionFormat", target);
    }
  }
  assert.deepEqual(m.store.info(), { enabled: false, targetVersion: "" });
});

test("ENABLE records the job through the log; a second ENABLE or VALIDATE is refused until CANCEL ends it", async () => {
  const m = member();
  assert.equal((await downgrade(m.deps, req(Action.ENABLE, "3.5"))).version, "3.6");
  assert.deepEqual(m.store.info(), { enabled: true, targetVersion: "3.5.0" });
  const inProgress = "DowngradeInProcess";
  assert.deepEqual(await refusal(downgrade(m.deps, req(Action.ENABLE, "3.5"))), inProgress);
  assert.deepEqual(await refusal(downgrade(m.deps, req(Action.VALIDATE, "3.5"))), inProgress);
  // A wrong target is refused as such even while a job runs (etcd checks the target first).
  assert.deepEqual(await refusal(downgrade(m.deps, req(Action.VALIDATE, "3.4"))), "InvalidDowngradeTargetVersion");

  assert.equal((await downgrade(m.deps, req(Action.CANCEL))).version, "3.6");
  assert.deepEqual(m.store.info(), { enabled: false, targetVersion: "" });
  assert.equal((await downgrade(m.deps, req(Action.VALIDATE, "3.5"))).version, "3.6");
});

test("CANCEL without a job answers success, as etcd 3.6 does, and proposes nothing", async () => {
  const m = member();
  m.deps.propose = async () => assert.fail("nothing to cancel: nothing to propose");
  assert.equal((await downgrade(m.deps, req(Action.CANCEL))).version, "3.6");
});

test("the job is stored in etcd's encoding in the cluster bucket, so it outlives a restart", async () => {
  const m = member();
  await downgrade(m.deps, req(Action.ENABLE, "3.5"));
  const raw = m.backend.get("cluster", Buffer.from("downgrade"));
  assert.deepEqual(JSON.parse(raw!.toString("utf8")), { "target-version": "3.5.0", enabled: true });
  assert.deepEqual(new DowngradeInfoStore(m.backend).info(), { enabled: true, targetVersion: "3.5.0" });
  // etcd's own record of a cancelled job, and a damaged one, read as "not downgrading".
  m.backend.put("cluster", Buffer.from("downgrade"), Buffer.from('{"target-version":"","enabled":false}'));
  assert.deepEqual(m.store.info(), { enabled: false, targetVersion: "" });
  m.backend.put("cluster", Buffer.from("downgrade"), Buffer.from("{not json"));
  assert.deepEqual(m.store.info(), { enabled: false, targetVersion: "" });
});

test("follows the cluster version the members agreed on; without one, etcd's 'cluster version not found'", async () => {
  const older = member("3.5.0");
  assert.equal((await downgrade(older.deps, req(Action.VALIDATE, "3.4"))).version, "3.5");
  const none = member(null);
  await assert.rejects(downgrade(none.deps, req(Action.VALIDATE, "3.5")), (err) => isEtcdError(err, "ClusterVersionUnavailable"));
});

test("an action etcd does not know is refused as etcd refuses it", async () => {
  const m = member();
  assert.deepEqual(await refusal(downgrade(m.deps, req(7 as Action, "3.5"))), "UnknownMethod");
});
