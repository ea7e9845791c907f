import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { once } from "node:events";
import { connect, type Settings } from "node:http2";
import { ClientListener } from "./client-listener.js";
import { createGrpcServer, DEFAULT_MAX_CONCURRENT_STREAMS, type ApiBackends, type GrpcImplementation } from "./grpc-server.js";
import { tcpEndpoint } from "./client-endpoints.js";
import { boundPort } from "./listen-socket.js";

/** What node:http2 reports for a SETTINGS frame without SETTINGS_MAX_CONCURRENT_STREAMS. */
const UNSET = 2 ** 32 - 1;

/** No call is made in these cases: the services only need to exist. */
const BACKENDS = { kv: {}, maintenance: {}, cluster: {}, header: {} } as unknown as ApiBackends;

/** The SETTINGS a client receives from a server built with this --max-concurrent-streams value. */
async function advertisedSettings(maxConcurrentStreams: number, implementation: GrpcImplementation): Promise<Settings> {
  const grpc = createGrpcServer(BACKENDS, {
    maxRequestBytes: 1 << 20,
    maxTxnOps: 128,
    maxConcurrentStreams,
    keepaliveIntervalMs: 0,
    keepaliveTimeoutMs: 20_000,
    keepaliveMinTimeMs: 5_000,
    implementation,
  });
  const listener = new ClientListener(grpc.connections, (_req, res) => res.end());
  const client = { close: (): void => {} };
  try {
    const port = boundPort(await listener.listen(tcpEndpoint("127.0.0.1", 0)));
    const session = connect(`http://127.0.0.1:${port}`);
    session.on("error", () => {});
    client.close = () => session.destroy();
    // The grpc-js path answers the preface with an empty SETTINGS of its own and
    // hands the connection to grpc-js at the first request; grpc-js's SETTINGS follow.
    const call = session.request({ ":method": "POST", ":path": "/etcdserverpb.KV/Range", "content-type": "application/grpc" });
    call.on("error", () => {});
    call.end();
    for (;;) {
      const [settings] = (await once(session, "remoteSettings")) as [Settings];
      if (settings.maxConcurrentStreams !== UNSET) return settings;
    }
  } finally {
    client.close();
    grpc.shutdown();
    await listener.close();
  }
}

describe("createGrpcServer: streams per connection", () => {
  it(`etcd's default 4294967295 (and 0, and 2^31 or more) is served as ${DEFAULT_MAX_CONCURRENT_STREAMS}, a smaller value as given`, async () => {
    for (const [flag, want] of [
      [4294967295, DEFAULT_MAX_CONCURRENT_STREAMS],
      [2 ** 31, DEFAULT_MAX_CONCURRENT_STREAMS],
      [0, DEFAULT_MAX_CONCURRENT_STREAMS],
      [7, 7],
      [2 ** 31 - 1, 2 ** 31 - 1],
    ] as const) {
      assert.equal((await advertisedSettings(flag, "ours")).maxConcurrentStreams, want, `--max-concurrent-streams=${flag}`);
    }
  });

  it("grpc-js (ETCDTS_GRPC_SERVER=grpc-js) serves the same numbers", async () => {
    assert.equal((await advertisedSettings(4294967295, "grpc-js")).maxConcurrentStreams, DEFAULT_MAX_CONCURRENT_STREAMS);
    assert.equal((await advertisedSettings(7, "grpc-js")).maxConcurrentStreams, 7);
  });
});
