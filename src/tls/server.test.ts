import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import fs from "node:fs";
import * as net from "node:net";
import { join } from "node:path";
import * as tls from "node:tls";
import { nullLogger } from "../pkg/logger.js";
import { tempDir } from "../pkg/test-support.js";
import { clientConnectOptions } from "./client.js";
import { peerIdentity, type TlsPeerIdentity } from "./identity.js";
import { TlsMaterial } from "./material.js";
import { acceptTls, type TlsRefusal, type TlsServerSettings } from "./server.js";
import { files, issue, makeTestPki, type TestPki } from "./test-support.js";
import { DEFAULT_TLS_POLICY, type TlsFiles } from "./types.js";

const material = (f: TlsFiles): TlsMaterial => TlsMaterial.load({ files: f, policy: DEFAULT_TLS_POLICY, logger: nullLogger });

interface Harness {
  readonly port: number;
  readonly refusals: TlsRefusal[];
  readonly identities: (TlsPeerIdentity | undefined)[];
  /** Resolves at the next refusal or secured connection. */
  next(): Promise<"secure" | "refused">;
}

/** A TCP server on 127.0.0.1 handing each connection to acceptTls; secured sockets answer "hello" with the negotiated ALPN protocol. */
async function serve(t: TestContext, settings: Partial<TlsServerSettings> & { material: TlsMaterial }): Promise<Harness> {
  const refusals: TlsRefusal[] = [];
  const identities: (TlsPeerIdentity | undefined)[] = [];
  const waiters: ((outcome: "secure" | "refused") => void)[] = [];
  const sockets = new Set<net.Socket>();
  const full: TlsServerSettings = {
    clientCertAuth: false,
    allowedCommonNames: [],
    allowedHostnames: [],
    verifyClientSan: false,
    handshakeTimeoutMs: 10_000,
    alpnProtocols: ["h2", "http/1.1"],
    ...settings,
  };
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    acceptTls(
      socket,
      full,
      (secure) => {
        secure.on("error", () => secure.destroy());
        identities.push(peerIdentity(secure));
        secure.end(`hello ${secure.alpnProtocol || "none"}`);
        waiters.shift()?.("secure");
      },
      (refusal) => {
        refusals.push(refusal);
        waiters.shift()?.("refused");
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  t.after(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  return {
    port: (server.address() as net.AddressInfo).port,
    refusals,
    identities,
    next: () => new Promise((resolve) => waiters.push(resolve)),
  };
}

/** Connects with the material; resolves with what the server said, or rejects with the client's error. */
function dial(port: number, client: TlsMaterial, options: tls.ConnectionOptions = {}): Promise<{ text: string; peer: X509Certificate | undefined; protocol: string | null }> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: "127.0.0.1", port, ...clientConnectOptions({ material: client }, ["h2", "http/1.1"]), ...options });
    let text = "";
    let peer: X509Certificate | undefined;
    let protocol: string | null = null;
    socket.on("secureConnect", () => {
      peer = socket.getPeerX509Certificate();
      protocol = socket.getProtocol();
    });
    socket.on("data", (chunk: Buffer) => (text += chunk.toString()));
    socket.on("error", reject);
    socket.on("close", () => (text === "" ? reject(new Error("closed without an answer")) : resolve({ text, peer, protocol })));
  });
}

function serverSide(pki: TestPki, extra: Partial<TlsFiles> = {}): TlsMaterial {
  return material(files({ certFile: pki.server.cert, keyFile: pki.server.key, ...extra }));
}

function clientSide(pki: TestPki, who: { cert: string; key: string } | undefined): TlsMaterial {
  return material(files({ trustedCaFile: pki.caCert, ...(who ? { certFile: who.cert, keyFile: who.key } : {}) }));
}

test("acceptTls serves TLS with ALPN (h2 preferred) and leaves identity empty without client auth", async (t) => {
  const pki = await makeTestPki(tempDir(t));
  const h = await serve(t, { material: serverSide(pki) });
  const answer = await dial(h.port, clientSide(pki, undefined));
  assert.equal(answer.text, "hello h2");
  assert.equal(answer.protocol, "TLSv1.3");
  const http1 = await dial(h.port, clientSide(pki, undefined), { ALPNProtocols: ["http/1.1"] });
  assert.equal(http1.text, "hello http/1.1");
  assert.deepEqual(h.identities, [undefined, undefined]);
});

