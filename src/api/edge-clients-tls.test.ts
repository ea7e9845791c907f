// The member's own gRPC clients over TLS: the gateway calling its own TLS
// port and the leader client calling a leader's https:// client URL, both
// presenting the member's client certificate to a port that requires one.
import { after, afterEach, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KVService, LeaseService, LeaseTimeToLiveRequest, LeaseTimeToLiveResponse, RangeResponse } from "../gen/etcdserverpb/rpc.js";
import { EtcdError } from "../pkg/errors.js";
import { nullLogger } from "../pkg/logger.js";
import { DEFAULT_TLS_POLICY, TlsMaterial, type TlsFiles } from "../tls/index.js";
import { files, makeTestPki, type TestPki } from "../tls/test-support.js";
import { ClientListener, type ClientTlsSettings, type HttpHandler } from "./client-listener.js";
import { GrpcServer } from "./grpc/server.js";
import { createHttpApi } from "./http/index.js";
import { LeaderClient } from "./leader-client.js";
import type { BoundSocket } from "./listen-socket.js";
import { bindService } from "./rpc/methods.js";

let dir: string;
let pki: TestPki;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), "edge-clients-tls-"));
  pki = await makeTestPki(dir);
});
after(() => rmSync(dir, { recursive: true, force: true }));

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function material(parts: Partial<Omit<TlsFiles, "flags">>): TlsMaterial {
  return TlsMaterial.load({ files: files(parts), policy: DEFAULT_TLS_POLICY, logger: nullLogger });
}

/** The port's TLS side: the server pair, client certificates of the test CA required. */
function requiringClientCerts(): ClientTlsSettings {
  return { material: material({ certFile: pki.server.cert, keyFile: pki.server.key, trustedCaFile: pki.caCert }), clientCertAuth: true, allowedCommonNames: [], allowedHostnames: [], verifyClientSan: false };
}

/** What the member presents when it dials: the test PKI's client pair, trusting its CA. */
function memberDial(): { material: TlsMaterial } {
  return { material: material({ certFile: pki.client.cert, keyFile: pki.client.key, trustedCaFile: pki.caCert }) };
}

/** A gRPC server whose Range and LeaseTimeToLive answer with the caller's certificate CN. */
function identityServer(): GrpcServer {
  const server = new GrpcServer({ maxConcurrentStreams: 100, keepaliveIntervalMs: 0, keepaliveTimeoutMs: 20_000, maxReceiveBytes: 1 << 20 });
  const who = (cn: string | undefined): string => cn ?? "anonymous";
  server.addMethods(bindService(KVService, { range: async (_req, ctx) => RangeResponse.fromPartial({ kvs: [{ key: Buffer.from(who(ctx.peer.commonName)) }], count: 1n }) }));
  server.addMethods(
    bindService(LeaseService, {
      leaseTimeToLive: async (req, ctx) => LeaseTimeToLiveResponse.fromPartial({ ID: req.ID, TTL: 7n, keys: [Buffer.from(who(ctx.peer.commonName))] }),
    }),
  );
  return server;
}

async function serveTls(httpHandler: HttpHandler = (_req, res) => res.end()): Promise<{ bound: BoundSocket; port: number }> {
  const grpcServer = identityServer();
  const listener = new ClientListener(grpcServer, httpHandler, { tls: requiringClientCerts() });
  cleanups.push(async () => {
    grpcServer.forceShutdown();
    await listener.close();
  });
  const bound = await listener.listen({ socket: { kind: "tcp", host: "127.0.0.1", port: 0 }, security: "tls", protocols: "grpc+http", urls: ["https://127.0.0.1:0"] });
  return { bound, port: bound.kind === "tcp" ? bound.port : 0 };
}

describe("the gateway over TLS", () => {
  it("calls its own TLS port presenting the member's client certificate", async () => {
    const http = createHttpApi({
      server: { kv: { range: async () => RangeResponse.fromPartial({}) }, hasLeader: () => true, alarms: () => [], clusterVersion: () => "3.4.0" },
      serverVersion: "3.4.23",
      enableGateway: true,
      maxRequestBytes: 1 << 20,
      requestTimeoutMs: 5_000,
      cors: [],
      hostWhitelist: [],
      logger: nullLogger,
    });
    cleanups.push(() => http.close());
    const { bound, port } = await serveTls(http.handler);
    http.setGatewayTarget(bound, memberDial());
    const body = await new Promise<string>((resolve, reject) => {
      const req = request(
        { host: "127.0.0.1", port, path: "/v3/kv/range", method: "POST", ca: readFileSync(pki.caCert), cert: readFileSync(pki.client.cert), key: readFileSync(pki.client.key), agent: false },
        (res) => {
          let text = "";
          res.on("data", (chunk: Buffer) => (text += chunk.toString()));
          res.on("end", () => resolve(text));
        },
      );
      req.on("error", reject);
      req.end(JSON.stringify({ key: Buffer.from("k").toString("base64") }));
    });
    const parsed = JSON.parse(body) as { kvs: { key: string }[] };
    assert.equal(Buffer.from(parsed.kvs[0]?.key ?? "", "base64").toString(), "client");
  });
});

describe("the leader client over TLS", () => {
  it("dials the leader's https:// client URL with the member's client certificate", async () => {
    const { port } = await serveTls();
    const leader = new LeaderClient({ leader: () => 1n, clientUrls: () => [`https://127.0.0.1:${port}`] }, { wallMs: () => Date.now() }, memberDial());
    cleanups.push(() => leader.close());
    const resp = await leader.timeToLive(LeaseTimeToLiveRequest.fromPartial({ ID: 5n, keys: true }), new AbortController().signal);
    assert.equal(resp?.TTL, 7n);
    assert.equal(resp?.keys[0]?.toString(), "client");
  });

  it("without TLS settings an https:// leader is 'no leader'", async () => {
    const leader = new LeaderClient({ leader: () => 1n, clientUrls: () => ["https://127.0.0.1:1"] }, { wallMs: () => Date.now() });
    cleanups.push(() => leader.close());
    await assert.rejects(leader.timeToLive(LeaseTimeToLiveRequest.fromPartial({ ID: 5n }), new AbortController().signal), (err: unknown) => err instanceof EtcdError && err.kind === "NoLeader");
  });
});
