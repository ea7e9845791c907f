/**
 * A verified client certificate's common name as the user (with
 * --client-cert-auth, when the call carries no token), against real etcd
 * 3.4.23 and ours, through Debian's etcdctl: root's certificate manages users
 * and enables auth; alice's certificate reads and writes within her
 * permission and is refused outside it and on admin calls; the certificate of
 * a name that is no user is refused; a token (--user) wins over the
 * certificate. Each command's output must be the same on both.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createPki, type CertFiles, type TestPki } from "../harness/certs.js";
import { etcdctl, type CtlResult } from "../harness/etcdctl.js";
import { startServers, type ServerProcess } from "../harness/server-process.js";
import { FLAVORS, ONLY_REAL } from "./flavors.js";
import { normaliseCtlOutput } from "./normalise.js";

type Who = "root" | "alice" | "stranger";

interface Step {
  /** Whose certificate etcdctl presents. */
  cert: Who;
  /** The command line after `etcdctl` (split on spaces). */
  line: string;
}

const STEPS: readonly Step[] = [
  { cert: "root", line: "user add root:root-pw" },
  { cert: "root", line: "user add alice:alice-pw" },
  { cert: "root", line: "role add app" },
  { cert: "root", line: "role grant-permission app readwrite app/ --prefix" },
  { cert: "root", line: "user grant-role alice app" },
  { cert: "root", line: "put secret s" },
  { cert: "root", line: "auth enable" },
  { cert: "root", line: "user list" },
  { cert: "root", line: "get secret" },
  { cert: "alice", line: "put app/a 1" },
  { cert: "alice", line: "get app/a" },
  { cert: "alice", line: "get secret" },
  { cert: "alice", line: "put secret x" },
  { cert: "alice", line: "user list" },
  { cert: "alice", line: "user get alice" },
  { cert: "alice", line: "get secret --user root:root-pw" },
  { cert: "root", line: "get secret --user alice:alice-pw" },
  { cert: "stranger", line: "get app/a" },
  { cert: "stranger", line: "put app/s 1" },
  { cert: "root", line: "user delete alice" },
  { cert: "alice", line: "get app/a" },
  { cert: "root", line: "auth disable" },
  { cert: "stranger", line: "get app/a" },
];

describe("a client certificate's common name as the user, real etcd and ours", () => {
  let pki: TestPki;
  let servers: ServerProcess[] = [];
  const certs = {} as Record<Who, CertFiles>;
  before(async () => {
    pki = await createPki();
    certs.root = pki.client;
    certs.alice = await pki.clientFor("alice");
    certs.stranger = await pki.clientFor("stranger");
    const clientTls = { cert: pki.server.cert, key: pki.server.key, trustedCa: pki.caFile, clientCertAuth: true };
    servers = await startServers(FLAVORS.map((flavor) => ({ flavor, clientTls })));
  });
  after(async () => {
    await Promise.all(servers.map((server) => server.stop()));
    pki?.remove();
  });

  function run(server: ServerProcess, step: Step): Promise<CtlResult> {
    const cert = certs[step.cert];
    return etcdctl(server.clientUrl, step.line.split(" "), { tls: { cacert: pki.caFile, cert: cert.cert, key: cert.key } });
  }

  test("etcdctl with root's, alice's and a stranger's certificate: the same outputs", async () => {
    const differences: string[] = [];
    for (const step of STEPS) {
      const results = await Promise.all(servers.map((server) => run(server, step)));
      const [real, ours] = results.map((r, i) => `exit ${r.code}\nstdout:\n${normaliseCtlOutput(r.stdout, servers[i]!)}\nstderr:\n${normaliseCtlOutput(r.stderr, servers[i]!)}`);
      const title = `$ etcdctl --cert ${step.cert}.crt ${step.line}`;
      if (ONLY_REAL) console.log(`${title}\n${real}\n`);
      else if (real !== ours) differences.push(`${title}\n--- real\n${real}\n--- ours\n${ours}`);
    }
    assert.equal(differences.length, 0, `${differences.length} of ${STEPS.length} commands differ:\n\n${differences.join("\n\n")}`);
  });
});
