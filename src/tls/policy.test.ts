import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import * as net from "node:net";
import * as tls from "node:tls";
import { nullLogger } from "../pkg/logger.js";
import { tempDir } from "../pkg/test-support.js";
import { clientConnectOptions } from "./client.js";
import { TlsMaterial } from "./material.js";
import { openSslCiphers, policyFromFlags } from "./policy.js";
import { acceptTls } from "./server.js";
import { files, makeTestPki } from "./test-support.js";
import type { TlsPolicy } from "./types.js";

test("policyFromFlags gives etcd's errors, in etcd's order", () => {
  assert.deepEqual(policyFromFlags([], "TLS1.1", ""), { error: 'unexpected TLS version "TLS1.1" (must be one of: TLS1.2, TLS1.3)' });
  assert.deepEqual(policyFromFlags([], "", "SSL3"), { error: 'unexpected TLS version "SSL3" (must be one of: TLS1.2, TLS1.3)' });
  assert.deepEqual(policyFromFlags([], "TLS1.3", "TLS1.2"), { error: "min version (TLS1.3) is greater than max version (TLS1.2)" });
  assert.deepEqual(policyFromFlags(["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"], "TLS1.3", ""), {
    error: "cipher suites cannot be configured when only TLS1.3 is enabled",
  });
  assert.deepEqual(policyFromFlags(["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "FOO"], "", ""), { error: 'unexpected TLS cipher suite "FOO"' });
  assert.deepEqual(policyFromFlags(["TLS_RSA_WITH_RC4_128_SHA"], "", ""), {
    error: 'none of the TLS cipher suites "TLS_RSA_WITH_RC4_128_SHA" is supported by this build',
  });
});

test("policyFromFlags maps Go's names and keeps TLS 1.3's suites", () => {
  assert.deepEqual(policyFromFlags([], "", ""), { cipherSuites: [], minVersion: "TLS1.2", maxVersion: undefined });
  const policy = policyFromFlags(["TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305", "TLS_AES_128_GCM_SHA256"], "TLS1.2", "TLS1.3");
  assert.ok(!("error" in policy));
  assert.equal(openSslCiphers(policy), "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305");
  assert.equal(openSslCiphers({ cipherSuites: ["TLS_AES_256_GCM_SHA384"], minVersion: "TLS1.2", maxVersion: undefined }), "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256");
});

async function handshake(t: TestContext, policy: TlsPolicy): Promise<{ protocol: string | null; cipher: string }> {
  const pki = await makeTestPki(tempDir(t));
  const server = TlsMaterial.load({ files: files({ certFile: pki.server.cert, keyFile: pki.server.key }), policy, logger: nullLogger });
  const client = TlsMaterial.load({ files: files({ trustedCaFile: pki.caCert }), policy: { cipherSuites: [], minVersion: "TLS1.2", maxVersion: undefined }, logger: nullLogger });
  const listener = net.createServer((socket) =>
    acceptTls(socket, { material: server, clientCertAuth: false, allowedCommonNames: [], allowedHostnames: [], verifyClientSan: false, handshakeTimeoutMs: 10_000, alpnProtocols: ["h2"] }, (s) => {
      s.on("error", () => {});
      s.end();
    }),
  );
  await new Promise<void>((resolve) => listener.listen(0, "127.0.0.1", resolve));
  t.after(() => new Promise<void>((resolve) => listener.close(() => resolve())));
  const port = (listener.address() as net.AddressInfo).port;
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: "127.0.0.1", port, ...clientConnectOptions({ material: client }, ["h2"]) }, () => {
      resolve({ protocol: socket.getProtocol(), cipher: socket.getCipher().standardName });
      socket.destroy();
    });
    socket.on("error", reject);
  });
}

test("the policy reaches the handshake: TLS 1.2 suites listed, TLS 1.3 still offered; a TLS 1.2 cap uses the listed suite", async (t) => {
  const listed = policyFromFlags(["TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"], "", "");
  assert.ok(!("error" in listed));
  assert.equal((await handshake(t, listed)).protocol, "TLSv1.3");
  const capped = policyFromFlags(["TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"], "TLS1.2", "TLS1.2");
  assert.ok(!("error" in capped));
  assert.deepEqual(await handshake(t, capped), { protocol: "TLSv1.2", cipher: "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384" });
});
