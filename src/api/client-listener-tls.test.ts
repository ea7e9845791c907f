// The client listener's TLS endpoints as clients see them: gRPC (grpc-js) and
// HTTP/1 (https) on one port, client-certificate auth, plain clients on a TLS
// port and TLS clients on a plain one, unix sockets, the --listen-client-http-urls
// split, and a rotated server certificate seen on the next handshake.
import { after, afterEach, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { connect as netConnect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect as tlsConnect, type ConnectionOptions } from "node:tls";
import * as grpc from "@grpc/grpc-js";
import { KVService, RangeRequest, RangeResponse } from "../gen/etcdserverpb/rpc.js";
import { nullLogger } from "../pkg/logger.js";
import { DEFAULT_TLS_POLICY, TlsMaterial } from "../tls/index.js";
import { files, issue, makeTestPki, type TestPki } from "../tls/test-support.js";
import type { ClientEndpoint, Protocols, Security } from "./client-endpoints.js";
import { ClientListener, type ClientListenerOptions, type ClientTlsSettings } from "./client-listener.js";
import { GrpcServer } from "./grpc/server.js";
import { CLIENT_PREFACE } from "./h2/frames.js";
import { boundPort, type BoundSocket } from "./listen-socket.js";
import { bindService } from "./rpc/methods.js";

/** Longest wait for something that should happen at once, generous for a loaded machine; the preface timeout is far longer still. */
const BOUND_MS = 10_000;
const PREFACE_TIMEOUT_MS = 60_000;

let pki: TestPki;
let dir: string;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), "client-listener-tls-"));
  pki = await makeTestPki(dir);
});
after(() => rmSync(dir, { recursive: true, force: true }));

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** The server's TLS side: the test PKI's server pair; with client-cert auth, its CA verifies clients. */
function serverTls(options: { clientCertAuth?: boolean; certFile?: string; keyFile?: string } = {}): ClientTlsSettings {
  const clientCertAuth = options.clientCertAuth ?? false;
  const material = TlsMaterial.load({
    files: files({ certFile: options.certFile ?? pki.server.cert, keyFile: options.keyFile ?? pki.server.key, trustedCaFile: clientCertAuth ? pki.caCert : "" }),
    policy: DEFAULT_TLS_POLICY,
    logger: nullLogger,
    recheckMs: 0,
  });
  return { material, clientCertAuth, allowedCommonNames: [], allowedHostnames: [], verifyClientSan: false };
}

/** A gRPC server whose Range answers with the caller's certificate CN (the call context's identity) as the key. */
function identityEchoServer(): GrpcServer {
  const server = new GrpcServer({ maxConcurrentStreams: 100, keepaliveIntervalMs: 0, keepaliveTimeoutMs: 20_000, maxReceiveBytes: 1 << 20 });
  server.addMethods(
    bindService(KVService, {
      range: async (_req, ctx) => {
        const who = ctx.peer.certificate === undefined ? "anonymous" : `${ctx.peer.commonName} chain=${ctx.peer.verifiedChain.length}`;
        return RangeResponse.fromPartial({ kvs: [{ key: Buffer.from(who) }], count: 1n });
      },
    }),
  );
  return server;
}

interface Started {
  bound: BoundSocket;
  port: number;
}

async function start(endpoint: Omit<ClientEndpoint, "urls">, tls: ClientTlsSettings | undefined, options: Partial<ClientListenerOptions> = {}): Promise<Started> {
  const grpcServer = identityEchoServer();
  const listener = new ClientListener(grpcServer, (req, res) => res.end(`ok ${req.url ?? ""}`), {
    prefaceTimeoutMs: PREFACE_TIMEOUT_MS,
    ...options,
    ...(tls !== undefined ? { tls } : {}),
  });
  cleanups.push(async () => {
    grpcServer.forceShutdown();
    await listener.close();
  });
  const bound = await listener.listen({ ...endpoint, urls: ["test"] });
  return { bound, port: bound.kind === "tcp" ? bound.port : 0 };
}

