import { test } from "node:test";
import assert from "node:assert/strict";
import * as http from "node:http";
import { Message, MessageType } from "../../gen/raftpb/raft.js";
import { SeededRandom } from "../../pkg/random.js";
import { fetchClusterMembers } from "./members-json.js";
import { startCluster, startNode, stopAll } from "./test-support.js";

function app(from: bigint, to: bigint, index: number, bytes = 0): Message {
  return Message.fromPartial({
    type: MessageType.MsgApp,
    from,
    to,
    term: 1n,
    index: BigInt(index),
    entries: bytes > 0 ? [{ Term: 1n, Index: BigInt(index + 1), Data: Buffer.alloc(bytes, index & 0xff) }] : [],
  });
}

function httpGet(url: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent: false }, (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (body += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      })
      .on("error", reject);
  });
}

test("messages arrive complete and in order per peer, batched into few writes", async () => {
  const nodes = await startCluster(3);
  const [a, b, c] = nodes as [(typeof nodes)[0], (typeof nodes)[0], (typeof nodes)[0]];
  try {
    // Raft sends once the links are up; before that the queues would fill up (by design).
    a.transport.send([app(1n, 2n, 999_999), app(1n, 3n, 999_999)]);
    await a.waitFor(() => a.transport.peerStatus(2n)!.active && a.transport.peerStatus(3n)!.active, "links active");
    await b.waitFor(() => b.received.length === 1, "warm-up at node 2");
    await c.waitFor(() => c.received.length === 1, "warm-up at node 3");
    b.received.length = 0;
    c.received.length = 0;
    const writesBefore = a.metrics.writes;
    const random = new SeededRandom(11);
    const total = 20_000;
    let sends = 0;
    let sent = 0;
    while (sent < total) {
      const batch: Message[] = [];
      const n = Math.min(total - sent, 1 + random.intn(500));
      for (let i = 0; i < n; i++, sent++) {
        batch.push(app(1n, 2n, sent, random.intn(200)), app(1n, 3n, sent, random.intn(200)));
      }
      a.transport.send(batch);
      sends++;
      // Yield now and then (a few batches per turn share one write), and
      // keep well inside the queue bound, as raft's flow control does.
      if (random.intn(3) === 0) await new Promise((r) => setImmediate(r));
      while (a.transport.peerStatus(2n)!.queuedMessages > 2000 || a.transport.peerStatus(3n)!.queuedMessages > 2000) {
        await new Promise((r) => setTimeout(r, 1));
      }
    }
    await b.waitFor(() => b.received.length === total, "all messages at node 2");
    await c.waitFor(() => c.received.length === total, "all messages at node 3");
    for (const node of [b, c]) {
      node.received.forEach((m, i) => {
        assert.equal(m.index, BigInt(i));
        assert.equal(m.from, 1n);
        assert.equal(m.to, node.id);
      });
    }
    const status = a.transport.peerStatus(2n)!;
    assert.equal(status.active, true);
    assert.equal(status.sentMessages, total + 1);
    assert.equal(status.droppedMessages, 0);
    assert.deepEqual(a.unreachable, []);
    // 40k messages went out in fewer writes than send() calls: batched per turn and per peer.
    const writes = a.metrics.writes - writesBefore;
    assert.ok(writes < 2 * sends, `${writes} writes for ${2 * total} messages in ${sends} send() calls`);
    assert.ok(b.metrics.receivedBytes > 0);
  } finally {
    await stopAll(nodes);
  }
});

