/**
 * --client-cert-auth with --trusted-ca-file and --client-crl-file, and
 * --client-cert-allowed-hostname, on both servers: a certificate from the
 * CA works (etcdctl, the gateway, /health); no certificate, one from another
 * CA, an expired one and a revoked one are refused at once, etcdctl gives up
 * on them as against etcd, and the member goes on serving the others.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createPki, type CertFiles, type TestPki } from "../harness/certs.js";
import { etcdctl } from "../harness/etcdctl.js";
import { startServers, type Flavor, type ServerProcess } from "../harness/server-process.js";
import { ctlTls, httpProbe, type ClientFiles } from "./probes.js";
import { assertEtcdctlGaveUp, PROMPT_MS } from "./refusals.js";

for (const flavor of ["real", "ours"] as const satisfies readonly Flavor[]) {
  describe(`client-certificate auth (${flavor})`, () => {
    let pki: TestPki;
    let server: ServerProcess;
    let hostnameServer: ServerProcess;
    let localhostClient: CertFiles;
    before(async () => {
      pki = await createPki();
      localhostClient = await pki.issue("localhost-client", "client", { dnsNames: ["localhost"] });
      const clientTls = { cert: pki.server.cert, key: pki.server.key, trustedCa: pki.caFile, clientCertAuth: true };
      [server, hostnameServer] = await startServers([
        { flavor, clientTls: { ...clientTls, crl: pki.crlFile } },
        { flavor, clientTls, extraArgs: ["--client-cert-allowed-hostname", "localhost"] },
      ]);
    });
    after(async () => {
      await Promise.all([server?.stop(), hostnameServer?.stop()]);
      pki?.remove();
    });

    const withCert = (cert?: CertFiles): ClientFiles => ({ ca: pki.caFile, ...(cert !== undefined ? { cert } : {}) });

    test("a client certificate from the trusted CA: etcdctl, the gateway and /health work", async () => {
      const valid = withCert(pki.client);
      const put = await etcdctl(server.clientUrl, ["put", "auth/k", "v"], { tls: ctlTls(valid) });
      assert.equal(put.code, 0, put.stderr);
      const get = await etcdctl(server.clientUrl, ["get", "auth/k", "--print-value-only"], { tls: ctlTls(valid) });
      assert.equal(get.stdout.trim(), "v", get.stderr);
      const range = await httpProbe(`${server.clientUrl}/v3/kv/range`, valid, { key: Buffer.from("auth/k").toString("base64") });
      assert.ok(range.kind === "response" && range.status === 200 && range.body.includes(Buffer.from("v").toString("base64")), JSON.stringify(range));
      const health = await httpProbe(`${server.clientUrl}/health`, valid);
      assert.ok(health.kind === "response" && health.status === 200, JSON.stringify(health));
    });

    test("no client certificate, another CA's, an expired and a revoked one are refused at once; others are still served", async () => {
      const refused = { none: withCert(), otherCa: withCert(pki.otherClient), expired: withCert(pki.expiredClient), revoked: withCert(pki.revokedClient) };
      for (const [name, files] of Object.entries(refused)) {
        const probe = await httpProbe(`${server.clientUrl}/health`, files);
        assert.equal(probe.kind, "refused", `${name}: ${JSON.stringify(probe)}`);
        assert.ok(probe.ms < PROMPT_MS, `${name}: refused after ${probe.ms} ms`);
      }
      await Promise.all(Object.values(refused).map((files) => assertEtcdctlGaveUp(server.clientUrl, ctlTls(files))));
      const after = await etcdctl(server.clientUrl, ["get", "auth/k"], { tls: ctlTls(withCert(pki.client)) });
      assert.equal(after.code, 0, `a valid client after the refusals: ${after.stderr}`);
    });

    test("--client-cert-allowed-hostname: only a certificate with that name in its SAN is accepted", async () => {
      const ok = await etcdctl(hostnameServer.clientUrl, ["put", "host/k", "v"], { tls: ctlTls(withCert(localhostClient)) });
      assert.equal(ok.code, 0, ok.stderr);
      for (const cert of [pki.client, pki.wrongNameClient]) {
        const probe = await httpProbe(`${hostnameServer.clientUrl}/health`, withCert(cert));
        assert.equal(probe.kind, "refused", `${cert.cert}: ${JSON.stringify(probe)}`);
        assert.ok(probe.ms < PROMPT_MS, `refused after ${probe.ms} ms`);
      }
      await Promise.all([pki.client, pki.wrongNameClient].map((cert) => assertEtcdctlGaveUp(hostnameServer.clientUrl, ctlTls(withCert(cert)))));
    });
  });
}
