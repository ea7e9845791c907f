/**
 * Bad TLS settings stop the server at start, on both servers: a missing
 * certificate, key or CA file, a key that does not match its certificate,
 * an https URL without a certificate. Real etcd prints Go's error with the
 * file (or the flags); ours prints the same words after the flag. An expired server certificate
 * is refused by ours only: real etcd 3.4 starts and serves with it.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { createPki, type TestPki } from "../harness/certs.js";
import { freePort } from "../harness/ports.js";
import { runServerExpectingExit, type Flavor, type StartOptions } from "../harness/server-process.js";

/** "Within seconds": real etcd exits in well under one; generous for a loaded machine. */
const EXIT_BOUND_MS = 10_000;

interface StartupCase {
  name: string;
  /** Real etcd 3.4 refuses this too. */
  realRefuses: boolean;
  options(pki: TestPki): Promise<Omit<StartOptions, "flavor">>;
  /** What either server's output must contain. */
  both: (pki: TestPki) => RegExp[];
  /** What ours must say on top: the flag and the file. */
  ours: (pki: TestPki) => RegExp[];
}

const missing = (pki: TestPki, file: string): string => join(pki.dir, file);

const CASES: StartupCase[] = [
  {
    name: "a missing --cert-file",
    realRefuses: true,
    options: async (pki) => ({ clientTls: { cert: missing(pki, "absent.crt"), key: pki.server.key } }),
    both: (pki) => [notFound(missing(pki, "absent.crt"))],
    ours: () => [/--cert-file/],
  },
  {
    name: "a missing --key-file",
    realRefuses: true,
    options: async (pki) => ({ clientTls: { cert: pki.server.cert, key: missing(pki, "absent.key") } }),
    both: (pki) => [notFound(missing(pki, "absent.key"))],
    ours: () => [/--key-file/],
  },
  {
    name: "a key that does not match the certificate",
    realRefuses: true,
    options: async (pki) => ({ clientTls: { cert: pki.server.cert, key: pki.client.key } }),
    both: () => [/private key does not match public key/],
    ours: (pki) => [/--(cert|key)-file/, new RegExp(`${escape(pki.server.cert)}|${escape(pki.client.key)}`)],
  },
  {
    name: "a missing --trusted-ca-file",
    realRefuses: true,
    options: async (pki) => ({ clientTls: { cert: pki.server.cert, key: pki.server.key, trustedCa: missing(pki, "absent-ca.crt"), clientCertAuth: true } }),
    both: (pki) => [notFound(missing(pki, "absent-ca.crt"))],
    ours: () => [/--trusted-ca-file/],
  },
  {
    name: "a missing --peer-cert-file",
    realRefuses: true,
    options: async (pki) => ({ peerTls: { cert: missing(pki, "absent-peer.crt"), key: pki.server.key } }),
    both: (pki) => [notFound(missing(pki, "absent-peer.crt"))],
    ours: () => [/--peer-cert-file/],
  },
  {
    name: "an https client URL without --cert-file/--key-file",
    realRefuses: true,
    options: async () => {
      const url = `https://127.0.0.1:${await freePort()}`;
      return { extraArgs: ["--listen-client-urls", url, "--advertise-client-urls", url] };
    },
    both: () => [/--cert-file/, /https/i],
    ours: () => [],
  },
  {
    name: "an expired server certificate (ours only: real etcd 3.4 starts and serves with it)",
    realRefuses: false,
    options: async (pki) => {
      const expired = await pki.issue("expired-server", "server", { notBefore: new Date(Date.now() - 10 * 86_400_000), notAfter: new Date(Date.now() - 86_400_000) });
      return { clientTls: { cert: expired.cert, key: expired.key } };
    },
    both: (pki) => [literal(join(pki.dir, "expired-server.crt")), /expired/i],
    ours: () => [/--cert-file/],
  },
];

for (const flavor of ["real", "ours"] as const satisfies readonly Flavor[]) {
  describe(`TLS start-up errors (${flavor})`, () => {
    let pki: TestPki;
    before(async () => {
      pki = await createPki();
    });
    after(() => pki?.remove());

    for (const c of CASES.filter((c) => flavor === "ours" || c.realRefuses)) {
      test(`${c.name}: the server exits non-zero within seconds, naming it`, async () => {
        const result = await runServerExpectingExit({ flavor, ...(await c.options(pki)) }, EXIT_BOUND_MS);
        assert.notEqual(result.code, null, `still running after ${EXIT_BOUND_MS} ms:\n${result.output}`);
        assert.notEqual(result.code, 0, result.output);
        const expected = [...c.both(pki), ...(flavor === "ours" ? c.ours(pki) : [])];
        for (const pattern of expected) assert.match(result.output, pattern);
      });
    }
  });
}

/** Go's words for a file that is not there, which etcd prints (and ours after the flag). */
function notFound(path: string): RegExp {
  return new RegExp(`open ${escape(path)}: no such file or directory`);
}

function literal(text: string): RegExp {
  return new RegExp(escape(text));
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
