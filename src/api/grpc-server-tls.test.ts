// The verified client identity in the call context, on both gRPC servers
// (ours and the grpc-js fallback), behind a TLS client port that requires
// client certificates; and the credentials the services pass on from it.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import { KVService, RangeRequest, RangeResponse } from "../gen/etcdserverpb/rpc.js";
import { nullLogger } from "../pkg/logger.js";
import type { Credentials } from "../server/api.js";
import { DEFAULT_TLS_POLICY, TlsMaterial } from "../tls/index.js";
import { files, makeTestPki, type TestPki } from "../tls/test-support.js";
import { ClientListener } from "./client-listener.js";
import { createGrpcServer, type ApiBackends, type GrpcImplementation } from "./grpc-server.js";
import { boundPort } from "./listen-socket.js";
import type { Peer } from "./rpc/contract.js";
import type { Interceptor } from "./rpc/methods.js";

/** No backend is called: the interceptor answers first. */
const BACKENDS = { kv: {}, maintenance: {}, cluster: {}, header: {} } as unknown as ApiBackends;

let dir: string;
let pki: TestPki;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), "grpc-server-tls-"));
  pki = await makeTestPki(dir);
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** Range through a TLS port with the client certificate, on one implementation; resolves with the peer the call saw. */
async function peerSeenBy(implementation: GrpcImplementation): Promise<Peer> {
  let seen: Peer | undefined;
  const recordPeer: Interceptor = {
    unary: () => async (_req, ctx) => {
      seen = ctx.peer;
      return RangeResponse.fromPartial({});
    },
  };
  await rangeOverTls(BACKENDS, { implementation, interceptors: [recordPeer] }, new grpc.Metadata());
  if (seen === undefined) throw new Error("the interceptor saw no call");
  return seen;
}

/** The credentials the KV backend receives for a Range sent with the client certificate and `metadata`. */
async function credentialsSeenBy(implementation: GrpcImplementation, clientCertAuth: boolean, metadata: Record<string, string> = {}): Promise<Credentials | undefined> {
  let seen: Credentials | undefined;
  const backends = {
    ...BACKENDS,
    header: { header: () => ({ clusterId: 1n, memberId: 2n, revision: 3n, raftTerm: 4n }), hasLeader: () => true },
    kv: {
      range: (_req: unknown, _signal: unknown, creds?: Credentials) => {
        seen = creds;
        return Promise.resolve(RangeResponse.fromPartial({}));
      },
    },
  } as unknown as ApiBackends;
  const md = new grpc.Metadata();
  for (const [k, v] of Object.entries(metadata)) md.set(k, v);
  await rangeOverTls(backends, { implementation, clientCertAuth }, md);
  return seen;
}

async function rangeOverTls(backends: ApiBackends, options: { implementation: GrpcImplementation; interceptors?: Interceptor[]; clientCertAuth?: boolean }, metadata: grpc.Metadata): Promise<void> {
  const server = createGrpcServer(backends, {
    maxRequestBytes: 1 << 20,
    maxTxnOps: 128,
    maxConcurrentStreams: 100,
    keepaliveIntervalMs: 0,
    keepaliveTimeoutMs: 20_000,
    keepaliveMinTimeMs: 5_000,
    ...options,
  });
  const material = TlsMaterial.load({ files: files({ certFile: pki.server.cert, keyFile: pki.server.key, trustedCaFile: pki.caCert }), policy: DEFAULT_TLS_POLICY, logger: nullLogger });
  const listener = new ClientListener(server.connections, (_req, res) => res.end(), {
    tls: { material, clientCertAuth: true, allowedCommonNames: [], allowedHostnames: [], verifyClientSan: false },
  });
  const client = new grpc.Client(
    `127.0.0.1:${boundPort(await listener.listen({ socket: { kind: "tcp", host: "127.0.0.1", port: 0 }, security: "tls", protocols: "grpc+http", urls: ["https://127.0.0.1:0"] }))}`,
    grpc.credentials.createSsl(readFileSync(pki.caCert), readFileSync(pki.client.key), readFileSync(pki.client.cert)),
  );
  try {
    const method = KVService.range;
    await new Promise<void>((resolve, reject) =>
      client.makeUnaryRequest(method.path, method.requestSerialize, method.responseDeserialize, RangeRequest.fromPartial({ key: Buffer.from("k") }), metadata, { deadline: Date.now() + 10_000 }, (err) =>
        err ? reject(err) : resolve(),
      ),
    );
  } finally {
    client.close();
    server.shutdown();
    await listener.close();
  }
}

describe("the client certificate's identity in the call context", () => {
  it("our server: CN, certificate and the verified chain (leaf, then the CA)", async () => {
    const peer = await peerSeenBy("ours");
    assert.equal(peer.commonName, "client");
    assert.equal(peer.certificate?.serialNumber.replace(/^0+/, "").toLowerCase(), "1002");
    assert.deepEqual(
      peer.verifiedChain.map((c) => c.subject),
      ["CN=client", "CN=test-ca"],
    );
  });

  it("grpc-js: CN and the certificate (grpc-js exposes the leaf only)", async () => {
    const peer = await peerSeenBy("grpc-js");
    assert.equal(peer.commonName, "client");
    assert.deepEqual(
      peer.verifiedChain.map((c) => c.subject),
      ["CN=client"],
    );
  });
});

describe("the certificate's common name as the caller (--client-cert-auth)", () => {
  for (const implementation of ["ours", "grpc-js"] as const) {
    it(`${implementation}: the CN reaches the server with --client-cert-auth, with the token when one is sent`, async () => {
      assert.deepEqual(await credentialsSeenBy(implementation, true), { token: undefined, commonName: "client" });
      assert.deepEqual(await credentialsSeenBy(implementation, true, { token: "t" }), { token: "t", commonName: "client" });
    });

    it(`${implementation}: no CN without --client-cert-auth, nor on a call the gateway marked`, async () => {
      assert.deepEqual(await credentialsSeenBy(implementation, false), { token: undefined, commonName: undefined });
      assert.deepEqual(await credentialsSeenBy(implementation, true, { "grpcgateway-accept": "*/*" }), { token: undefined, commonName: undefined });
    });
  }
});
