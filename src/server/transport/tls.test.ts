import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { Message, MessageType } from "../../gen/raftpb/raft.js";
import { fetchClusterMembers } from "./members-json.js";
import { startCluster, stopAll } from "./test-support.js";

/** A throw-away self-signed certificate for 127.0.0.1 (needs the openssl binary). */
function selfSigned(): { key: Buffer; cert: Buffer } | undefined {
  const dir = mkdtempSync(join(tmpdir(), "transport-tls-"));
  try {
    const r = spawnSync("openssl", [
      "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
      "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
      "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem"),
    ]);
    if (r.status !== 0) return undefined;
    return { key: readFileSync(join(dir, "key.pem")), cert: readFileSync(join(dir, "cert.pem")) };
  } catch {
    return undefined;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const pair = selfSigned();

test("https peer URLs: messages, a snapshot and /members over TLS", { skip: pair === undefined ? "openssl not available" : false }, async () => {
  const tls = { key: pair!.key, cert: pair!.cert, ca: pair!.cert };
  const nodes = await startCluster(2, { listenUrl: "https://127.0.0.1:0", tls });
  const [a, b] = nodes as [(typeof nodes)[0], (typeof nodes)[0]];
  try {
    assert.match(b.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    a.transport.send([Message.fromPartial({ type: MessageType.MsgHeartbeat, from: 1n, to: 2n, term: 4n })]);
    await b.waitFor(() => b.received.length === 1, "heartbeat over TLS");
    assert.equal(b.received[0]!.term, 4n);
    a.snapshotSource = async () => ({ size: 5, stream: Readable.from([Buffer.from("hello")]) });
    a.transport.send([Message.fromPartial({ type: MessageType.MsgSnap, from: 1n, to: 2n, snapshot: { metadata: { index: 3n } } })]);
    await a.waitFor(() => a.snapshotStatus.length === 1, "snapshot over TLS");
    assert.deepEqual(a.snapshotStatus, [{ id: 2n, ok: true }]);
    b.members = [{ id: 2n, name: "b", peerUrls: [b.url], clientUrls: [], isLearner: false }];
    const remote = await fetchClusterMembers([b.url], { tls: { ca: pair!.cert } });
    assert.deepEqual(remote.members, b.members);
  } finally {
    await stopAll(nodes);
  }
});
