import { test } from "node:test";
import assert from "node:assert/strict";
import { Message, MessageType } from "../../gen/raftpb/raft.js";
import { SeededRandom } from "../../pkg/random.js";
import { Backoff } from "./backoff.js";
import { FrameDecoder, FrameTooLargeError, KEEPALIVE_FRAME, encodeFrame, encodeMessageBody, frameBodies } from "./frame-codec.js";
import { checkIncoming, idFromHex, outgoingHeaders, refusalFromAnswer } from "./identity.js";
import { decodeMembersJson, encodeMembersJson } from "./members-json.js";

function msg(i: number, payload = 0): Message {
  return Message.fromPartial({
    type: MessageType.MsgApp,
    to: 2n,
    from: 1n,
    term: 5n,
    index: BigInt(i),
    entries: payload > 0 ? [{ Term: 5n, Index: BigInt(i + 1), Data: Buffer.alloc(payload, i & 0xff) }] : [],
  });
}

test("frames survive every chunking of the byte stream", () => {
  const messages = Array.from({ length: 20 }, (_, i) => msg(i, i * 37));
  const wire = Buffer.concat([frameBodies(messages.slice(0, 7).map(encodeMessageBody)), KEEPALIVE_FRAME, ...messages.slice(7).map(encodeFrame)]);
  const random = new SeededRandom(7);
  for (let round = 0; round < 200; round++) {
    const decoder = new FrameDecoder(1 << 20);
    const out: Message[] = [];
    let at = 0;
    while (at < wire.length) {
      const n = 1 + random.intn(round % 2 === 0 ? 5 : 300);
      for (const body of decoder.push(wire.subarray(at, at + n))) out.push(Message.decode(body));
      at += n;
    }
    assert.equal(decoder.buffered, 0);
    assert.deepEqual(out, messages);
  }
});

test("a frame header over the limit is refused before any allocation", () => {
  const decoder = new FrameDecoder(1024);
  const header = Buffer.alloc(4);
  header.writeUInt32BE(4096);
  assert.throws(() => decoder.push(header), FrameTooLargeError);
});

test("decoded bytes do not alias the network chunk", () => {
  const m = msg(1, 16);
  const wire = encodeFrame(m);
  const decoder = new FrameDecoder(1 << 20);
  const [body] = decoder.push(wire);
  const decoded = Message.decode(body!);
  wire.fill(0);
  assert.deepEqual(decoded.entries[0]!.Data, Buffer.alloc(16, 1));
});

test("backoff doubles up to the cap, jitters downward only, and resets", () => {
  const b = new Backoff({ minMs: 100, maxMs: 1000, jitter: 0 }, new SeededRandom(1));
  assert.deepEqual([1, 2, 3, 4, 5, 6].map(() => b.nextDelayMs()), [100, 200, 400, 800, 1000, 1000]);
  b.reset();
  assert.equal(b.nextDelayMs(), 100);
  const j = new Backoff({ minMs: 100, maxMs: 1000, jitter: 0.5 }, new SeededRandom(2));
  for (let i = 0; i < 50; i++) {
    const d = j.nextDelayMs();
    const base = Math.min(1000, 100 * 2 ** i);
    assert.ok(d <= base && d >= base / 2, `delay ${d} for base ${base}`);
  }
});

test("identity: cluster mismatch, removed member, unknown sender and wrong recipient are told apart", () => {
  const local = { memberId: 0xaaaan, clusterId: 0xc1n };
  const from = (clusterId: bigint, to = 0xaaaan): Record<string, string> => outgoingHeaders({ memberId: 0xbbbbn, clusterId }, to, "3.4.23", ["http://x:1"]);
  const members = (removed: bigint[] = [], known: bigint[] = [0xbbbbn]) => ({ isRemoved: (id: bigint) => removed.includes(id), isKnown: (id: bigint) => known.includes(id) });
  assert.deepEqual(checkIncoming(from(0xc1n), local, members()), { ok: true, from: 0xbbbbn });
  const other = checkIncoming(from(0xc2n), local, members());
  assert.ok(!other.ok && other.refusal.kind === "cluster-id-mismatch" && other.refusal.status === 412);
  assert.match(!other.ok ? other.refusal.message : "", /cluster ID mismatch: request from member bbbb of cluster c2, this member aaaa is in cluster c1/);
  assert.equal(refusalFromAnswer(412, !other.ok ? other.refusal.message : ""), "cluster-id-mismatch");
  const removed = checkIncoming(from(0xc1n), local, members([0xbbbbn], []));
  assert.ok(!removed.ok && removed.refusal.kind === "member-removed" && removed.refusal.status === 410);
  const stranger = checkIncoming(from(0xc1n), local, members([], []));
  assert.ok(!stranger.ok && stranger.refusal.kind === "unknown-member" && stranger.refusal.status === 404);
  assert.equal(refusalFromAnswer(404, !stranger.ok ? stranger.refusal.message : ""), "unknown-member");
  assert.equal(refusalFromAnswer(404, "404 page not found"), undefined);
  const wrongTo = checkIncoming(from(0xc1n, 0xccccn), local, members());
  assert.ok(!wrongTo.ok && wrongTo.refusal.kind === "recipient-mismatch");
  assert.equal(refusalFromAnswer(412, !wrongTo.ok ? wrongTo.refusal.message : ""), "recipient-mismatch");
  const bad = checkIncoming({}, local, members());
  assert.ok(!bad.ok && bad.refusal.status === 400);
  assert.equal(idFromHex("ffffffffffffffff"), 0xffffffffffffffffn);
  assert.equal(idFromHex("1ffffffffffffffff"), undefined);
  assert.equal(idFromHex("xyz"), undefined);
});

test("members JSON keeps all 64 bits of every id", () => {
  const members = [
    { id: 0xfedcba9876543210n, name: "a", peerUrls: ["http://127.0.0.1:1"], clientUrls: ["http://127.0.0.1:2"], isLearner: false },
    { id: 0x8e9e05c52164694dn, name: "", peerUrls: ["http://127.0.0.1:3"], clientUrls: [], isLearner: true },
  ];
  const text = encodeMembersJson(members);
  assert.match(text, /"id":18364758544493064720/);
  assert.deepEqual(decodeMembersJson(text), members);
  // Real etcd's encoding (Go's encoding/json of membership.Member).
  const etcd = '[{"id":10276657743932975437,"peerURLs":["http://localhost:2380"],"name":"default","clientURLs":["http://localhost:2379"]}]\n';
  assert.deepEqual(decodeMembersJson(etcd), [
    { id: 10276657743932975437n, name: "default", peerUrls: ["http://localhost:2380"], clientUrls: ["http://localhost:2379"], isLearner: false },
  ]);
});
