/**
 * The peer port against hostile and broken clients on loopback: forged frame
 * lengths, frames that stop half way, garbage, strangers, oversized and
 * stalled snapshots, silent and surplus connections, HTTP/2 limits, and a
 * flood while two real members keep talking.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import * as http2 from "node:http2";
import * as net from "node:net";
import { Message, MessageType } from "../../gen/raftpb/raft.js";
import { encodeFrame, frameBodies } from "./frame-codec.js";
import { outgoingHeaders } from "./identity.js";
import { HEADER_SNAPSHOT_SIZE } from "./snapshot-sender.js";
import { startCluster, startNode, stopAll, type TestNode } from "./test-support.js";

const MiB = 1024 * 1024;
const CLUSTER = 0xc1057e7n;
/** A member id the node under attack knows, whose real process never shows up. */
const KNOWN = 1n;

function heartbeat(from: bigint, to: bigint): Message {
  return Message.fromPartial({ type: MessageType.MsgHeartbeat, from, to, term: 1n });
}

/** Node 2, knowing member 1 (at a URL nobody listens on), with short timeouts for the tests. */
async function target(limits: Parameters<typeof startNode>[0]["limits"] = {}): Promise<TestNode> {
  const node = await startNode({ id: 2n, limits: { frameTimeoutMs: 300, idleConnectionTimeoutMs: 300, snapshotStallTimeoutMs: 300, ...limits } });
  node.transport.addPeer(KNOWN, ["http://127.0.0.1:1"]);
  return node;
}

interface Answer {
  status: number;
  body: string;
  /** The stream's reset code, if the server reset it. */
  rstCode: number;
}

/** A raw HTTP/2 client session to the node's peer port. */
function connect(node: TestNode): http2.ClientHttp2Session {
  const session = http2.connect(node.url);
  session.on("error", () => {});
  return session;
}

/** Opens a request with the identity headers of `from` in `cluster`; `body` is written, the request left open unless `end`. */
function request(
  session: http2.ClientHttp2Session,
  path: string,
  options: { from?: bigint; cluster?: bigint; extra?: Record<string, string>; body?: Buffer; end?: boolean } = {},
): { stream: http2.ClientHttp2Stream; answer: Promise<Answer> } {
  const stream = session.request(
    { ...outgoingHeaders({ memberId: options.from ?? KNOWN, clusterId: options.cluster ?? CLUSTER }, 2n, "3.4.23", []), ...(options.extra ?? {}), ":method": "POST", ":path": path },
    { endStream: false },
  );
  stream.on("error", () => {});
  if (options.body !== undefined) stream.write(options.body);
  if (options.end === true) stream.end();
  const answer = new Promise<Answer>((resolve) => {
    let status = 0;
    let body = "";
    stream.on("response", (h) => (status = Number(h[":status"])));
    stream.setEncoding("utf8");
    stream.on("data", (c: string) => (body += c));
    stream.on("close", () => resolve({ status, body, rstCode: stream.rstCode ?? 0 }));
  });
  return { stream, answer };
}

/** Resolves once the stream is closed (by either side). */
function closed(stream: http2.Http2Stream): Promise<void> {
  return stream.closed ? Promise.resolve() : new Promise((resolve) => stream.once("close", () => resolve()));
}

function warnings(node: TestNode, msg: string): number {
  return node.logs.filter((l) => l.level === "warn" && l.msg === msg).length;
}

test("frames: a forged length (4 GB, or just past the limit) is refused from its header; nothing reaches raft", async () => {
  const node = await target({ maxFrameBytes: 1 * MiB });
  const session = connect(node);
  try {
    for (const length of [0xffffffff, 1 * MiB + 1]) {
      const header = Buffer.alloc(4);
      header.writeUInt32BE(length);
      const { stream, answer } = request(session, "/raft/stream/1", { body: Buffer.concat([header, Buffer.alloc(1024, 1)]) });
      const got = await answer;
      assert.equal(got.status, 200, "the stream was admitted, then cut");
      assert.equal(got.rstCode, http2.constants.NGHTTP2_PROTOCOL_ERROR);
      assert.ok(stream.closed);
    }
    assert.ok(node.logs.some((l) => l.msg === "closing a corrupt peer message stream" && /exceeds the limit of 1048576/.test(String(l.fields["error"]))));
    assert.equal(node.received.length, 0);
  } finally {
    session.destroy();
    await node.stop();
  }
});

