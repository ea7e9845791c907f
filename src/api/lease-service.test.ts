// LeaseKeepAlive streams and the hasleader metadata, over our gRPC server.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import { LeaseKeepAliveRequest, LeaseService, type LeaseKeepAliveResponse } from "../gen/etcdserverpb/rpc.js";
import type { LeaseApi } from "../server/api.js";
import { leaderLossSource, serveForTest, until } from "./grpc/test-support.js";
import { leaderInterceptor } from "./interceptors.js";
import { bindService } from "./rpc/methods.js";
import { leaseHandlers } from "./lease-service.js";

const header = { clusterId: 1n, memberId: 2n, revision: 3n, raftTerm: 4n };

/** A lease API that renews every lease for 10 s. */
const leases = {
  keepAlive: async (req: LeaseKeepAliveRequest): Promise<LeaseKeepAliveResponse> => ({ header, ID: req.ID, TTL: 10n }),
} as unknown as LeaseApi;

interface KeepAlives {
  responses: LeaseKeepAliveResponse[];
  error: grpc.ServiceError | undefined;
  stream: grpc.ClientDuplexStream<LeaseKeepAliveRequest, LeaseKeepAliveResponse>;
}

function keepAlives(client: grpc.Client, requireLeader: boolean): KeepAlives {
  const md = new grpc.Metadata();
  if (requireLeader) md.set("hasleader", "true");
  const m = LeaseService.leaseKeepAlive;
  const stream = client.makeBidiStreamRequest(m.path, m.requestSerialize, m.responseDeserialize, md, {});
  const k: KeepAlives = { responses: [], error: undefined, stream };
  stream.on("data", (r: LeaseKeepAliveResponse) => k.responses.push(r));
  stream.on("error", (e: grpc.ServiceError) => (k.error = e));
  return k;
}

test("LeaseKeepAlive: a stream that requires a leader ends with 'no leader' when the member loses it; others go on", async () => {
  const { listeners, source } = leaderLossSource(header);
  const s = await serveForTest(bindService(LeaseService, leaseHandlers(leases), [leaderInterceptor(source)]));
  try {
    const strict = keepAlives(s.client, true);
    const relaxed = keepAlives(s.client, false);
    strict.stream.write(LeaseKeepAliveRequest.fromPartial({ ID: 7n }));
    relaxed.stream.write(LeaseKeepAliveRequest.fromPartial({ ID: 8n }));
    await until(() => strict.responses.length === 1 && relaxed.responses.length === 1, "the first renewals");
    assert.equal(strict.responses[0]!.TTL, 10n);
    assert.equal(listeners.size, 1, "only the stream with hasleader=true watches for leader loss");

    for (const l of [...listeners]) l();
    await until(() => strict.error !== undefined, "the no-leader end");
    assert.equal(strict.error!.code, grpc.status.UNAVAILABLE);
    assert.equal(strict.error!.details, "etcdserver: no leader");
    assert.equal(listeners.size, 0, "the ended stream unsubscribed");

    relaxed.stream.write(LeaseKeepAliveRequest.fromPartial({ ID: 8n }));
    await until(() => relaxed.responses.length === 2, "a renewal on the stream that did not require a leader");
    assert.equal(relaxed.error, undefined);
    relaxed.stream.end();
    await until(() => listeners.size === 0 && relaxed.error === undefined, "a clean end");
  } finally {
    await s.close();
  }
});

test("LeaseKeepAlive: a stream that requires a leader and ends normally unsubscribes", async () => {
  const { listeners, source } = leaderLossSource(header);
  const s = await serveForTest(bindService(LeaseService, leaseHandlers(leases), [leaderInterceptor(source)]));
  try {
    const k = keepAlives(s.client, true);
    k.stream.write(LeaseKeepAliveRequest.fromPartial({ ID: 1n }));
    await until(() => k.responses.length === 1, "a renewal");
    k.stream.end();
    await until(() => listeners.size === 0, "the unsubscribe");
    assert.equal(k.error, undefined);
  } finally {
    await s.close();
  }
});
