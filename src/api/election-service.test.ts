// Election.Observe and the hasleader metadata, over our gRPC server.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import { ElectionService, LeaderRequest, type LeaderResponse } from "../gen/v3electionpb/v3election.js";
import type { ElectionApi } from "../server/api.js";
import { electionHandlers } from "./election-service.js";
import { leaderLossSource, serveForTest, until } from "./grpc/test-support.js";
import { leaderInterceptor } from "./interceptors.js";
import { bindService } from "./rpc/methods.js";

const header = { clusterId: 1n, memberId: 2n, revision: 3n, raftTerm: 4n };

/** An election whose leader is "a" until the observer goes away. */
const election = {
  async *observe(_req: LeaderRequest, signal: AbortSignal): AsyncGenerator<LeaderResponse> {
    yield { header, kv: { key: Buffer.from("e/1"), value: Buffer.from("a"), createRevision: 2n, modRevision: 2n, version: 1n, lease: 1n } };
    await new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
  },
} as unknown as ElectionApi;

function observe(client: grpc.Client, requireLeader: boolean) {
  const md = new grpc.Metadata();
  if (requireLeader) md.set("hasleader", "true");
  const m = ElectionService.observe;
  const stream = client.makeServerStreamRequest(m.path, m.requestSerialize, m.responseDeserialize, LeaderRequest.fromPartial({ name: Buffer.from("e") }), md, {});
  const o = { responses: [] as LeaderResponse[], error: undefined as grpc.ServiceError | undefined, stream };
  stream.on("data", (r: LeaderResponse) => o.responses.push(r));
  stream.on("error", (e: grpc.ServiceError) => (o.error = e));
  return o;
}

test("Election.Observe: a stream that requires a leader ends with 'no leader' when the member loses it; others go on", async () => {
  const { listeners, source } = leaderLossSource(header);
  const s = await serveForTest(bindService(ElectionService, electionHandlers(election), [leaderInterceptor(source)]));
  try {
    const strict = observe(s.client, true);
    const relaxed = observe(s.client, false);
    await until(() => strict.responses.length === 1 && relaxed.responses.length === 1, "the current leader on both streams");
    assert.equal(listeners.size, 1);
    for (const l of [...listeners]) l();
    await until(() => strict.error !== undefined, "the no-leader end");
    assert.equal(strict.error!.code, grpc.status.UNAVAILABLE);
    assert.equal(strict.error!.details, "etcdserver: no leader");
    assert.equal(listeners.size, 0, "the ended stream unsubscribed");
    assert.equal(relaxed.error, undefined);
    relaxed.stream.cancel();
  } finally {
    await s.close();
  }
});
