/**
 * Rotation without restart, on both servers (real etcd 3.4 reads the
 * certificate and the CRL on every handshake too): while clients put in a
 * loop over their open connections, the server certificate is re-issued and
 * a new CRL revoking a client is written over the old files (each by one
 * rename). The next new connection gets the new certificate, the revoked
 * client is refused on its next connection, and the looping clients see no
 * failed request.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { PutRequest } from "../../src/gen/etcdserverpb/rpc.js";
import { createPki, type CertFiles, type TestPki } from "../harness/certs.js";
import { etcdctl } from "../harness/etcdctl.js";
import { connect, type Clients } from "../harness/grpc-clients.js";
import { startServer, type Flavor, type ServerProcess } from "../harness/server-process.js";
import { callWithDeadline } from "../cluster/rpc.js";
import { ctlTls, httpProbe, serverCertificateSerial } from "./probes.js";
import { PROMPT_MS } from "./refusals.js";

const LOOPING_CLIENTS = 4;
const PUT_EVERY_MS = 5;

for (const flavor of ["real", "ours"] as const satisfies readonly Flavor[]) {
  describe(`certificate and CRL rotation (${flavor})`, () => {
    let pki: TestPki;
    let server: ServerProcess;
    let soonRevoked: CertFiles;
    before(async () => {
      pki = await createPki();
      soonRevoked = await pki.clientFor("soon-revoked");
      server = await startServer({ flavor, clientTls: { cert: pki.server.cert, key: pki.server.key, trustedCa: pki.caFile, clientCertAuth: true, crl: pki.crlFile } });
    });
    after(async () => {
      await server?.stop();
      pki?.remove();
    });

    test("a re-issued server certificate and a new CRL take effect on the next connection; looping clients see no failure", { timeout: 60_000 }, async () => {
      const files = { ca: pki.caFile, cert: pki.client };
      const oldSerial = pki.server.serial;
      assert.equal(await serverCertificateSerial(server.clientPort, files), oldSerial);
      const before = await httpProbe(`${server.clientUrl}/health`, { ca: pki.caFile, cert: soonRevoked });
      assert.equal(before.kind === "response" && before.status, 200, `accepted before its revocation: ${JSON.stringify(before)}`);

      const loop = startPutLoops(server.endpoint, { ca: pki.caFile, cert: pki.client.cert, key: pki.client.key });
      try {
        await loop.waitForPuts(50);
        const newSerial = await pki.rotateServer();
        await pki.writeCrl([pki.revokedClient, soonRevoked]);
        await loop.waitForPuts(loop.succeeded() + 50);

        assert.notEqual(newSerial, oldSerial);
        assert.equal(await serverCertificateSerial(server.clientPort, files), newSerial, "the next connection gets the new certificate");
        const revoked = await httpProbe(`${server.clientUrl}/health`, { ca: pki.caFile, cert: soonRevoked });
        assert.equal(revoked.kind, "refused", `the newly revoked client: ${JSON.stringify(revoked)}`);
        assert.ok(revoked.ms < PROMPT_MS, `refused after ${revoked.ms} ms`);
        const fresh = await etcdctl(server.clientUrl, ["put", "rotation/after", "v"], { tls: ctlTls(files) });
        assert.equal(fresh.code, 0, `a new etcdctl connection after the rotation: ${fresh.stderr}`);
        await loop.waitForPuts(loop.succeeded() + 50);
      } finally {
        await loop.stop();
      }
      assert.deepEqual(loop.failures(), [], "failed puts of the looping clients");
      console.log(`# ${flavor}: ${loop.succeeded()} puts by ${LOOPING_CLIENTS} looping clients across the rotation`);
    });
  });
}

interface PutLoops {
  succeeded(): number;
  failures(): string[];
  /** Resolves once `count` puts succeeded in total (rejects after 20 s, with the failures). */
  waitForPuts(count: number): Promise<void>;
  stop(): Promise<void>;
}

/** Clients, each on its own connection, putting in a loop until stopped. */
function startPutLoops(endpoint: string, tls: { ca: string; cert: string; key: string }): PutLoops {
  let running = true;
  let succeeded = 0;
  const failures: string[] = [];
  const clients: Clients[] = Array.from({ length: LOOPING_CLIENTS }, () => connect(endpoint, tls));
  const loops = clients.map(async (client, c) => {
    for (let n = 0; running; n++) {
      const r = await callWithDeadline(client.kv, client.kv.put, PutRequest.fromPartial({ key: Buffer.from(`rotation/${c}`), value: Buffer.from(String(n)) }), 5_000);
      if (r.ok) succeeded++;
      else failures.push(`client ${c} put ${n}: ${r.error.code} ${r.error.message}`);
      await new Promise((resolve) => setTimeout(resolve, PUT_EVERY_MS));
    }
  });
  return {
    succeeded: () => succeeded,
    failures: () => failures,
    async waitForPuts(count) {
      const deadline = Date.now() + 20_000;
      while (succeeded < count) {
        if (Date.now() > deadline) throw new Error(`only ${succeeded} of ${count} puts succeeded; failures: ${failures.slice(0, 5).join("; ")}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    async stop() {
      running = false;
      await Promise.all(loops);
      for (const client of clients) client.close();
    },
  };
}
