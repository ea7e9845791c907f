/**
 * A 3-member cluster with TLS everywhere (https peer and client URLs, each
 * member its own peer certificate, --peer-client-cert-auth and
 * --client-cert-auth; the harness's clients present a client certificate),
 * through the cluster scenarios: kill -9 of the leader under load and
 * restart; a learner added and caught up by snapshot over peer TLS, then
 * promoted; a member removed and added back. Both servers.
 */
import { after, before, describe, test } from "node:test";
import { createPki, type TestPki } from "../harness/certs.js";
import type { Flavor } from "../harness/server-process.js";
import { killLeaderUnderLoad, learnerAndRejoin } from "../cluster/scenarios/cluster-scenarios.js";

/** What each server logs when a member installs a snapshot from the leader (as in test/cluster). */
const SNAPSHOT_EVIDENCE: Record<Flavor, RegExp> = {
  real: /starts to restore snapshot/,
  ours: /applied a snapshot from the leader/,
};

for (const flavor of ["real", "ours"] as const satisfies readonly Flavor[]) {
  describe(`a cluster with peer and client TLS (${flavor})`, () => {
    let pki: TestPki;
    before(async () => {
      pki = await createPki();
    });
    after(() => pki?.remove());

    test(`${flavor}: TLS: kill -9 of the leader under load; it restarts and catches up`, { timeout: 120_000 }, () =>
      killLeaderUnderLoad({ flavor, size: 3, tls: pki }),
    );

    test(`${flavor}: TLS: a learner catches up by snapshot and is promoted; a member is removed and added back`, { timeout: 180_000 }, () =>
      learnerAndRejoin({ flavor, size: 3, tls: pki, extraArgs: ["--snapshot-count", "200"] }, { snapshotEvidence: SNAPSHOT_EVIDENCE[flavor] }),
    );
  });
}