function tcp(security: Security, protocols: Protocols = "grpc+http"): Omit<ClientEndpoint, "urls"> {
  return { socket: { kind: "tcp", host: "127.0.0.1", port: 0 }, security, protocols };
}

/** What a grpc-js client with these credentials gets from Range: the identity the server saw, or the error's code. */
async function rangeIdentity(port: number, credentials: grpc.ChannelCredentials, target = `127.0.0.1:${port}`): Promise<string> {
  const client = new grpc.Client(target, credentials);
  cleanups.push(() => client.close());
  const method = KVService.range;
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      method.path,
      method.requestSerialize,
      method.responseDeserialize,
      RangeRequest.fromPartial({ key: Buffer.from("k") }),
      new grpc.Metadata(),
      { deadline: Date.now() + BOUND_MS },
      (err, res) => resolve(err ? `error ${grpc.status[err.code]}` : (res?.kvs[0]?.key.toString() ?? "")),
    );
  });
}

function sslCredentials(client?: { cert: string; key: string }): grpc.ChannelCredentials {
  const ca = readFileSync(pki.caCert);
  if (client === undefined) return grpc.credentials.createSsl(ca);
  return grpc.credentials.createSsl(ca, readFileSync(client.key), readFileSync(client.cert));
}

/** An https GET; resolves with the body, or "error" when the connection failed. */
function httpsGet(port: number, path: string, client?: { cert: string; key: string }): Promise<string> {
  return new Promise((resolve) => {
    const req = httpsRequest(
      {
        host: "127.0.0.1",
        port,
        path,
        ca: readFileSync(pki.caCert),
        agent: false,
        timeout: BOUND_MS,
        ...(client !== undefined ? { cert: readFileSync(client.cert), key: readFileSync(client.key) } : {}),
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (body += chunk));
        res.on("end", () => resolve(body));
      },
    );
    req.on("error", () => resolve("error"));
    req.on("timeout", () => req.destroy());
    req.end();
  });
}

interface RawClient {
  socket: Socket;
  received(): string;
  /** Resolves once the server closed the connection; rejects after BOUND_MS. */
  closed: Promise<void>;
}

function watch(socket: Socket): RawClient {
  cleanups.push(() => {
    socket.destroy();
  });
  let received = "";
  socket.on("data", (chunk: Buffer) => (received += chunk.toString("latin1")));
  socket.on("error", () => {});
  const closed = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`connection still open after ${BOUND_MS} ms`)), BOUND_MS);
    socket.once("close", () => {
      clearTimeout(timer);
      resolve();
    });
  });
  closed.catch(() => {});
  return { socket, received: () => received, closed };
}

async function dialPlain(port: number): Promise<RawClient> {
  const socket = netConnect(port, "127.0.0.1");
  await once(socket, "connect");
  return watch(socket);
}

/** The server certificate's serial a TLS client is shown. */
async function servedSerial(port: number): Promise<string> {
  const socket = tlsConnect({ host: "127.0.0.1", port, ca: readFileSync(pki.caCert), ALPNProtocols: ["http/1.1"] });
  cleanups.push(() => {
    socket.destroy();
  });
  await once(socket, "secureConnect");
  const serial = socket.getPeerCertificate().serialNumber;
  socket.destroy();
  return serial.toLowerCase();
}

