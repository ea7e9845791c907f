/**
 * Maintenance.Downgrade (etcd 3.6) against ours, over gRPC and the HTTP
 * gateway: VALIDATE, ENABLE and CANCEL with etcd 3.6's answers and errors for
 * the version we report (3.6.0: the one valid target is 3.5). Real etcd
 * 3.4.23, the reference elsewhere, has no Downgrade method (it answers
 * Unimplemented), so the expected answers are etcd 3.6's source
 * (server/etcdserver/version, v3_server.go, api/v3rpc/rpctypes).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  DowngradeRequest_DowngradeAction as Action,
  type DowngradeRequest,
  type DowngradeResponse,
  type StatusRequest,
  type StatusResponse,
} from "../../src/gen/etcdserverpb/rpc.js";
import { post } from "../gateway/http-client.js";
import { call, connect, mustCall, type Clients, type Outcome } from "../harness/grpc-clients.js";
import { tempDir } from "../harness/paths.js";
import { startServer } from "../harness/server-process.js";

const downgrade = (c: Clients, action: Action, version = ""): Promise<Outcome<DowngradeResponse>> =>
  call<DowngradeRequest, DowngradeResponse>(c.maintenance, c.maintenance.downgrade, { action, version });
const refusal = (o: Outcome<unknown>): string => (o.ok ? "answered" : `${o.error.code} ${o.error.message}`);
const status = (c: Clients): Promise<StatusResponse> => mustCall<StatusRequest, StatusResponse>(c.maintenance, c.maintenance.status, {});

const INVALID_TARGET = { code: 3, message: "etcdserver: invalid downgrade target version" };
const WRONG_FORMAT = { code: 3, message: "etcdserver: wrong downgrade target version format" };
const IN_PROGRESS = { code: 9, message: "etcdserver: cluster has a downgrade job in progress" };

test("VALIDATE, refusals and a CANCEL without a job, over gRPC and the gateway", async () => {
  const server = await startServer({ flavor: "ours" });
  const c = connect(server.endpoint);
  try {
    const ok = await downgrade(c, Action.VALIDATE, "3.5");
    assert.ok(ok.ok, refusal(ok));
    assert.equal(ok.value.version, "3.6");
    assert.ok((ok.value.header?.memberId ?? 0n) !== 0n, "the answer carries the member's header");

    for (const target of ["3.4", "3.6", "3.7"]) {
      assert.deepEqual(await downgrade(c, Action.VALIDATE, target), { ok: false, error: INVALID_TARGET }, target);
      assert.deepEqual(await downgrade(c, Action.ENABLE, target), { ok: false, error: INVALID_TARGET }, target);
    }
    assert.deepEqual(await downgrade(c, Action.ENABLE, "three.five"), { ok: false, error: WRONG_FORMAT });

    const cancel = await downgrade(c, Action.CANCEL);
    assert.ok(cancel.ok, "etcd 3.6 answers a CANCEL without a job with success");
    assert.equal(cancel.value.version, "3.6");
    assert.deepEqual((await status(c)).downgradeInfo, { enabled: false, targetVersion: "" });

    // The gateway: grpc-gateway's JSON of the answer, and its error body with etcd's code.
    const gwOk = await post(server.clientUrl, "/v3/maintenance/downgrade", { action: "VALIDATE", version: "3.5" });
    assert.equal(gwOk.status, 200, gwOk.body);
    assert.equal((JSON.parse(gwOk.body) as { version: string }).version, "3.6");
    const gwBad = await post(server.clientUrl, "/v3/maintenance/downgrade", { action: "ENABLE", version: "3.4" });
    assert.equal(gwBad.status, 400, gwBad.body);
    assert.deepEqual(JSON.parse(gwBad.body), { error: INVALID_TARGET.message, message: INVALID_TARGET.message, code: 3 });
  } finally {
    c.close();
    await server.stop();
  }
});

test(
  "ENABLE goes through the log: Status reports the job, a second ENABLE is refused, it survives a restart, CANCEL ends it",
  async () => {
    const dir = tempDir("etcd-downgrade");
    const dataDir = join(dir.path, "data");
    try {
      let server = await startServer({ flavor: "ours", dataDir });
      let c = connect(server.endpoint);
      try {
        const enabled = await downgrade(c, Action.ENABLE, "3.5");
        assert.ok(enabled.ok, refusal(enabled));
        assert.equal(enabled.value.version, "3.6");
        assert.deepEqual((await status(c)).downgradeInfo, { enabled: true, targetVersion: "3.5.0" });
        assert.deepEqual(await downgrade(c, Action.ENABLE, "3.5"), { ok: false, error: IN_PROGRESS });
        assert.deepEqual(await downgrade(c, Action.VALIDATE, "3.5"), { ok: false, error: IN_PROGRESS });
      } finally {
        c.close();
        await server.stop({ keepData: true });
      }
      server = await startServer({ flavor: "ours", dataDir });
      c = connect(server.endpoint);
      try {
        assert.deepEqual((await status(c)).downgradeInfo, { enabled: true, targetVersion: "3.5.0" });
        const gwCancel = await post(server.clientUrl, "/v3/maintenance/downgrade", { action: "CANCEL" });
        assert.equal(gwCancel.status, 200, gwCancel.body);
        assert.deepEqual((await status(c)).downgradeInfo, { enabled: false, targetVersion: "" });
        assert.ok((await downgrade(c, Action.VALIDATE, "3.5")).ok);
      } finally {
        c.close();
        await server.stop();
      }
    } finally {
      dir.remove();
    }
  },
);
