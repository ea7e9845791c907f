import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as https from "node:https";
import * as net from "node:net";
import * as tls from "node:tls";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { Message, MessageType } from "../../gen/raftpb/raft.js";
import { fetchClusterMembers } from "./members-json.js";
import { checkPeerUrlSchemes } from "./peer-url-schemes.js";
import { PeerTransport } from "./transport.js";
import { makeCrl, makeTestPki, peerCertificate } from "../../tls/test-support.js";
import { INERT_HANDLERS, peerTlsFrom, startNode, stopAll, type LogLine, type TestNode } from "./test-support.js";

const dir = mkdtempSync(join(tmpdir(), "transport-tls-"));
const pki = await makeTestPki(dir);

function heartbeat(from: bigint, to: bigint, term = 4n): Message {
  return Message.fromPartial({ type: MessageType.MsgHeartbeat, from, to, term });
}

/** Polls (logs wake no waiter); generous bound for a loaded 2-core machine. */
async function eventually(predicate: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function logged(node: TestNode, msg: string): LogLine | undefined {
  return node.logs.find((l) => l.msg === msg);
}

/** A log field as text. */
function field(line: LogLine | undefined, name: string): string {
  const value = line?.fields[name];
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** Sends heartbeats from `from` to `to` until one arrives. */
async function deliver(from: TestNode, to: TestNode, what: string): Promise<void> {
  const timer = setInterval(() => from.transport.send([heartbeat(from.id, to.id)]), 50);
  try {
    await to.waitFor(() => to.received.some((m) => m.from === from.id), what, 15_000);
  } finally {
    clearInterval(timer);
  }
}

/** The serial of the certificate a TLS server presents now (a fresh handshake). */
function presentedSerial(url: string, caFile: string, client: { cert: string; key: string }): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = tls.connect(
      { host: hostname, port: Number(port), ca: readFileSync(caFile), cert: readFileSync(client.cert), key: readFileSync(client.key), ALPNProtocols: ["http/1.1"] },
      () => {
        resolve(socket.getPeerCertificate().serialNumber);
        socket.destroy();
      },
    );
    socket.on("error", reject);
  });
}

/** A GET that trusts the CA but presents no certificate. */
function getWithoutClientCertificate(url: string, caFile: string): Promise<number> {
  return new Promise((resolve, reject) => {
    https
      .get(url, { ca: readFileSync(caFile), agent: false }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      })
      .on("error", reject);
  });
}