describe("ClientListener over TLS: gRPC and HTTP/1 on one port", () => {
  it("serves a grpc-js client with TLS credentials and an https client on the same port", async () => {
    const { port } = await start(tcp("tls"), serverTls());
    assert.equal(await rangeIdentity(port, sslCredentials()), "anonymous");
    assert.equal(await httpsGet(port, "/health"), "ok /health");
  });

  it("offers h2 and http/1.1 by ALPN", async () => {
    const { port } = await start(tcp("tls"), serverTls());
    for (const protocol of ["h2", "http/1.1"]) {
      const socket = tlsConnect({ host: "127.0.0.1", port, ca: readFileSync(pki.caCert), ALPNProtocols: [protocol] });
      cleanups.push(() => {
        socket.destroy();
      });
      await once(socket, "secureConnect");
      assert.equal(socket.alpnProtocol, protocol);
      socket.destroy();
    }
  });

  it("a client that offers both (curl, browsers) is given http/1.1, so its requests reach the HTTP side", async () => {
    const { port } = await start(tcp("tls"), serverTls());
    const socket = tlsConnect({ host: "127.0.0.1", port, ca: readFileSync(pki.caCert), ALPNProtocols: ["h2", "http/1.1"] });
    cleanups.push(() => {
      socket.destroy();
    });
    await once(socket, "secureConnect");
    assert.equal(socket.alpnProtocol, "http/1.1");
  });
});

describe("ClientListener over TLS: client certificates", () => {
  it("with client-cert auth, a client presenting a certificate of the trusted CA is served, and the call sees its CN and chain", async () => {
    const { port } = await start(tcp("tls"), serverTls({ clientCertAuth: true }));
    assert.equal(await rangeIdentity(port, sslCredentials(pki.client)), "client chain=2");
    assert.equal(await httpsGet(port, "/version", pki.client), "ok /version");
  });

  it("a client without a certificate fails its handshake at once", async () => {
    const { port } = await start(tcp("tls"), serverTls({ clientCertAuth: true }));
    assert.equal(await rangeIdentity(port, sslCredentials()), "error UNAVAILABLE");
    assert.equal(await httpsGet(port, "/version"), "error");
  });

  it("a client with a certificate of another CA fails its handshake at once", async () => {
    const { port } = await start(tcp("tls"), serverTls({ clientCertAuth: true }));
    assert.equal(await rangeIdentity(port, sslCredentials(pki.strangerClient)), "error UNAVAILABLE");
    assert.equal(await httpsGet(port, "/version", pki.strangerClient), "error");
  });

  it("the member keeps serving others after refused handshakes", async () => {
    const { port } = await start(tcp("tls"), serverTls({ clientCertAuth: true }));
    for (let i = 0; i < 5; i++) assert.equal(await httpsGet(port, "/", pki.strangerClient), "error");
    assert.equal(await httpsGet(port, "/", pki.client), "ok /");
  });
});