test("a peer that restarts is redialed; messages in between are dropped and reported", async () => {
  const nodes = await startCluster(2);
  const a = nodes[0]!;
  let b = nodes[1]!;
  try {
    a.transport.send([app(1n, 2n, 0)]);
    await b.waitFor(() => b.received.length === 1, "first message");
    const url = b.url;
    await b.stop();
    await a.waitFor(() => a.unreachable.includes(2n), "peer 2 reported unreachable");
    a.transport.send([app(1n, 2n, 1)]); // lost: nobody listens
    assert.equal(a.transport.peerStatus(2n)!.active, false);
    b = await startNode({ id: 2n, listenUrl: url });
    b.transport.addPeer(1n, [a.url]); // it knows its members again (a stranger would be refused)
    nodes[1] = b;
    // Keep sending, as raft does with heartbeats, until the new process hears one.
    let i = 2;
    const pump = setInterval(() => a.transport.send([app(1n, 2n, i++)]), 5);
    try {
      await b.waitFor(() => b.received.length > 0, "a message after the restart");
    } finally {
      clearInterval(pump);
    }
    assert.ok(b.received[0]!.index >= 2n, "nothing from before the restart is replayed");
    await a.waitFor(() => a.transport.peerStatus(2n)!.active, "link active again");
    assert.ok(a.transport.activeSinceMs(2n) !== undefined);
    assert.ok(a.logs.some((l) => l.msg === "peer became inactive"));
  } finally {
    await stopAll(nodes);
  }
});