after(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("peer TLS", () => {
  test("three members exchange raft messages and a snapshot over https with client-certificate auth; /members answers with a client certificate", async () => {
    const nodes: TestNode[] = [];
    try {
      for (let i = 1; i <= 3; i++) {
        nodes.push(await startNode({ id: BigInt(i), listenUrl: "https://127.0.0.1:0", tls: peerTlsFrom(await peerCertificate(dir, `m${i}`, `m${i}`), pki.caCert) }));
      }
      for (const a of nodes) for (const b of nodes) if (a !== b) a.transport.addPeer(b.id, [b.url]);
      const [a, b, c] = nodes as [TestNode, TestNode, TestNode];
      assert.match(b.url, /^https:\/\/127\.0\.0\.1:\d+$/);
      for (const from of nodes) for (const to of nodes) if (from !== to) await deliver(from, to, `heartbeat ${from.id}→${to.id} over TLS`);

      const body = Buffer.alloc(256 * 1024, 7);
      a.snapshotSource = async () => ({ size: body.length, stream: Readable.from([body]) });
      a.transport.send([Message.fromPartial({ type: MessageType.MsgSnap, from: 1n, to: 3n, snapshot: { metadata: { index: 9n } } })]);
      await a.waitFor(() => a.snapshotStatus.length === 1, "snapshot over TLS");
      assert.deepEqual(a.snapshotStatus, [{ id: 3n, ok: true }]);
      assert.deepEqual(readFileSync(c.snapshots[0]!.path), body);

      b.members = [{ id: 2n, name: "m2", peerUrls: [b.url], clientUrls: [], isLearner: false }];
      const remote = await fetchClusterMembers([b.url], { tls: peerTlsFrom(await peerCertificate(dir, "joiner", "joiner"), pki.caCert).client });
      assert.deepEqual(remote.members, b.members);
      // Without a client certificate the peer port refuses even the question.
      await assert.rejects(getWithoutClientCertificate(`${b.url}/members`, pki.caCert));
    } finally {
      await stopAll(nodes);
    }
  });

  test("a member whose certificate another CA signed is refused: the listener logs 'rejected connection', the dialer names the handshake failure, nothing reaches raft", async () => {
    const a = await startNode({ id: 1n, listenUrl: "https://127.0.0.1:0", tls: peerTlsFrom(await peerCertificate(dir, "a", "a"), pki.caCert) });
    // The stranger trusts our CA (so it would accept a's certificate) but presents one from its own.
    const stranger = await startNode({ id: 2n, listenUrl: "https://127.0.0.1:0", tls: peerTlsFrom(await peerCertificate(dir, "stranger-peer", "stranger", { ca: "other-ca" }), pki.caCert) });
    try {
      a.transport.addPeer(2n, [stranger.url]);
      stranger.transport.addPeer(1n, [a.url]);
      const timer = setInterval(() => stranger.transport.send([heartbeat(2n, 1n)]), 50);
      try {
        await eventually(() => logged(a, "rejected connection") !== undefined, "a's 'rejected connection'");
        await eventually(() => logged(stranger, "failed to connect to peer") !== undefined, "the stranger's dial failure");
      } finally {
        clearInterval(timer);
      }
      const rejected = logged(a, "rejected connection")!;
      assert.equal(rejected.fields["remote-addr"], "127.0.0.1");
      assert.ok(field(rejected, "error").length > 0);
      assert.equal(a.received.length, 0);
      assert.equal(a.transport.peerStatus(2n)?.active, false, "a does not trust the stranger's certificate either");
      assert.match(field(logged(stranger, "failed to connect to peer"), "reason"), /TLS|certificate/);
      // Once per outage, not once per redial.
      assert.equal(stranger.logs.filter((l) => l.msg === "failed to connect to peer").length, 1);
    } finally {
      await stopAll([a, stranger]);
    }
  });

  test("--peer-cert-allowed-cn: a certificate of our CA with another CN is refused, the allowed one accepted", async () => {
    const a = await startNode({ id: 1n, listenUrl: "https://127.0.0.1:0", tls: peerTlsFrom(await peerCertificate(dir, "cn-a", "member"), pki.caCert, { allowedCommonNames: ["member"] }) });
    const intruder = await startNode({ id: 2n, listenUrl: "https://127.0.0.1:0", tls: peerTlsFrom(await peerCertificate(dir, "cn-intruder", "intruder"), pki.caCert) });
    const member = await startNode({ id: 3n, listenUrl: "https://127.0.0.1:0", tls: peerTlsFrom(await peerCertificate(dir, "cn-member", "member"), pki.caCert) });
    try {
      for (const n of [intruder, member]) {
        a.transport.addPeer(n.id, [n.url]);
        n.transport.addPeer(1n, [a.url]);
      }
      await deliver(member, a, "the allowed CN's heartbeat");
      const timer = setInterval(() => intruder.transport.send([heartbeat(2n, 1n)]), 50);
      try {
        await eventually(() => logged(a, "rejected connection") !== undefined, "the wrong CN rejected");
        await eventually(() => logged(intruder, "failed to connect to peer") !== undefined, "the intruder's dial failure");
      } finally {
        clearInterval(timer);
      }
      assert.equal(a.received.filter((m) => m.from === 2n).length, 0);
    } finally {
      await stopAll([a, intruder, member]);
    }
  });

  test("rotation: a peer certificate replaced on disk is presented on the next handshake and used on the next dial", async () => {
    const a = await startNode({ id: 1n, listenUrl: "https://127.0.0.1:0", tls: peerTlsFrom(await peerCertificate(dir, "rot-a", "member"), pki.caCert, { allowedCommonNames: ["member"] }) });
    // b starts with a certificate a refuses (wrong CN), then gets the right one on disk.
    const bFiles = await peerCertificate(dir, "rot-b", "old-name");
    const b = await startNode({ id: 2n, listenUrl: "https://127.0.0.1:0", tls: peerTlsFrom(bFiles, pki.caCert) });
    try {
      const probe = await peerCertificate(dir, "rot-probe", "member");
      const before = await presentedSerial(b.url, pki.caCert, probe);
      b.transport.addPeer(1n, [a.url]);
      a.transport.addPeer(2n, [b.url]);
      const timer = setInterval(() => b.transport.send([heartbeat(2n, 1n)]), 50);
      try {
        await eventually(() => logged(a, "rejected connection") !== undefined, "the old CN rejected");
      } finally {
        clearInterval(timer);
      }
      await peerCertificate(dir, "rot-b", "member", { reuseKey: true });
      await deliver(b, a, "a heartbeat after b's certificate was rotated");
      const afterRotation = await presentedSerial(b.url, pki.caCert, probe);
      assert.notEqual(afterRotation, before, "b's listener presents the new certificate");
    } finally {
      await stopAll([a, b]);
    }
  });

  test("a CRL replaced on disk refuses the revoked peer certificate at its next handshake", async () => {
    const crl = await makeCrl(dir, "ca", "peer-crl", []);
    const a = await startNode({ id: 1n, listenUrl: "https://127.0.0.1:0", tls: peerTlsFrom(await peerCertificate(dir, "crl-a", "crl-a"), pki.caCert, {}, crl) });
    const b = await peerCertificate(dir, "crl-b", "crl-b");
    try {
      a.members = [{ id: 1n, name: "crl-a", peerUrls: [a.url], clientUrls: [], isLearner: false }];
      const asB = { tls: peerTlsFrom(b, pki.caCert).client, timeoutMs: 10_000 };
      assert.equal((await fetchClusterMembers([a.url], asB)).members.length, 1);
      await makeCrl(dir, "ca", "peer-crl", [b.cert]);
      await assert.rejects(fetchClusterMembers([a.url], asB));
      await eventually(() => logged(a, "rejected connection") !== undefined, "the revoked certificate rejected");
      assert.match(field(logged(a, "rejected connection"), "error"), /revoked/);
    } finally {
      await a.stop();
    }
  });

  test("half-open TLS handshakes count against the anonymous cap from the first byte: a flood of them does not lock members out", async () => {
    const limits = { maxAnonymousConnections: 16 };
    const a = await startNode({ id: 1n, listenUrl: "https://127.0.0.1:0", limits, tls: peerTlsFrom(await peerCertificate(dir, "flood-a", "flood-a"), pki.caCert) });
    const b = await startNode({ id: 2n, listenUrl: "https://127.0.0.1:0", limits, tls: peerTlsFrom(await peerCertificate(dir, "flood-b", "flood-b"), pki.caCert) });
    const sockets: net.Socket[] = [];
    try {
      const { port } = new URL(a.url);
      // Half a ClientHello record header each, then silence.
      for (let i = 0; i < 64; i++) {
        const socket = net.connect({ host: "127.0.0.1", port: Number(port) }, () => socket.write(Buffer.from([0x16, 0x03])));
        socket.on("error", () => {});
        sockets.push(socket);
      }
      await eventually(() => sockets.filter((s) => s.destroyed || s.readableEnded).length >= 64 - limits.maxAnonymousConnections, "the oldest half-open handshakes closed");
      assert.ok(a.transport.connections().anonymous <= limits.maxAnonymousConnections);
      a.transport.addPeer(2n, [b.url]);
      b.transport.addPeer(1n, [a.url]);
      await deliver(b, a, "a member's heartbeat through the flood");
      await deliver(a, b, "and back");
    } finally {
      for (const s of sockets) s.destroy();
      await stopAll([a, b]);
    }
  });

  test("mismatched schemes fail promptly and say why: a TLS dial to a plain peer, a plain dial to a TLS peer", async () => {
    const secure = await startNode({ id: 1n, listenUrl: "https://127.0.0.1:0", tls: peerTlsFrom(await peerCertificate(dir, "mix-s", "mix-s"), pki.caCert) });
    const plain = await startNode({ id: 2n, listenUrl: "http://127.0.0.1:0" });
    try {
      // Each is told the other's address under the wrong scheme.
      secure.transport.addPeer(2n, [plain.url.replace(/^http:/, "https:")]);
      plain.transport.addPeer(1n, [secure.url.replace(/^https:/, "http:")]);
      const timer = setInterval(() => {
        secure.transport.send([heartbeat(1n, 2n)]);
        plain.transport.send([heartbeat(2n, 1n)]);
      }, 50);
      try {
        await eventually(() => logged(secure, "failed to connect to peer") !== undefined, "the TLS dialer's reason");
        await eventually(() => logged(plain, "failed to connect to peer") !== undefined, "the plain dialer's reason");
        await eventually(() => logged(plain, "rejected connection") !== undefined && logged(secure, "rejected connection") !== undefined, "both listeners' rejections");
      } finally {
        clearInterval(timer);
      }
      assert.match(field(logged(secure, "failed to connect to peer"), "reason"), /serves http, not https/);
      assert.match(field(logged(plain, "failed to connect to peer"), "reason"), /https/);
      assert.match(field(logged(plain, "rejected connection"), "error"), /TLS handshake on a plain-HTTP peer URL/);
      assert.equal(secure.received.length + plain.received.length, 0);
      await assert.rejects(fetchClusterMembers([plain.url.replace(/^http:/, "https:")], { tls: peerTlsFrom(await peerCertificate(dir, "mix-j", "mix-j"), pki.caCert).client }), /serves http, not https/);
    } finally {
      await stopAll([secure, plain]);
    }
  });
});

describe("peer URL schemes", () => {
  test("an https peer URL without TLS settings is refused at start, naming the URL and the flags", async () => {
    assert.throws(
      () => checkPeerUrlSchemes(["http://127.0.0.1:2380", "https://10.0.0.1:2380"], false),
      { message: "cannot listen on TLS for 10.0.0.1:2380: KeyFile and CertFile are not presented (peer URL https://10.0.0.1:2380 needs --peer-cert-file and --peer-key-file, or --peer-auto-tls)" },
    );
    assert.doesNotThrow(() => checkPeerUrlSchemes(["http://127.0.0.1:2380"], false));
    const transport = new PeerTransport(
      { memberId: 1n, clusterId: 1n, peerUrls: [], snapshotDir: "/nonexistent", serverVersion: "3.4.23" },
      {
        ...INERT_HANDLERS,
      },
    );
    await assert.rejects(transport.start(["https://127.0.0.1:0"]), /cannot listen on TLS for 127\.0\.0\.1:0: KeyFile and CertFile are not presented/);
    await transport.stop();
  });

  test("an http peer URL next to TLS settings serves plain HTTP and says so, as etcd", async () => {
    const node = await startNode({ id: 1n, listenUrl: "http://127.0.0.1:0", tls: peerTlsFrom(await peerCertificate(dir, "plain-with-tls", "p"), pki.caCert) });
    try {
      assert.ok(node.logs.some((l) => l.msg === "scheme is HTTP while key and cert files are present; ignoring key and cert files"));
      assert.ok(node.logs.some((l) => l.msg === "scheme is HTTP while --peer-client-cert-auth is enabled; ignoring client cert auth for this URL"));
    } finally {
      await node.stop();
    }
  });
});