test("acceptTls with client-cert auth: a verified client passes with its identity; none, or another CA's, is refused", async (t) => {
  const pki = await makeTestPki(tempDir(t));
  const h = await serve(t, { material: serverSide(pki, { trustedCaFile: pki.caCert }), clientCertAuth: true });
  assert.equal((await dial(h.port, clientSide(pki, pki.client))).text, "hello h2");
  const identity = h.identities[0];
  assert.ok(identity);
  assert.equal(identity.commonName, "client");
  assert.deepEqual(identity.ipAddresses, ["127.0.0.1"]);
  assert.deepEqual(identity.dnsNames, ["localhost"]);
  assert.deepEqual(
    identity.verifiedChain.map((c) => c.subject),
    ["CN=client", "CN=test-ca"],
  );

  let refused = h.next();
  await assert.rejects(dial(h.port, clientSide(pki, undefined)));
  assert.equal(await refused, "refused");
  assert.equal(h.refusals.at(-1)!.reason, "tls: peer did not return a certificate");

  refused = h.next();
  await assert.rejects(dial(h.port, clientSide(pki, pki.strangerClient)));
  assert.equal(await refused, "refused");
  assert.match(h.refusals.at(-1)!.reason, /failed to verify client certificate/);
  assert.equal(h.refusals.at(-1)!.remoteAddress, "127.0.0.1");
});

test("acceptTls requires a client certificate whenever a trusted CA is configured, as etcd", async (t) => {
  const pki = await makeTestPki(tempDir(t));
  const h = await serve(t, { material: serverSide(pki, { trustedCaFile: pki.caCert }), clientCertAuth: false });
  const refused = h.next();
  await assert.rejects(dial(h.port, clientSide(pki, undefined)));
  assert.equal(await refused, "refused");
});

test("acceptTls refuses a revoked client certificate, and a CRL rotated on disk takes effect on the next handshake", async (t) => {
  const dir = tempDir(t);
  const pki = await makeTestPki(dir);
  const liveCrl = join(dir, "live-crl.pem");
  fs.copyFileSync(pki.emptyCrl, liveCrl);
  const h = await serve(t, { material: serverSide(pki, { trustedCaFile: pki.caCert, crlFile: liveCrl }), clientCertAuth: true });
  assert.equal((await dial(h.port, clientSide(pki, pki.revokedClient))).text, "hello h2", "not revoked yet");
  fs.copyFileSync(pki.crl, liveCrl);
  const refused = h.next();
  await assert.rejects(dial(h.port, clientSide(pki, pki.revokedClient)));
  assert.equal(await refused, "refused");
  assert.equal(h.refusals.at(-1)!.reason, "transport: certificate serial abcdef revoked");
  assert.equal((await dial(h.port, clientSide(pki, pki.client))).text, "hello h2", "others still pass");
});

test("acceptTls checks the allowed common names and host names", async (t) => {
  const pki = await makeTestPki(tempDir(t));
  const server = serverSide(pki, { trustedCaFile: pki.caCert });
  const byCn = await serve(t, { material: server, clientCertAuth: true, allowedCommonNames: ["client"] });
  assert.equal((await dial(byCn.port, clientSide(pki, pki.client))).text, "hello h2");
  const refused = byCn.next();
  await assert.rejects(dial(byCn.port, clientSide(pki, pki.revokedClient)));
  assert.equal(await refused, "refused");
  assert.equal(byCn.refusals.at(-1)!.reason, "client certificate authentication failed");

  const byHost = await serve(t, { material: server, clientCertAuth: true, allowedHostnames: ["localhost"] });
  assert.equal((await dial(byHost.port, clientSide(pki, pki.client))).text, "hello h2");
  const wrongHost = await serve(t, { material: server, clientCertAuth: true, allowedHostnames: ["etcd.example.com"] });
  const refusedHost = wrongHost.next();
  await assert.rejects(dial(wrongHost.port, clientSide(pki, pki.client)));
  assert.equal(await refusedHost, "refused");

  // As in etcd (Go checks them in VerifyPeerCertificate): without a certificate asked for, the lists do not apply.
  const unasked = await serve(t, { material: serverSide(pki), clientCertAuth: false, allowedCommonNames: ["someone-else"] });
  assert.equal((await dial(unasked.port, clientSide(pki, pki.client))).text, "hello h2");
});

test("acceptTls checks a peer certificate's SAN against the remote address unless told not to", async (t) => {
  const dir = tempDir(t);
  const pki = await makeTestPki(dir);
  const elsewhere = await issue(dir, "elsewhere", { cn: "peer", san: "IP:10.9.8.7", ca: "ca" });
  const byName = await issue(dir, "by-name", { cn: "peer", san: "DNS:localhost", ca: "ca" });
  const server = serverSide(pki, { trustedCaFile: pki.caCert });
  const strict = await serve(t, { material: server, clientCertAuth: true, verifyClientSan: true });
  assert.equal((await dial(strict.port, clientSide(pki, pki.client))).text, "hello h2", "IP SAN 127.0.0.1 from 127.0.0.1");
  assert.equal((await dial(strict.port, clientSide(pki, byName))).text, "hello h2", "DNS SAN localhost resolves to 127.0.0.1");
  const refused = strict.next();
  await assert.rejects(dial(strict.port, clientSide(pki, elsewhere)));
  assert.equal(await refused, "refused");
  assert.equal(strict.refusals.at(-1)!.reason, "x509: certificate is valid for 10.9.8.7, not 127.0.0.1");

  const lax = await serve(t, { material: server, clientCertAuth: true, verifyClientSan: false });
  assert.equal((await dial(lax.port, clientSide(pki, elsewhere))).text, "hello h2");
});

