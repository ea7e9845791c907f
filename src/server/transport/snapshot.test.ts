import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { createReadStream, readdirSync } from "node:fs";
import { Readable } from "node:stream";
import { Message, MessageType } from "../../gen/raftpb/raft.js";
import { liveBytes, startCluster, stopAll } from "./test-support.js";

const MiB = 1024 * 1024;

/** A deterministic byte stream of `size` bytes produced chunk by chunk (never held whole). */
function generated(size: number, seed: number): { stream: Readable; sha256: () => string } {
  const hash = createHash("sha256");
  let produced = 0;
  let x = seed >>> 0 || 1;
  const stream = new Readable({
    highWaterMark: 64 * 1024,
    read() {
      if (produced >= size) {
        this.push(null);
        return;
      }
      const n = Math.min(64 * 1024, size - produced);
      const chunk = Buffer.allocUnsafe(n);
      for (let i = 0; i + 4 <= n; i += 4) {
        x ^= x << 13;
        x ^= x >>> 17;
        x ^= x << 5;
        chunk.writeInt32LE(x | 0, i);
      }
      for (let i = n - (n % 4); i < n; i++) chunk[i] = i & 0xff;
      produced += n;
      hash.update(chunk);
      this.push(chunk);
    },
  });
  return { stream, sha256: () => hash.digest("hex") };
}

function fileSha256(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash("sha256");
    createReadStream(path)
      .on("data", (c) => hash.update(c))
      .on("end", () => resolve(hash.digest("hex")))
      .on("error", reject);
  });
}

function msgSnap(from: bigint, to: bigint, index: bigint): Message {
  return Message.fromPartial({
    type: MessageType.MsgSnap,
    from,
    to,
    term: 3n,
    snapshot: { data: Buffer.from("raft snapshot data"), metadata: { index, term: 3n, confState: { voters: [1n, 2n] } } },
  });
}

test("a 50 MiB snapshot streams through with bounded memory and arrives intact", async () => {
  const nodes = await startCluster(2);
  const [a, b] = nodes as [(typeof nodes)[0], (typeof nodes)[0]];
  try {
    const size = 50 * MiB;
    const source = generated(size, 1234);
    a.snapshotSource = async () => ({ size, stream: source.stream });
    let peakLive = 0;
    let peakRss = 0;
    const baseline = await liveBytes();
    const baselineRss = process.memoryUsage().rss;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        peakRss = Math.max(peakRss, process.memoryUsage().rss);
        peakLive = Math.max(peakLive, await liveBytes());
      }
    })();
    const started = performance.now();
    a.transport.send([msgSnap(1n, 2n, 42n)]);
    await a.waitFor(() => a.snapshotStatus.length === 1, "snapshot outcome", 60_000);
    const seconds = (performance.now() - started) / 1000;
    sampling = false;
    await sampler;
    assert.deepEqual(a.snapshotStatus, [{ id: 2n, ok: true }]);
    assert.equal(b.snapshots.length, 1);
    const got = b.snapshots[0]!;
    assert.equal(got.size, size);
    assert.equal(got.m.snapshot?.metadata?.index, 42n);
    assert.deepEqual(got.m.snapshot?.metadata?.confState?.voters, [1n, 2n]);
    assert.deepEqual(got.m.snapshot?.data, Buffer.from("raft snapshot data"));
    assert.equal(await fileSha256(got.path), source.sha256());
    const growthMiB = (peakLive - baseline) / MiB;
    const rssMiB = (peakRss - baselineRss) / MiB;
    // Both ends live in this process: a whole-file buffer on either side would add ≥ 50 MiB.
    assert.ok(growthMiB < 16, `live memory grew by ${growthMiB.toFixed(1)} MiB`);
    console.log(
      `# snapshot: 50 MiB in ${seconds.toFixed(2)} s (${(50 / seconds).toFixed(0)} MiB/s), peak live memory growth ${growthMiB.toFixed(1)} MiB, peak RSS growth ${rssMiB.toFixed(1)} MiB`,
    );
    assert.equal(b.received.length, 0, "the MsgSnap is the server's to step, not onMessage's");
  } finally {
    await stopAll(nodes);
  }
});

test("a snapshot the receiver cannot install is reported as failed, and its temp file removed", async () => {
  const nodes = await startCluster(2);
  const [a, b] = nodes as [(typeof nodes)[0], (typeof nodes)[0]];
  try {
    a.snapshotSource = async () => ({ size: 3 * MiB, stream: generated(3 * MiB, 9).stream });
    b.onSnapshot = async () => {
      throw new Error("disk full");
    };
    a.transport.send([msgSnap(1n, 2n, 7n)]);
    await a.waitFor(() => a.snapshotStatus.length === 1, "snapshot outcome");
    assert.deepEqual(a.snapshotStatus, [{ id: 2n, ok: false }]);
    await a.waitFor(() => a.unreachable.includes(2n), "unreachable report");
    assert.ok(a.logs.some((l) => l.msg === "failed to send database snapshot" && /disk full/.test(String(l.fields["error"]))));
    assert.deepEqual(readdirSync(b.dir), []);
  } finally {
    await stopAll(nodes);
  }
});

test("a short source, a second concurrent snapshot and a missing source all fail cleanly", async () => {
  const nodes = await startCluster(2);
  const [a, b] = nodes as [(typeof nodes)[0], (typeof nodes)[0]];
  try {
    // Announces 2 MiB, yields 1 MiB.
    let calls = 0;
    a.snapshotSource = async () => {
      calls++;
      return { size: 2 * MiB, stream: generated(1 * MiB, 5).stream };
    };
    a.transport.send([msgSnap(1n, 2n, 8n), msgSnap(1n, 2n, 9n)]);
    await a.waitFor(() => a.snapshotStatus.length === 2, "both outcomes");
    assert.deepEqual(a.snapshotStatus, [
      { id: 2n, ok: false },
      { id: 2n, ok: false },
    ]);
    assert.equal(calls, 1, "the second snapshot was refused while the first was in flight");
    await b.waitFor(() => b.logs.some((l) => l.msg === "failed to receive database snapshot"), "receiver gave up");
    assert.deepEqual(readdirSync(b.dir), []);
    a.snapshotSource = () => Promise.reject(new Error("backend gone"));
    a.transport.send([msgSnap(1n, 2n, 10n)]);
    await a.waitFor(() => a.snapshotStatus.length === 3, "third outcome");
    assert.deepEqual(a.snapshotStatus[2], { id: 2n, ok: false });
    assert.equal(b.snapshots.length, 0);
    // The message stream is unaffected by all this.
    a.transport.send([Message.fromPartial({ type: MessageType.MsgHeartbeat, from: 1n, to: 2n })]);
    await b.waitFor(() => b.received.length === 1, "heartbeat");
  } finally {
    await stopAll(nodes);
  }
});