test("frames: a frame that stops half way is cut after the frame timeout; whole frames before it were delivered", async () => {
  const node = await target();
  const session = connect(node);
  try {
    const whole = encodeFrame(heartbeat(KNOWN, 2n));
    const half = encodeFrame(heartbeat(KNOWN, 2n)).subarray(0, 5);
    const { answer } = request(session, "/raft/stream/1", { body: Buffer.concat([whole, half]) });
    const got = await answer;
    assert.equal(got.rstCode, http2.constants.NGHTTP2_CANCEL);
    assert.equal(node.received.length, 1);
    assert.ok(node.logs.some((l) => l.msg === "closing a peer message stream stuck inside a frame"));
  } finally {
    session.destroy();
    await node.stop();
  }
});

test("frames: garbage ends its stream with one rate-limited warning, never the process; a flood of keep-alives is harmless", async () => {
  const node = await target();
  const session = connect(node);
  try {
    // 30 streams of bytes that are no raft message, one after the other
    // (a member's newer stream replaces its older one, session and all).
    const garbage = frameBodies([Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])]);
    for (let i = 0; i < 30; i++) {
      const got = await request(session, "/raft/stream/1", { body: garbage }).answer;
      assert.equal(got.rstCode, http2.constants.NGHTTP2_PROTOCOL_ERROR);
    }
    const lines = warnings(node, "closing a peer message stream with an undecodable message");
    assert.ok(lines >= 1 && lines <= 3, `${lines} warnings for 30 corrupt streams`);
    // 16 MiB of zero-length frames (4 million keep-alives), then a message: delivered.
    const { stream } = request(session, "/raft/stream/1");
    const keepalives = Buffer.alloc(1 * MiB);
    for (let i = 0; i < 16; i++) if (!stream.write(keepalives)) await new Promise((r) => stream.once("drain", r));
    stream.write(encodeFrame(heartbeat(KNOWN, 2n)));
    await node.waitFor(() => node.received.length === 1, "the message after the keep-alives", 30_000);
  } finally {
    session.destroy();
    await node.stop();
  }
});

test("who may talk: a stranger, another cluster and a forged sender inside a stream get nothing to raft", async () => {
  const node = await target();
  const session = connect(node);
  try {
    const frame = encodeFrame(heartbeat(9n, 2n));
    const stranger = await request(session, "/raft/stream/9", { from: 9n, body: frame }).answer;
    assert.equal(stranger.status, 404);
    assert.match(stranger.body, /^error sender not found/);
    const other = await request(session, "/raft/stream/1", { cluster: 0xbadn, body: frame }).answer;
    assert.equal(other.status, 412);
    assert.match(other.body, /cluster ID mismatch/);
    // Admitted as member 1, but the messages claim to be from 9, or for 3.
    const { stream } = request(session, "/raft/stream/1", { body: Buffer.concat([frame, encodeFrame(heartbeat(KNOWN, 3n)), encodeFrame(heartbeat(KNOWN, 2n))]) });
    await node.waitFor(() => node.received.length === 1, "the one well-addressed message");
    assert.equal(node.received[0]!.from, KNOWN);
    assert.ok(node.logs.some((l) => l.msg === "ignored raft messages with another sender or recipient than their stream"));
    assert.ok(node.logs.some((l) => l.msg === "rejected message stream from peer" && l.fields["kind"] === "unknown-member"));
    stream.close();
  } finally {
    session.destroy();
    await node.stop();
  }
});

test("a member's newer stream replaces its older one: claiming an id again and again piles nothing up", async () => {
  const node = await target();
  const sessions: http2.ClientHttp2Session[] = [];
  try {
    const streams: http2.ClientHttp2Stream[] = [];
    for (let i = 0; i < 10; i++) {
      const session = connect(node);
      sessions.push(session);
      const { stream } = request(session, "/raft/stream/1");
      await new Promise((r) => stream.once("response", r));
      streams.push(stream);
    }
    await Promise.all(streams.slice(0, -1).map(closed));
    assert.equal(streams.at(-1)!.closed, false);
    streams.at(-1)!.write(encodeFrame(heartbeat(KNOWN, 2n)));
    await node.waitFor(() => node.received.length === 1, "a message on the newest stream");
  } finally {
    for (const s of sessions) s.destroy();
    await node.stop();
  }
});