test("acceptTls drops a connection that never finishes its handshake, and a plain HTTP/2 client at once", async (t) => {
  const pki = await makeTestPki(tempDir(t));
  const h = await serve(t, { material: serverSide(pki), handshakeTimeoutMs: 200 });
  const silent = net.connect(h.port, "127.0.0.1");
  silent.on("error", () => {});
  const closed = new Promise((resolve) => silent.once("close", resolve));
  assert.equal(await h.next(), "refused");
  await closed;
  assert.match(h.refusals.at(-1)!.reason, /handshake not finished within 200 ms/);

  const plain = net.connect(h.port, "127.0.0.1", () => plain.write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"));
  plain.on("error", () => {});
  const plainClosed = new Promise((resolve) => plain.once("close", resolve));
  assert.equal(await h.next(), "refused");
  await plainClosed;
  assert.doesNotMatch(h.refusals.at(-1)!.reason, /handshake not finished/);
});

test("acceptTls presents a rotated server certificate on the next handshake", async (t) => {
  const dir = tempDir(t);
  const pki = await makeTestPki(dir);
  const live = { cert: join(dir, "live.pem"), key: join(dir, "live.key") };
  fs.copyFileSync(pki.server.cert, live.cert);
  fs.copyFileSync(pki.server.key, live.key);
  const h = await serve(t, { material: material(files({ certFile: live.cert, keyFile: live.key })) });
  const before = await dial(h.port, clientSide(pki, undefined));
  const rotated = await issue(dir, "rotated", { cn: "server-2", san: "IP:127.0.0.1", ca: "ca" });
  // Written in place, as a renewal without an atomic rename would.
  fs.writeFileSync(live.key, fs.readFileSync(rotated.key));
  fs.writeFileSync(live.cert, fs.readFileSync(rotated.cert));
  const after = await dial(h.port, clientSide(pki, undefined));
  assert.equal(before.peer?.subject, "CN=server");
  assert.equal(after.peer?.subject, "CN=server-2");
});

test("acceptTls keeps serving while many handshakes hang half-open", async (t) => {
  const pki = await makeTestPki(tempDir(t));
  const h = await serve(t, { material: serverSide(pki), handshakeTimeoutMs: 60_000 });
  const stalled: net.Socket[] = [];
  t.after(() => {
    for (const socket of stalled) socket.destroy();
  });
  for (let i = 0; i < 200; i++) {
    const socket = net.connect(h.port, "127.0.0.1", () => socket.write(Buffer.from("16030100", "hex"))); // the start of a record, never finished
    socket.on("error", () => {});
    stalled.push(socket);
  }
  assert.equal((await dial(h.port, clientSide(pki, undefined))).text, "hello h2");
  assert.deepEqual(h.refusals, []);
});

test("acceptTls serves a unix socket (no remote address: the SAN check does not apply)", async (t) => {
  const dir = tempDir(t);
  const pki = await makeTestPki(dir);
  const path = join(dir, "etcd.sock");
  const server = serverSide(pki, { trustedCaFile: pki.caCert });
  const identities: (TlsPeerIdentity | undefined)[] = [];
  const listener = net.createServer((socket) =>
    acceptTls(socket, { material: server, clientCertAuth: true, allowedCommonNames: [], allowedHostnames: [], verifyClientSan: true, handshakeTimeoutMs: 10_000, alpnProtocols: ["h2"] }, (secure) => {
      secure.on("error", () => {});
      identities.push(peerIdentity(secure));
      secure.end("unix");
    }),
  );
  await new Promise<void>((resolve) => listener.listen(path, resolve));
  t.after(() => new Promise<void>((resolve) => listener.close(() => resolve())));
  const text = await new Promise<string>((resolve, reject) => {
    const socket = tls.connect({ path, servername: "localhost", ...clientConnectOptions({ material: clientSide(pki, pki.client) }, ["h2"]) });
    let received = "";
    socket.on("data", (chunk: Buffer) => (received += chunk.toString()));
    socket.on("error", reject);
    socket.on("close", () => resolve(received));
  });
  assert.equal(text, "unix");
  assert.equal(identities[0]?.commonName, "client");
});