test("a peer nobody answers for is reported unreachable on every send and never blocks", async () => {
  const a = await startNode({ id: 1n });
  const dead = await startNode({ id: 2n });
  const deadUrl = dead.url;
  await dead.stop();
  try {
    a.transport.addPeer(2n, [deadUrl]);
    for (let round = 0; round < 5; round++) {
      a.transport.send([app(1n, 2n, round)]);
      await a.waitFor(() => a.unreachable.length > round, `unreachable report ${round}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    const status = a.transport.peerStatus(2n)!;
    assert.equal(status.active, false);
    assert.equal(status.droppedMessages, 5);
    assert.ok(a.unreachable.every((id): boolean => id === 2n));
    // Unknown peers are ignored without a report, as etcd does.
    a.transport.send([app(1n, 9n, 0)]);
    await new Promise((r) => setImmediate(r));
    assert.ok(!a.unreachable.includes(9n));
  } finally {
    await a.stop();
  }
});

test("updatePeer moves the link to the new URL", async () => {
  const nodes = await startCluster(2);
  const [a, b] = nodes as [(typeof nodes)[0], (typeof nodes)[0]];
  const b2 = await startNode({ id: 2n });
  b2.transport.addPeer(1n, [a.url]);
  try {
    a.transport.send([app(1n, 2n, 0)]);
    await b.waitFor(() => b.received.length === 1, "message at the old address");
    a.transport.updatePeer(2n, [b2.url]);
    let i = 1;
    const pump = setInterval(() => a.transport.send([app(1n, 2n, i++)]), 5);
    try {
      await b2.waitFor(() => b2.received.length > 0, "message at the new address");
    } finally {
      clearInterval(pump);
    }
    assert.deepEqual(a.transport.peerStatus(2n)!.urls, [b2.url]);
  } finally {
    await stopAll([...nodes, b2]);
  }
});

test("a member of another cluster is refused, and both sides say why", async () => {
  const a = await startNode({ id: 1n, clusterId: 0xaaan });
  const b = await startNode({ id: 2n, clusterId: 0xbbbn });
  try {
    a.transport.addPeer(2n, [b.url]);
    a.transport.send([app(1n, 2n, 0)]);
    await a.waitFor(() => a.refused.length > 0, "refusal seen by the sender");
    assert.equal(a.refused[0]!.kind, "cluster-id-mismatch");
    assert.match(a.refused[0]!.message, /cluster ID mismatch/);
    assert.ok(a.logs.some((l) => l.level === "error" && l.msg === "peer refused the message stream" && /cluster ID mismatch/.test(String(l.fields["reason"]))));
    assert.ok(b.logs.some((l) => l.level === "warn" && l.msg === "rejected message stream from peer" && l.fields["kind"] === "cluster-id-mismatch"));
    assert.equal(b.received.length, 0);
    assert.equal(a.transport.peerStatus(2n)!.active, false);
  } finally {
    await stopAll([a, b]);
  }
});

test("a removed member is refused: at connect, mid-stream, and for snapshots", async () => {
  const nodes = await startCluster(2);
  const [a, b] = nodes as [(typeof nodes)[0], (typeof nodes)[0]];
  try {
    a.transport.send([app(1n, 2n, 0)]);
    await b.waitFor(() => b.received.length === 1, "message before removal");
    b.removed.add(1n);
    a.transport.send([app(1n, 2n, 1)]);
    // The open stream is cut at the next message, the redial is refused with 410.
    await a.waitFor(() => a.refused.some((r) => r.kind === "member-removed"), "removal refusal");
    assert.equal(b.received.length, 1);
    a.snapshotSource = async () => ({ size: 0, stream: (await import("node:stream")).Readable.from([]) });
    a.transport.send([Message.fromPartial({ type: MessageType.MsgSnap, from: 1n, to: 2n, snapshot: { metadata: { index: 5n, term: 1n } } })]);
    await a.waitFor(() => a.snapshotStatus.length === 1, "snapshot outcome");
    assert.deepEqual(a.snapshotStatus, [{ id: 2n, ok: false }]);
    assert.equal(b.snapshots.length, 0);
  } finally {
    await stopAll(nodes);
  }
});

test("removePeer cuts the peer's incoming stream and stops the outgoing one", async () => {
  const nodes = await startCluster(2);
  const [a, b] = nodes as [(typeof nodes)[0], (typeof nodes)[0]];
  try {
    a.transport.send([app(1n, 2n, 0)]);
    await b.waitFor(() => b.received.length === 1, "first message");
    b.transport.removePeer(1n);
    b.removed.add(1n);
    assert.equal(b.transport.hasPeer(1n), false);
    await a.waitFor(() => a.refused.some((r) => r.kind === "member-removed"), "refused after removal");
    b.transport.send([app(2n, 1n, 0)]); // to a forgotten peer: ignored
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(a.received.length, 0);
  } finally {
    await stopAll(nodes);
  }
});

test("peer endpoints: /members, /version, /raft/probing over HTTP/1.1, and the round-trip metric", async () => {
  const nodes = await startCluster(2);
  const [a, b] = nodes as [(typeof nodes)[0], (typeof nodes)[0]];
  try {
    b.members = [
      { id: 0xfedcba9876543210n, name: "b", peerUrls: [b.url], clientUrls: ["http://127.0.0.1:1"], isLearner: false },
      { id: 1n, name: "", peerUrls: [a.url], clientUrls: [], isLearner: true },
    ];
    const members = await httpGet(`${b.url}/members`);
    assert.equal(members.status, 200);
    assert.equal(members.headers["x-etcd-cluster-id"], "c1057e7");
    const remote = await fetchClusterMembers(["http://127.0.0.1:1", b.url]);
    assert.equal(remote.clusterId, 0xc1057e7n);
    assert.deepEqual(remote.members, b.members);
    assert.equal(remote.from, b.url);
    await assert.rejects(fetchClusterMembers(["http://127.0.0.1:1"], { timeoutMs: 500 }), /could not fetch the member list/);
    const version = await httpGet(`${b.url}/version`);
    assert.deepEqual(JSON.parse(version.body), { etcdserver: "3.4.23", etcdcluster: "3.4.0" });
    const probe = await httpGet(`${b.url}/raft/probing`);
    assert.equal(JSON.parse(probe.body).health, true);
    assert.equal((await httpGet(`${b.url}/nope`)).status, 404);
    assert.equal((await httpGet(`${b.url}/raft/stream/1`)).status, 505);
    a.transport.send([app(1n, 2n, 0)]);
    await a.waitFor(() => a.metrics.roundTrips.length >= 2, "two probes");
    assert.ok(a.metrics.roundTrips.every((s) => s > 0 && s < 1));
    assert.ok(a.transport.peerStatus(2n)!.lastRoundTripMs !== undefined);
  } finally {
    await stopAll(nodes);
  }
});
