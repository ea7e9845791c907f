import { after, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EtcdError } from "../../pkg/errors.js";
import { nullLogger } from "../../pkg/logger.js";
import { makeTestPki, peerCertificate } from "../../tls/test-support.js";
import { PeerTransport, type PeerHashKV } from "../transport/index.js";
import { INERT_HANDLERS, peerTlsFrom } from "../transport/test-support.js";
import type { PeerTlsOptions } from "../transport/types.js";
import { fetchHashKV, fetchPeerHashes } from "./peer-hashes.js";

const CLUSTER = 0xc1057e7n;
const dir = mkdtempSync(join(tmpdir(), "peer-hashes-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A peer's transport answering HashKV: revisions ≤ 4 compacted, > 10 in the future. */
async function startPeer(tls?: PeerTlsOptions): Promise<{ url: string; stop(): Promise<void> }> {
  const snapshots = mkdtempSync(join(dir, "peer-"));
  const transport = new PeerTransport(
    { memberId: 2n, clusterId: CLUSTER, peerUrls: [], snapshotDir: snapshots, serverVersion: "3.4.23", ...(tls !== undefined ? { tls } : {}) },
    {
      ...INERT_HANDLERS,
      hashKV: (revision): PeerHashKV => {
        if (revision > 0n && revision <= 4n) throw new EtcdError("Compacted");
        if (revision > 10n) throw new EtcdError("FutureRev");
        return { hash: 1234, compactRevision: 4n, hashRevision: revision === 0n ? 10n : revision, currentRevision: 10n };
      },
    },
  );
  const [bound] = await transport.start([tls !== undefined ? "https://127.0.0.1:0" : "http://127.0.0.1:0"]);
  return { url: bound!.url, stop: () => transport.stop() };
}

test("a peer's answers and refusals, each read as etcd reads them", async () => {
  const peer = await startPeer();
  try {
    const options = { clusterId: CLUSTER, timeoutMs: 5_000 };
    assert.deepEqual(await fetchHashKV(peer.url, 7n, options), { ok: true, hash: { hash: 1234, compactRevision: 4n, hashRevision: 7n, currentRevision: 10n } });
    assert.deepEqual(await fetchHashKV(peer.url, 3n, options), { ok: false, failure: { kind: "compacted" } });
    assert.deepEqual(await fetchHashKV(peer.url, 11n, options), { ok: false, failure: { kind: "future-revision" } });
    assert.deepEqual(await fetchHashKV(peer.url, 7n, { ...options, clusterId: 0x1n }), { ok: false, failure: { kind: "cluster-id-mismatch" } });
  } finally {
    await peer.stop();
  }
});

test("each of a peer's URLs in turn; a peer none of whose URLs answers is reported with the last failure", async () => {
  const peer = await startPeer();
  try {
    const options = { clusterId: CLUSTER, memberId: 1n, timeoutMs: 5_000, logger: nullLogger };
    const results = await fetchPeerHashes(
      [
        { id: 2n, peerUrls: ["http://127.0.0.1:9", peer.url] },
        { id: 3n, peerUrls: ["http://127.0.0.1:9"] },
        { id: 4n, peerUrls: [] },
      ],
      0n,
      options,
    );
    assert.equal(results.length, 2, "a peer without URLs is left out, as etcd leaves it out");
    assert.equal(results[0]!.ok, true);
    assert.equal(results[1]!.ok, false);
    assert.equal(!results[1]!.ok && results[1]!.failure.kind, "other");
  } finally {
    await peer.stop();
  }
});

test("https peer URLs: the member's peer client certificate is presented; without one the peer refuses", async () => {
  const pki = await makeTestPki(mkdtempSync(join(dir, "pki-")));
  const peer = await startPeer(peerTlsFrom(await peerCertificate(pki.dir, "m2", "m2"), pki.caCert));
  try {
    const member = peerTlsFrom(await peerCertificate(pki.dir, "m1", "m1"), pki.caCert);
    const answer = await fetchHashKV(peer.url, 0n, { clusterId: CLUSTER, timeoutMs: 5_000, tls: member.client });
    assert.equal(answer.ok && answer.hash.hash, 1234);
    const anonymous = await fetchHashKV(peer.url, 0n, { clusterId: CLUSTER, timeoutMs: 5_000 });
    assert.equal(anonymous.ok, false);
  } finally {
    await peer.stop();
  }
});