test("snapshots: too large, larger than announced, from a stranger, stalled, or a second at once: refused and no temp file left", async () => {
  const node = await target({ maxSnapshotBytes: 4 * MiB });
  const session = connect(node);
  try {
    const snap = encodeFrame(Message.fromPartial({ type: MessageType.MsgSnap, from: KNOWN, to: 2n, snapshot: { metadata: { index: 5n, term: 1n } } }));
    const size = (n: number): Record<string, string> => ({ [HEADER_SNAPSHOT_SIZE]: String(n) });
    const huge = await request(session, "/raft/snapshot", { extra: size(1024 * 1024 * MiB), body: snap }).answer;
    assert.equal(huge.status, 413);
    const stranger = await request(session, "/raft/snapshot", { from: 9n, extra: size(10), body: snap }).answer;
    assert.equal(stranger.status, 404);
    // Announces 1 KiB, sends 1 MiB.
    const longer = await request(session, "/raft/snapshot", { extra: size(1024), body: Buffer.concat([snap, Buffer.alloc(MiB)]), end: true }).answer;
    assert.equal(longer.status, 400);
    assert.match(longer.body, /more than the announced 1024 bytes/);
    // Announces 2 MiB, sends 1 KiB and stalls; meanwhile a second one from the same member.
    const stalled = request(session, "/raft/snapshot", { extra: size(2 * MiB), body: Buffer.concat([snap, Buffer.alloc(1024)]) });
    await node.waitFor(() => node.logs.some((l) => l.msg === "receiving database snapshot"), "the stalled transfer started");
    const second = await request(session, "/raft/snapshot", { extra: size(10), body: snap }).answer;
    assert.equal(second.status, 503);
    const got = await stalled.answer;
    assert.notEqual(got.status, 204);
    assert.ok(node.logs.some((l) => l.msg === "cut a stalled database snapshot transfer"));
    // The receiver removes its temp file once the cut reaches it.
    const deadline = Date.now() + 10_000;
    while (readdirSync(node.dir).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(readdirSync(node.dir), []);
    assert.equal(node.snapshots.length, 0);
  } finally {
    session.destroy();
    await node.stop();
  }
});

test("HTTP/2 limits: at most 16 streams per session, header lists bounded; a session past them is refused, not the process", async () => {
  const node = await target();
  const session = connect(node);
  try {
    await new Promise((r) => session.once("remoteSettings", r));
    assert.equal(session.remoteSettings.maxConcurrentStreams, 16);
    assert.equal(session.remoteSettings.maxHeaderListSize, 32 * 1024);
    // Headers of 64 KiB: the stream is refused.
    const big = await request(session, "/raft/stream/1", { extra: { "x-junk": "j".repeat(64 * 1024) } }).answer;
    assert.notEqual(big.status, 200);
    // A fresh session still works.
    const fresh = connect(node);
    const { stream } = request(fresh, "/raft/stream/1", { body: encodeFrame(heartbeat(KNOWN, 2n)) });
    await node.waitFor(() => node.received.length === 1, "a message on a fresh session");
    stream.close();
    fresh.destroy();
  } finally {
    session.destroy();
    await node.stop();
  }
});

test("a body pushed at a request the port answers without reading (GET endpoints, refusals) ends with the answer", async () => {
  const node = await target();
  const session = connect(node);
  try {
    const answers = [];
    for (const path of ["/raft/probing", "/members", "/nope"]) answers.push(request(session, path, { body: Buffer.alloc(256 * 1024) }).answer);
    answers.push(request(session, "/raft/stream/9", { from: 9n, body: Buffer.alloc(256 * 1024) }).answer);
    // None of the requests is ended by the client: each closes because the server closed it.
    const got = await Promise.all(answers);
    assert.deepEqual(got.map((a) => a.status), [405, 405, 404, 404]);
    assert.ok(got.every((a) => a.rstCode === http2.constants.NGHTTP2_NO_ERROR));
  } finally {
    session.destroy();
    await node.stop();
  }
});

test("connections: silent ones are closed after the idle timeout; anonymous ones are capped, oldest first", async () => {
  const node = await target({ maxAnonymousConnections: 8, idleConnectionTimeoutMs: 1_000 });
  const { port } = new URL(node.url);
  const sockets: net.Socket[] = [];
  const open = (): Promise<net.Socket> =>
    new Promise((resolve, reject) => {
      const s = net.connect(Number(port), "127.0.0.1", () => resolve(s));
      s.on("error", reject);
      sockets.push(s);
    });
  const whenClosed = (s: net.Socket): Promise<void> => (s.closed ? Promise.resolve() : new Promise((r) => s.once("close", () => r())));
  try {
    for (let i = 0; i < 40; i++) await open();
    // The 32 oldest were closed to make room.
    await Promise.all(sockets.slice(0, 32).map(whenClosed));
    await node.waitFor(() => node.transport.connections().anonymous <= 8, "anonymous connections within the cap");
    assert.ok(node.logs.some((l) => l.msg === "closed the oldest anonymous peer connection: too many"));
    // A member's connection is held: it outlives the idle timeout and the flood.
    const session = connect(node);
    const { stream } = request(session, "/raft/stream/1", { body: encodeFrame(heartbeat(KNOWN, 2n)) });
    await node.waitFor(() => node.received.length === 1, "the member's first message");
    for (let i = 0; i < 20; i++) await open();
    // The silent ones go after the idle timeout.
    await Promise.all(sockets.map(whenClosed));
    assert.ok(node.logs.some((l) => l.msg === "closed a peer connection that sent nothing"));
    stream.write(encodeFrame(heartbeat(KNOWN, 2n)));
    await node.waitFor(() => node.received.length === 2, "the member's message after the flood");
    assert.equal(node.transport.connections().total, 1);
    stream.close();
    session.destroy();
  } finally {
    for (const s of sockets) s.destroy();
    await node.stop();
  }
});

test("an HTTP/2 session that opens no member's stream is closed once idle; one carrying a member's stream stays", async () => {
  const node = await target({ idleConnectionTimeoutMs: 500 });
  const idle = connect(node);
  const member = connect(node);
  try {
    const { stream } = request(member, "/raft/stream/1", { body: encodeFrame(heartbeat(KNOWN, 2n)) });
    await node.waitFor(() => node.received.length === 1, "the member's message");
    await new Promise<void>((resolve) => idle.once("close", () => resolve()));
    assert.ok(node.logs.some((l) => l.msg === "closed an idle peer connection"));
    await new Promise((r) => setTimeout(r, 1_000));
    assert.equal(member.closed || member.destroyed, false);
    stream.write(encodeFrame(heartbeat(KNOWN, 2n)));
    await node.waitFor(() => node.received.length === 2, "the member's message after two idle timeouts");
    stream.close();
  } finally {
    idle.destroy();
    member.destroy();
    await node.stop();
  }
});

test("exceptions: a failing handler and broken HTTP/1.1 are answered, the process carries on", async () => {
  const node = await target();
  try {
    node.members = [undefined as unknown as TestNode["members"][number]]; // GET /members now throws inside the handler
    const h1 = await fetch(`${node.url}/members`).then((r) => r.status);
    assert.equal(h1, 500);
    const session = connect(node);
    const got = await new Promise<number>((resolve) => {
      const s = session.request({ ":method": "GET", ":path": "/members" });
      s.on("error", () => {});
      s.on("close", () => resolve(s.rstCode ?? 0));
      s.resume();
    });
    assert.equal(got, http2.constants.NGHTTP2_INTERNAL_ERROR);
    session.destroy();
    assert.ok(node.logs.some((l) => l.level === "error" && l.msg === "failed to handle a peer request"));
    const raw = await new Promise<string>((resolve) => {
      const s = net.connect(Number(new URL(node.url).port), "127.0.0.1", () => s.write("GARBAGE\r\n\r\n"));
      let text = "";
      s.on("data", (c) => (text += c.toString()));
      s.on("close", () => resolve(text));
      s.on("error", () => resolve(text));
    });
    assert.match(raw, /^HTTP\/1.1 400/);
    node.members = [];
    assert.equal(await fetch(`${node.url}/members`).then((r) => r.status), 200);
  } finally {
    await node.stop();
  }
});

test("a peer that keeps resetting our message stream while probes run never wedges the sender", async () => {
  // A raw peer: accepts the stream, answers probes, resets the stream soon after.
  const server = http2.createServer();
  const sessions = new Set<http2.ServerHttp2Session>();
  let resets = 0;
  server.on("session", (s) => {
    sessions.add(s);
    s.on("error", () => {});
  });
  server.on("stream", (stream, headers) => {
    stream.on("error", () => {});
    if (headers[":path"] === "/raft/probing") {
      stream.respond({ ":status": 200 });
      stream.end("{}");
      return;
    }
    stream.respond({ ":status": 200 });
    stream.resume();
    setTimeout(() => {
      resets++;
      stream.close(http2.constants.NGHTTP2_CANCEL);
    }, 60);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const a = await startNode({ id: 1n, limits: { probeIntervalMs: 5 } });
  try {
    a.transport.addPeer(2n, [`http://127.0.0.1:${(server.address() as net.AddressInfo).port}`]);
    // The event loop must keep turning: a timer counts its turns while the peer resets us 20 times.
    let turns = 0;
    const ticker = setInterval(() => turns++, 10);
    try {
      const pump = setInterval(() => a.transport.send([heartbeat(1n, 2n)]), 5);
      await a.waitFor(() => resets >= 20, "20 resets", 30_000).finally(() => clearInterval(pump));
    } finally {
      clearInterval(ticker);
    }
    assert.ok(turns > 20, `${turns} timer turns`);
    assert.ok(a.logs.filter((l) => l.msg === "peer became inactive").length >= 10);
  } finally {
    await a.stop();
    for (const s of sessions) s.destroy();
    server.close();
  }
});

test("fairness: while a stranger floods the port, two members keep exchanging messages, and memory stays bounded", async () => {
  const nodes = await startCluster(2, { limits: { idleConnectionTimeoutMs: 1_000, frameTimeoutMs: 1_000 } });
  const [a, b] = nodes as [TestNode, TestNode];
  let flooding = true;
  const floods: Array<Promise<void>> = [];
  const { port } = new URL(b.url);
  try {
    a.transport.send([heartbeat(1n, 2n)]);
    await b.waitFor(() => b.received.length === 1, "warm-up");
    const rssBefore = process.memoryUsage().rss;
    let peakRss = rssBefore;
    // Raw sockets writing garbage, silent sockets, and HTTP/2 sessions opening
    // streams as a stranger, each as fast as the loop lets it.
    for (let w = 0; w < 8; w++) {
      floods.push(
        (async () => {
          while (flooding) {
            await new Promise<void>((resolve) => {
              const s = net.connect(Number(port), "127.0.0.1");
              s.on("error", () => resolve());
              s.on("close", () => resolve());
              s.on("connect", () => {
                if (w % 2 === 0) s.write(Buffer.alloc(64 * 1024, 0x41));
                setTimeout(() => s.destroy(), 50);
              });
            });
          }
        })(),
      );
    }
    for (let w = 0; w < 4; w++) {
      floods.push(
        (async () => {
          while (flooding) {
            const session = http2.connect(b.url);
            session.on("error", () => {});
            const answers = [];
            for (let i = 0; i < 10; i++) answers.push(request(session, "/raft/stream/9", { from: 9n, body: Buffer.alloc(1024) }).answer);
            await Promise.all(answers);
            session.destroy();
          }
        })(),
      );
    }
    const total = 2_000;
    const started = performance.now();
    for (let i = 0; i < total; i++) {
      a.transport.send([Message.fromPartial({ type: MessageType.MsgApp, from: 1n, to: 2n, index: BigInt(i), entries: [{ Term: 1n, Index: BigInt(i), Data: Buffer.alloc(100) }] })]);
      b.transport.send([heartbeat(2n, 1n)]);
      if (i % 50 === 0) {
        await new Promise((r) => setTimeout(r, 1));
        peakRss = Math.max(peakRss, process.memoryUsage().rss);
      }
    }
    await b.waitFor(() => b.received.length >= total, "every message despite the flood", 60_000);
    await a.waitFor(() => a.received.length >= total, "every answer despite the flood", 60_000);
    const seconds = (performance.now() - started) / 1000;
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    const growthMiB = (peakRss - rssBefore) / MiB;
    assert.equal(a.transport.peerStatus(2n)!.droppedMessages, 0);
    assert.ok(growthMiB < 256, `RSS grew by ${growthMiB.toFixed(0)} MiB under the flood`);
    console.log(`# fairness: ${total} messages each way in ${seconds.toFixed(2)} s under a flood, RSS growth ${growthMiB.toFixed(0)} MiB, ${warnings(b, "rejected message stream from peer")} refusal warnings logged`);
  } finally {
    flooding = false;
    await Promise.all(floods);
    await stopAll(nodes);
  }
});
