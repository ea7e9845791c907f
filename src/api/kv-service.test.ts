// A client that gives up on a Range, Put or Txn: the server stops waiting for it.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import { KVService, PutRequest, RangeRequest, TxnRequest } from "../gen/etcdserverpb/rpc.js";
import type { Cancellation, KvApi } from "../server/api.js";
import { serveForTest, until } from "./grpc/test-support.js";
import { leaderInterceptor } from "./interceptors.js";
import { kvHandlers } from "./kv-service.js";
import { bindService } from "./rpc/methods.js";

const header = { clusterId: 1n, memberId: 2n, revision: 3n, raftTerm: 4n };

/** A KV whose calls wait until their caller gives up, and count how many wait. */
function waitingKv() {
  const state = { waiting: 0, started: 0, abortedAfterMs: [] as number[] };
  const wait = (signal: Cancellation | undefined): Promise<never> =>
    new Promise((_, reject) => {
      assert.ok(signal !== undefined, "the service passes the call's cancellation on");
      const start = performance.now();
      state.waiting++;
      state.started++;
      signal.addEventListener("abort", () => {
        state.waiting--;
        state.abortedAfterMs.push(performance.now() - start);
        reject(new Error("caller gave up"));
      });
    });
  const api: KvApi = {
    range: (_req, signal) => wait(signal),
    put: (_req, signal) => wait(signal),
    txn: (_req, signal) => wait(signal),
    deleteRange: () => Promise.reject(new Error("not used here")),
    compact: () => Promise.reject(new Error("not used here")),
  };
  return { state, api };
}

const calls = [
  ["Range", KVService.range, RangeRequest.fromPartial({ key: Buffer.from("k") })],
  ["Put", KVService.put, PutRequest.fromPartial({ key: Buffer.from("k"), value: Buffer.from("v") })],
  ["Txn", KVService.txn, TxnRequest.fromPartial({})],
] as const;

function call(client: grpc.Client, method: (typeof calls)[number][1], request: (typeof calls)[number][2], options: grpc.CallOptions) {
  let status: grpc.ServiceError | undefined;
  const m = method as { path: string; requestSerialize(r: unknown): Buffer; responseDeserialize(b: Buffer): unknown };
  const c = client.makeUnaryRequest(m.path, m.requestSerialize, m.responseDeserialize, request, new grpc.Metadata(), options, (err) => {
    status = err ?? undefined;
  });
  return { cancel: () => c.cancel(), status: () => status };
}

test("a cancelled Range, Put or Txn stops waiting on the server at once", async () => {
  const { state, api } = waitingKv();
  const s = await serveForTest(bindService(KVService, kvHandlers(api, { maxTxnOps: 128, maxRequestBytes: 1 << 20 }), [leaderInterceptor({ header: () => header, hasLeader: () => true })]));
  try {
    for (const [name, method, request] of calls) {
      const before = state.started;
      const c = call(s.client, method, request, {});
      await until(() => state.started === before + 1, `${name} to reach the server`);
      c.cancel();
      await until(() => state.waiting === 0, `${name} to stop waiting`);
      await until(() => c.status() !== undefined, `${name}'s client to see the cancel`);
      assert.equal(c.status()!.code, grpc.status.CANCELLED);
    }
    assert.ok(state.abortedAfterMs.every((ms) => ms < 2000), `aborted promptly: ${state.abortedAfterMs.map((ms) => ms.toFixed(0)).join(", ")} ms`);
  } finally {
    await s.close();
  }
});

test("a Range, Put or Txn past its deadline stops waiting on the server", async () => {
  const { state, api } = waitingKv();
  const s = await serveForTest(bindService(KVService, kvHandlers(api, { maxTxnOps: 128, maxRequestBytes: 1 << 20 })));
  try {
    const pending = calls.map(([, method, request]) => call(s.client, method, request, { deadline: Date.now() + 200 }));
    await until(() => state.started === 3, "every call to reach the server");
    await until(() => state.waiting === 0, "every call to stop waiting");
    await until(() => pending.every((c) => c.status() !== undefined), "every client to see its deadline");
    for (const c of pending) assert.equal(c.status()!.code, grpc.status.DEADLINE_EXCEEDED);
  } finally {
    await s.close();
  }
});
