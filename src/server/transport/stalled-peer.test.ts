import { test } from "node:test";
import assert from "node:assert/strict";
import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { Message, MessageType } from "../../gen/raftpb/raft.js";
import { liveBytes, startNode } from "./test-support.js";

const MiB = 1024 * 1024;

/** A peer that accepts the message stream and then never reads it; optionally it never answers probes either. */
async function stalledPeer(answerProbes: boolean): Promise<{ url: string; close(): Promise<void>; resume(): void }> {
  const streams: http2.ServerHttp2Stream[] = [];
  const sessions = new Set<http2.ServerHttp2Session>();
  const server = http2.createServer();
  server.on("session", (s) => {
    sessions.add(s);
    s.on("error", () => {});
  });
  server.on("stream", (stream, headers) => {
    stream.on("error", () => {});
    if (headers[":path"] === "/raft/probing") {
      if (answerProbes) {
        stream.respond({ ":status": 200 });
        stream.end("{}");
      }
      return;
    }
    stream.respond({ ":status": 200 });
    stream.pause();
    streams.push(stream);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    resume: () => streams.forEach((s) => s.resume()),
    close: async () => {
      server.close();
      for (const s of sessions) s.destroy();
    },
  };
}

test("a peer that stops reading: the queue stays within its bounds, drops are reported, memory stays flat", async () => {
  const peer = await stalledPeer(true);
  const a = await startNode({ id: 1n, limits: { queueBytes: 8 * MiB, queueMessages: 4096, probeTimeoutMs: 60_000 } });
  try {
    a.transport.addPeer(2n, [peer.url]);
    const payload = Buffer.alloc(4096, 7);
    const msg = (i: number): Message =>
      Message.fromPartial({ type: MessageType.MsgApp, from: 1n, to: 2n, index: BigInt(i), entries: [{ Term: 1n, Index: BigInt(i), Data: payload }] });
    a.transport.send([msg(0)]);
    await a.waitFor(() => a.transport.peerStatus(2n)!.active, "link active");
    const baseline = await liveBytes();
    let peak = baseline;
    let maxQueued = 0;
    // 100k messages of 4 KiB: ~400 MiB offered to a peer that takes none of it.
    for (let batch = 0; batch < 100; batch++) {
      const msgs: Message[] = [];
      for (let i = 0; i < 1000; i++) msgs.push(msg(batch * 1000 + i));
      a.transport.send(msgs);
      await new Promise((r) => setImmediate(r));
      const s = a.transport.peerStatus(2n)!;
      maxQueued = Math.max(maxQueued, s.queuedBytes);
      assert.ok(s.queuedMessages <= 4096);
      if (batch % 10 === 9) peak = Math.max(peak, await liveBytes());
    }
    const status = a.transport.peerStatus(2n)!;
    assert.ok(maxQueued <= 8 * MiB, `queued ${maxQueued} bytes`);
    assert.ok(status.droppedMessages > 90_000, `dropped ${status.droppedMessages}`);
    assert.ok(a.unreachable.length > 0 && a.unreachable.every((id): boolean => id === 2n));
    // Reports are coalesced per turn, not one per dropped message.
    assert.ok(a.unreachable.length <= 200, `${a.unreachable.length} reports`);
    assert.ok(a.logs.some((l) => l.msg === "dropped internal raft messages to peer" && l.level === "warn"));
    const growthMiB = (peak - baseline) / MiB;
    // The 8 MiB queue plus what HTTP/2 holds in flight; unbounded would be 400 MiB.
    assert.ok(growthMiB < 24, `live memory grew by ${growthMiB.toFixed(1)} MiB for 400 MiB offered`);
    console.log(`# stalled peer: ${status.droppedMessages} of 100000 dropped, max queue ${(maxQueued / MiB).toFixed(1)} MiB, live memory growth ${growthMiB.toFixed(1)} MiB`);
    // Once the peer reads again the queued messages flow and the link stays up.
    peer.resume();
    await a.waitFor(() => a.transport.peerStatus(2n)!.queuedMessages === 0 || !a.transport.peerStatus(2n)!.active, "queue drained");
    assert.equal(a.transport.peerStatus(2n)!.active, true);
  } finally {
    await a.stop();
    await peer.close();
  }
});

test("a peer that answers nothing (a paused process) is dropped by the prober and redialed", async () => {
  const peer = await stalledPeer(false);
  const a = await startNode({ id: 1n, limits: { probeIntervalMs: 50, probeTimeoutMs: 300 } });
  try {
    a.transport.addPeer(2n, [peer.url]);
    a.transport.send([Message.fromPartial({ type: MessageType.MsgHeartbeat, from: 1n, to: 2n })]);
    await a.waitFor(() => a.logs.some((l) => l.msg === "prober detected unhealthy status"), "probe timeout");
    await a.waitFor(() => a.unreachable.includes(2n), "unreachable report");
    assert.ok(a.logs.some((l) => l.msg === "peer became inactive" && l.fields["reason"] === "probe timed out"));
  } finally {
    await a.stop();
    await peer.close();
  }
});
