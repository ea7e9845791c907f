/**
 * The test PKI (test/harness/certs.ts) is accepted by Go's crypto/tls: a
 * member with client and peer TLS and client-certificate auth on both serves
 * Debian's etcdctl presenting the client certificate. Run against real etcd,
 * this proves the certificates; against ours, our TLS.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createPki, type TestPki } from "../harness/certs.js";
import { etcdctl } from "../harness/etcdctl.js";
import { startServer, type Flavor } from "../harness/server-process.js";

let pki: TestPki;
before(async () => {
  pki = await createPki();
});
after(() => pki.remove());

for (const flavor of ["real", "ours"] as const satisfies readonly Flavor[]) {
  describe(`test certificates (${flavor})`, () => {
    test("a member with client and peer TLS serves etcdctl presenting the client certificate", async () => {
      const peer = await pki.peer("default");
      const server = await startServer({
        flavor,
        clientTls: { cert: pki.server.cert, key: pki.server.key, trustedCa: pki.caFile, clientCertAuth: true },
        peerTls: { cert: peer.cert, key: peer.key, trustedCa: pki.caFile, clientCertAuth: true },
      });
      try {
        const tls = { cacert: pki.caFile, cert: pki.client.cert, key: pki.client.key };
        const put = await etcdctl(server.clientUrl, ["put", "certs/k", "v1"], { tls });
        assert.equal(put.code, 0, put.stderr);
        assert.equal(put.stdout.trim(), "OK");
        const get = await etcdctl(server.clientUrl, ["get", "certs/k", "--print-value-only"], { tls });
        assert.equal(get.code, 0, get.stderr);
        assert.equal(get.stdout.trim(), "v1");
      } finally {
        await server.stop();
      }
    });
  });
}