describe("ClientListener: the wrong protocol on a port", () => {
  it("plain HTTP/1 on a TLS port is closed at once, unanswered, as etcd's TLS listener does", async () => {
    const { port } = await start(tcp("tls"), serverTls());
    const c = await dialPlain(port);
    c.socket.write("GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
    await c.closed;
    assert.equal(c.received(), "");
  });

  it("a plain HTTP/2 client on a TLS port is closed at once, unanswered", async () => {
    const { port } = await start(tcp("tls"), serverTls());
    const c = await dialPlain(port);
    c.socket.write(CLIENT_PREFACE);
    await c.closed;
    assert.equal(c.received(), "");
  });

  it("a TLS client on a plain port is closed at once", async () => {
    const { port } = await start(tcp("plain"), undefined);
    const socket = tlsConnect({ host: "127.0.0.1", port, rejectUnauthorized: false });
    const c = watch(socket);
    await c.closed;
    assert.equal(c.received(), "");
  });

  it("a port given both http:// and https:// serves plain and TLS clients", async () => {
    const { port } = await start(tcp("both"), serverTls());
    assert.equal(await httpsGet(port, "/tls"), "ok /tls");
    assert.equal(await rangeIdentity(port, grpc.credentials.createInsecure()), "anonymous");
    assert.equal(await rangeIdentity(port, sslCredentials()), "anonymous");
  });
});

describe("ClientListener: --listen-client-http-urls splits the protocols", () => {
  it("a gRPC-only endpoint closes HTTP/1 connections", async () => {
    const { port } = await start(tcp("tls", "grpc"), serverTls());
    assert.equal(await rangeIdentity(port, sslCredentials()), "anonymous");
    assert.equal(await httpsGet(port, "/health"), "error");
  });

  it("an HTTP-only endpoint refuses gRPC", async () => {
    const { port } = await start(tcp("plain", "http"), undefined);
    assert.equal(await rangeIdentity(port, grpc.credentials.createInsecure()), "error UNAVAILABLE");
    const c = await dialPlain(port);
    c.socket.write("GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    await c.closed;
    assert.match(c.received(), /ok \/health$/);
  });
});

describe("ClientListener: unix sockets", () => {
  it("unix:// serves HTTP/1 and gRPC on a socket file, replacing a stale file", async () => {
    const path = join(dir, "plain.sock");
    writeFileSync(path, "stale");
    await start({ socket: { kind: "unix", path }, security: "plain", protocols: "grpc+http" }, undefined);
    const body = await new Promise<string>((resolve, reject) => {
      const req = httpRequest({ socketPath: path, path: "/health" }, (res) => {
        let text = "";
        res.on("data", (chunk: Buffer) => (text += chunk.toString()));
        res.on("end", () => resolve(text));
      });
      req.on("error", reject);
      req.end();
    });
    assert.equal(body, "ok /health");
    assert.equal(await rangeIdentity(0, grpc.credentials.createInsecure(), `unix:${path}`), "anonymous");
  });

  it("unixs:// serves TLS on a socket file", async () => {
    const path = join(dir, "secure.sock");
    await start({ socket: { kind: "unix", path }, security: "tls", protocols: "grpc+http" }, serverTls({ clientCertAuth: true }));
    const options: ConnectionOptions = { path, ca: readFileSync(pki.caCert), servername: "localhost", cert: readFileSync(pki.client.cert), key: readFileSync(pki.client.key), ALPNProtocols: ["http/1.1"] };
    const socket = tlsConnect(options);
    const c = watch(socket);
    await once(socket, "secureConnect");
    socket.write("GET /secure HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    await c.closed;
    assert.match(c.received(), /ok \/secure$/);
  });
});

describe("ClientListener over TLS: rotation", () => {
  it("a server certificate replaced on disk is presented on the next handshake, without a restart", async () => {
    const certFile = join(dir, "rotating.pem");
    const keyFile = join(dir, "rotating.key");
    copyFileSync(pki.server.cert, certFile);
    copyFileSync(pki.server.key, keyFile);
    const { port } = await start(tcp("tls"), serverTls({ certFile, keyFile }));
    assert.equal(await servedSerial(port), "1001");
    const next = await issue(dir, "rotated", { cn: "server", san: "IP:127.0.0.1,DNS:localhost", ca: "ca", serial: 0x2002 });
    // Key first, then the certificate: a reader never pairs the new certificate with the old key for long.
    copyFileSync(next.key, keyFile);
    copyFileSync(next.cert, certFile);
    assert.equal(await servedSerial(port), "2002");
    assert.equal(await httpsGet(port, "/after-rotation"), "ok /after-rotation");
  });
});

describe("ClientListener: an https endpoint needs TLS settings", () => {
  it("listen refuses a TLS endpoint without them, naming etcd's flags", async () => {
    const listener = new ClientListener(identityEchoServer(), (_req, res) => res.end());
    cleanups.push(() => listener.close());
    await assert.rejects(listener.listen({ ...tcp("tls"), urls: ["https://127.0.0.1:0"] }), /--cert-file, --key-file\) must be provided for client url https:\/\/127\.0\.0\.1:0/);
  });

  it("boundPort reads a TCP binding", async () => {
    const { bound } = await start(tcp("plain"), undefined);
    assert.ok(boundPort(bound) > 0);
  });
});
