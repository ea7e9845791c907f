/**
 * The TLS policy flags. On both servers: --cipher-suites (Go's names) limits
 * TLS 1.2 to the listed suites while TLS 1.3 keeps its own, and an unknown
 * name stops the server at start. On ours only (etcd 3.4 lacks the flags;
 * these are etcd 3.5's rules): --tls-min-version / --tls-max-version bound
 * the protocol, and cipher suites with TLS 1.3 only are an error at start.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { connect as tlsConnect, type ConnectionOptions } from "node:tls";
import { createPki, type TestPki } from "../harness/certs.js";
import { runServerExpectingExit, startServer, startServers, type Flavor, type ServerProcess } from "../harness/server-process.js";
import { PROMPT_MS } from "./refusals.js";

/** HTTP/2 requires this suite on a TLS 1.2 listener (real etcd 3.4 crashes at its first client without it). */
const LISTED_SUITE = { go: "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", openssl: "ECDHE-ECDSA-AES128-GCM-SHA256" };
const UNLISTED_SUITE = "ECDHE-ECDSA-AES256-GCM-SHA384";

type Handshake = { ok: true; protocol: string | null; cipher: string } | { ok: false; error: string; ms: number };

for (const flavor of ["real", "ours"] as const satisfies readonly Flavor[]) {
  describe(`TLS policy flags (${flavor})`, () => {
    let pki: TestPki;
    let server: ServerProcess;
    before(async () => {
      pki = await createPki();
      server = await startServer({ flavor, clientTls: { cert: pki.server.cert, key: pki.server.key }, extraArgs: ["--cipher-suites", LISTED_SUITE.go] });
    });
    after(async () => {
      await server?.stop();
      pki?.remove();
    });

    const handshake = (port: number, options: ConnectionOptions): Promise<Handshake> => tryHandshake(port, pki.caFile, options);

    test("--cipher-suites: TLS 1.2 only with a listed suite; TLS 1.3 with its own suites", async () => {
      const listed = await handshake(server.clientPort, { maxVersion: "TLSv1.2", ciphers: LISTED_SUITE.openssl });
      assert.deepEqual(listed, { ok: true, protocol: "TLSv1.2", cipher: LISTED_SUITE.openssl });
      const unlisted = await handshake(server.clientPort, { maxVersion: "TLSv1.2", ciphers: UNLISTED_SUITE });
      assert.equal(unlisted.ok, false, JSON.stringify(unlisted));
      assert.ok(!unlisted.ok && unlisted.ms < PROMPT_MS, JSON.stringify(unlisted));
      const tls13 = await handshake(server.clientPort, {});
      assert.equal(tls13.ok && tls13.protocol, "TLSv1.3", JSON.stringify(tls13));
    });

    test("--cipher-suites with an unknown name: the server exits non-zero at start, naming it", async () => {
      const r = await runServerExpectingExit({ flavor, clientTls: { cert: pki.server.cert, key: pki.server.key }, extraArgs: ["--cipher-suites", "TLS_NO_SUCH_SUITE"] });
      assert.ok(r.code !== null && r.code !== 0, `exit ${r.code}:\n${r.output}`);
      // Real etcd logs plain text, ours JSON (where the quotes are escaped).
      assert.match(r.output, /unexpected TLS cipher suite \\?"TLS_NO_SUCH_SUITE\\?"/);
    });

    if (flavor === "ours") {
      test("--tls-min-version TLS1.3 refuses TLS 1.2 clients; --tls-max-version TLS1.2 answers TLS 1.3 clients in TLS 1.2 (ours only: etcd 3.4 lacks the flags)", async () => {
        const [min13, max12] = await startServers([
          { flavor, clientTls: { cert: pki.server.cert, key: pki.server.key }, extraArgs: ["--tls-min-version", "TLS1.3"] },
          { flavor, clientTls: { cert: pki.server.cert, key: pki.server.key }, extraArgs: ["--tls-max-version", "TLS1.2"] },
        ]);
        try {
          const old = await handshake(min13.clientPort, { maxVersion: "TLSv1.2" });
          assert.equal(old.ok, false, JSON.stringify(old));
          const current = await handshake(min13.clientPort, {});
          assert.equal(current.ok && current.protocol, "TLSv1.3", JSON.stringify(current));
          const capped = await handshake(max12.clientPort, {});
          assert.equal(capped.ok && capped.protocol, "TLSv1.2", JSON.stringify(capped));
        } finally {
          await Promise.all([min13.stop(), max12.stop()]);
        }
      });

      test("--cipher-suites with --tls-min-version TLS1.3: an error at start (ours only: etcd 3.5's rule)", async () => {
        const r = await runServerExpectingExit({
          flavor,
          clientTls: { cert: pki.server.cert, key: pki.server.key },
          extraArgs: ["--cipher-suites", LISTED_SUITE.go, "--tls-min-version", "TLS1.3"],
        });
        assert.ok(r.code !== null && r.code !== 0, `exit ${r.code}:\n${r.output}`);
        assert.match(r.output, /cipher suites cannot be configured when only TLS1\.3 is enabled/);
      });
    }
  });
}

/** A TLS handshake (ALPN http/1.1) with 127.0.0.1:`port` trusting `caFile`: the protocol and suite, or the error. */
function tryHandshake(port: number, caFile: string, options: ConnectionOptions): Promise<Handshake> {
  const started = Date.now();
  return new Promise((resolve) => {
    const socket = tlsConnect({ host: "127.0.0.1", port, ca: readFileSync(caFile), ALPNProtocols: ["http/1.1"], ...options }, () => {
      resolve({ ok: true, protocol: socket.getProtocol(), cipher: socket.getCipher().name });
      socket.destroy();
    });
    socket.setTimeout(PROMPT_MS * 3, () => socket.destroy(new Error("no handshake in time (a hang)")));
    socket.on("error", (err: NodeJS.ErrnoException) => resolve({ ok: false, error: `${err.code ?? ""} ${err.message}`, ms: Date.now() - started }));
  });
}
