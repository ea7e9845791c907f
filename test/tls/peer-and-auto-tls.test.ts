/**
 * The peer listener's TLS and the self-signed certificates of --auto-tls /
 * --peer-auto-tls, on both servers:
 * - --peer-client-cert-auth with --peer-cert-allowed-cn: a peer presenting a
 *   certificate with the allowed CN is served (/members); another CN, a
 *   client certificate, none and another CA's are refused at once;
 * - --auto-tls and --peer-auto-tls: both listeners present a self-signed
 *   certificate for 127.0.0.1; etcdctl works skipping verification and
 *   refuses it against a CA; --self-signed-cert-validity (ours only: etcd
 *   3.4 lacks the flag) sets the years it is valid for.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { connect as tlsConnect, type PeerCertificate } from "node:tls";
import { createPki, type CertFiles, type TestPki } from "../harness/certs.js";
import { etcdctl } from "../harness/etcdctl.js";
import { startServer, startServers, type Flavor, type ServerProcess } from "../harness/server-process.js";
import { httpProbe } from "./probes.js";
import { assertEtcdctlGaveUp, PROMPT_MS } from "./refusals.js";

const YEAR_MS = 365 * 86_400_000;

for (const flavor of ["real", "ours"] as const satisfies readonly Flavor[]) {
  describe(`peer TLS and auto-TLS (${flavor})`, () => {
    let pki: TestPki;
    let peerServer: ServerProcess;
    let ownPeerCert: CertFiles;
    let autoServer: ServerProcess;
    before(async () => {
      pki = await createPki();
      ownPeerCert = await pki.peer("default");
      [peerServer, autoServer] = await startServers([
        {
          flavor,
          peerTls: { cert: ownPeerCert.cert, key: ownPeerCert.key, trustedCa: pki.caFile, clientCertAuth: true },
          extraArgs: ["--peer-cert-allowed-cn", "default"],
        },
        { flavor, clientTls: "auto", peerTls: "auto" },
      ]);
    });
    after(async () => {
      await Promise.all([peerServer?.stop(), autoServer?.stop()]);
      pki?.remove();
    });

    test("--peer-client-cert-auth and --peer-cert-allowed-cn: only a peer certificate with the allowed CN is served", async () => {
      const members = `https://127.0.0.1:${peerServer.peerPort}/members`;
      const served = await httpProbe(members, { ca: pki.caFile, cert: ownPeerCert });
      assert.ok(served.kind === "response" && served.status === 200, JSON.stringify(served));
      assert.equal((JSON.parse(served.body) as { name: string }[])[0]?.name, "default");
      const refused = { otherCn: await pki.peer("intruder"), clientCert: pki.client, none: undefined, otherCa: pki.otherClient };
      for (const [name, cert] of Object.entries(refused)) {
        const probe = await httpProbe(members, { ca: pki.caFile, ...(cert !== undefined ? { cert } : {}) });
        assert.equal(probe.kind, "refused", `${name}: ${JSON.stringify(probe)}`);
        assert.ok(probe.ms < PROMPT_MS, `${name}: refused after ${probe.ms} ms`);
      }
    });

    test("--auto-tls and --peer-auto-tls: self-signed certificates for 127.0.0.1 on both listeners; etcdctl works without verifying", async () => {
      for (const port of [autoServer.clientPort, autoServer.peerPort]) {
        const cert = await presentedCertificate(port);
        assert.deepEqual(cert.subject, cert.issuer, "self-signed");
        assert.match(cert.subjectaltname ?? "", /IP Address:127\.0\.0\.1/);
        assert.ok(Date.parse(cert.valid_to) > Date.now() + YEAR_MS / 2, `valid to ${cert.valid_to}`);
      }
      const put = await etcdctl(autoServer.clientUrl, ["put", "auto/k", "v"], { tls: { insecureSkipVerify: true } });
      assert.equal(put.code, 0, put.stderr);
      const get = await etcdctl(autoServer.clientUrl, ["get", "auto/k", "--print-value-only"], { tls: { insecureSkipVerify: true } });
      assert.equal(get.stdout.trim(), "v", get.stderr);
      await assertEtcdctlGaveUp(autoServer.clientUrl, { cacert: pki.caFile });
    });

    if (flavor === "ours") {
      test("--self-signed-cert-validity 3 (ours only: etcd 3.4 lacks the flag): the auto-TLS certificate is valid for 3 years", async () => {
        const server = await startServer({ flavor, clientTls: "auto", extraArgs: ["--self-signed-cert-validity", "3"] });
        try {
          const cert = await presentedCertificate(server.clientPort);
          const years = (Date.parse(cert.valid_to) - Date.parse(cert.valid_from)) / YEAR_MS;
          assert.ok(years > 2.9 && years < 3.1, `${cert.valid_from} → ${cert.valid_to}`);
        } finally {
          await server.stop();
        }
      });
    }
  });
}

/** The certificate the TLS listener at 127.0.0.1:`port` presents (not verified: auto-TLS certificates have no CA). */
function presentedCertificate(port: number): Promise<PeerCertificate> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: "127.0.0.1", port, rejectUnauthorized: false, ALPNProtocols: ["http/1.1"] }, () => {
      const cert = socket.getPeerCertificate();
      socket.destroy();
      resolve(cert);
    });
    socket.setTimeout(PROMPT_MS, () => socket.destroy(new Error("no TLS handshake in time")));
    socket.on("error", reject);
  });
}
