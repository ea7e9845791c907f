/**
 * Half-open TLS handshakes do not stop a member serving others, on both
 * servers: hundreds of connections to the TLS client port that send nothing
 * or only the start of a ClientHello are held open while a client with a
 * valid certificate connects, reads and writes as usual.
 */
import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";
import { after, before, describe, test } from "node:test";
import { createPki, type TestPki } from "../harness/certs.js";
import { etcdctl } from "../harness/etcdctl.js";
import { startServer, type Flavor, type ServerProcess } from "../harness/server-process.js";
import { ctlTls, httpProbe } from "./probes.js";
import { PROMPT_MS } from "./refusals.js";

const SILENT = 200;
const PARTIAL = 100;
/** A TLS record header announcing a 512-byte handshake record, then the first bytes of a ClientHello: the rest never comes. */
const PARTIAL_CLIENT_HELLO = Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]);

for (const flavor of ["real", "ours"] as const satisfies readonly Flavor[]) {
  describe(`half-open TLS handshakes (${flavor})`, () => {
    let pki: TestPki;
    let server: ServerProcess;
    before(async () => {
      pki = await createPki();
      server = await startServer({ flavor, clientTls: { cert: pki.server.cert, key: pki.server.key, trustedCa: pki.caFile, clientCertAuth: true } });
    });
    after(async () => {
      await server?.stop();
      pki?.remove();
    });

    test(`${SILENT} silent and ${PARTIAL} partial handshakes held open: a valid client is still served promptly`, { timeout: 60_000 }, async () => {
      const sockets: Socket[] = [];
      try {
        for (let i = 0; i < SILENT + PARTIAL; i++) sockets.push(await openSocket(server.clientPort, i < SILENT ? undefined : PARTIAL_CLIENT_HELLO));
        const files = { ca: pki.caFile, cert: pki.client };
        const health = await httpProbe(`${server.clientUrl}/health`, files);
        assert.ok(health.kind === "response" && health.status === 200, JSON.stringify(health));
        assert.ok(health.ms < PROMPT_MS, `/health answered after ${health.ms} ms`);
        const put = await etcdctl(server.clientUrl, ["put", "flood/k", "v"], { tls: ctlTls(files) });
        assert.equal(put.code, 0, put.stderr);
        const get = await etcdctl(server.clientUrl, ["get", "flood/k", "--print-value-only"], { tls: ctlTls(files) });
        assert.equal(get.stdout.trim(), "v", get.stderr);
      } finally {
        for (const socket of sockets) socket.destroy();
      }
    });
  });
}

/** A connected TCP socket to 127.0.0.1:`port` that has written `bytes` (or nothing); errors later are ignored (the server may cut it). */
function openSocket(port: number, bytes: Buffer | undefined): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port }, () => {
      socket.off("error", reject);
      socket.on("error", () => {});
      if (bytes !== undefined) socket.write(bytes);
      resolve(socket);
    });
    socket.once("error", reject);
  });
}
