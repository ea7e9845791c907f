// The bounds that keep a hostile client from taking the server down, one case each,
// against bare H2Connections over loopback; time-based budgets run on a ManualClock.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { ManualClock } from "../../pkg/clock.js";
import type { H2Options, H2Stream } from "./connection.js";
import { ErrorCode, Flag, FrameType, Setting } from "./frames.js";
import { MAX_HEADER_BLOCK_FRAMES } from "./header-block.js";
import { encodeHeaders } from "./hpack.js";
import { IDLE_FRAME_BURST, MAX_BLOCKED_OUTPUT, RESET_BURST, STALLED_FRAME_TIMEOUT_MS } from "./limits.js";
import { destroyRawClients, RawClient, rawFrame, requestHeaders, serveH2, type ServedH2 } from "./test-support.js";

const servers: ServedH2[] = [];
after(async () => {
  destroyRawClients();
  for (const s of servers) await s.close();
});

/** A server whose handler begins work on every stream and leaves it running until the test ends it. */
async function workServer(options: Partial<H2Options> = {}): Promise<{ s: ServedH2; working: H2Stream[] }> {
  const working: H2Stream[] = [];
  const s = await serveH2(options, (stream) => {
    stream.beginWork();
    working.push(stream);
  });
  servers.push(s);
  return { s, working };
}

const OK_HEADERS = encodeHeaders([[":status", "200"]]);
const GET = encodeHeaders([[":method", "GET"], [":scheme", "http"], [":path", "/"]]);

/** Waits until `cond` holds (polling; generous bound for a loaded machine). */
async function until(cond: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

test("streams: a stream holds its slot until it is closed AND its work has ended; new streams past the limit are refused", async () => {
  const { s, working } = await workServer({ maxConcurrentStreams: 2 });
  const c = await RawClient.connect(s.port);
  c.send(FrameType.Headers, Flag.EndHeaders, 1, requestHeaders("/a"));
  c.send(FrameType.Headers, Flag.EndHeaders, 3, requestHeaders("/a"));
  await until(() => working.length === 2, "two streams");
  // The client resets both: their work still runs, so no slot is free.
  c.rst(1, ErrorCode.Cancel);
  c.rst(3, ErrorCode.Cancel);
  c.send(FrameType.Headers, Flag.EndHeaders, 5, requestHeaders("/a"));
  assert.equal(await c.rstCode(5), ErrorCode.RefusedStream);
  const conn = s.connections[0]!.conn;
  assert.equal(conn.openStreams, 0);
  assert.equal(conn.occupiedSlots, 2);
  // One handler settles: one slot, one new stream.
  working[0]!.endWork();
  working[0]!.endWork(); // a second call changes nothing
  assert.equal(conn.occupiedSlots, 1);
  c.send(FrameType.Headers, Flag.EndHeaders, 7, requestHeaders("/a"));
  c.send(FrameType.Headers, Flag.EndHeaders, 9, requestHeaders("/a"));
  assert.equal(await c.rstCode(9), ErrorCode.RefusedStream);
  await until(() => working.length === 3, "stream 7 served");
  assert.equal(working[2]!.id, 7);
  // A stream that ends at the protocol level with no work left frees its slot at once.
  working[2]!.endWork();
  working[2]!.respondPlain(OK_HEADERS, Buffer.from("x"));
  await c.next((f) => f.streamId === 7 && f.type === FrameType.Data && (f.flags & Flag.EndStream) !== 0, "the end of stream 7");
  await until(() => conn.occupiedSlots === 1, "stream 7's slot back");
});

test("rapid reset: resetting streams faster than the budget → GOAWAY ENHANCE_YOUR_CALM; resets of closed streams are free", async () => {
  const clock = new ManualClock();
  const { s } = await workServer({ maxConcurrentStreams: 10_000, clock });
  const c = await RawClient.connect(s.port);
  let id = 1;
  const frames: Buffer[] = [];
  // HEADERS + RST_STREAM pairs: every reset of a stream we still serve is charged; the budget is RESET_BURST.
  for (let i = 0; i < RESET_BURST; i++, id += 2) {
    frames.push(rawFrame(FrameType.Headers, Flag.EndHeaders, id, requestHeaders("/a")));
    frames.push(rawFrame(FrameType.RstStream, 0, id, Buffer.from([0, 0, 0, 8])));
  }
  c.socket.write(Buffer.concat(frames));
  c.send(FrameType.Ping, 0, 0, Buffer.alloc(8));
  await c.next((f) => f.type === FrameType.Ping, "PING ACK: within the budget");
  assert.equal(c.closed, false);
  // A second reset of a stream already reset is a frame on a closed stream, not a reset charged.
  c.rst(1, ErrorCode.Cancel);
  c.send(FrameType.Headers, Flag.EndHeaders, id, requestHeaders("/a"));
  c.rst(id, ErrorCode.Cancel);
  const g = await c.goaway();
  assert.equal(g.code, ErrorCode.EnhanceYourCalm);
  await c.closedPromise;
});

test("header blocks: empty CONTINUATION frames and oversized blocks → GOAWAY ENHANCE_YOUR_CALM", async () => {
  const { s } = await workServer({ maxHeaderListSize: 16 * 1024 });
  const empty = await RawClient.connect(s.port);
  const frames = [rawFrame(FrameType.Headers, 0, 1, requestHeaders("/a"))];
  for (let i = 0; i < MAX_HEADER_BLOCK_FRAMES + 10; i++) frames.push(rawFrame(FrameType.Continuation, 0, 1));
  empty.socket.write(Buffer.concat(frames));
  assert.equal((await empty.goaway()).code, ErrorCode.EnhanceYourCalm);
  await empty.closedPromise;
  // Limit: maxHeaderListSize + one frame, frame headers included.
  const big = await RawClient.connect(s.port);
  big.send(FrameType.Headers, 0, 1, Buffer.alloc(16_000, 0x80));
  big.send(FrameType.Continuation, 0, 1, Buffer.alloc(16_000, 0x80));
  big.send(FrameType.Continuation, 0, 1, Buffer.alloc(1000, 0x80));
  assert.equal((await big.goaway()).code, ErrorCode.EnhanceYourCalm);
  await big.closedPromise;
});

test("SETTINGS: 1 MB of INITIAL_WINDOW_SIZE entries with 1,000 open streams is cheap (O(entries), not O(entries × streams))", async (t) => {
  const { s, working } = await workServer({ maxConcurrentStreams: 1000 });
  const c = await RawClient.connect(s.port);
  const frames: Buffer[] = [];
  for (let id = 1; id < 2000; id += 2) frames.push(rawFrame(FrameType.Headers, Flag.EndHeaders, id, requestHeaders("/a")));
  c.socket.write(Buffer.concat(frames));
  await until(() => working.length === 1000, "1000 streams");
  // Every stream has a response blocked on a window of 0… then many settings, ending at 100.
  c.settings([[Setting.InitialWindowSize, 0]]);
  await c.next((f) => f.type === FrameType.Settings && (f.flags & Flag.Ack) !== 0 && f.streamId === 0, "SETTINGS ACK");
  c.frames.length = 0;
  for (const stream of working) stream.respondPlain(OK_HEADERS, Buffer.from("0123456789"));
  const entries = Buffer.alloc(16_380);
  for (let p = 0; p < entries.length; p += 6) {
    entries.writeUInt16BE(Setting.InitialWindowSize, p);
    entries.writeUInt32BE(p % 12 === 0 ? 1 : 0, p + 2);
  }
  const settingsFrames: Buffer[] = [];
  for (let i = 0; i < 64; i++) settingsFrames.push(rawFrame(FrameType.Settings, 0, 0, entries));
  const started = Date.now();
  c.socket.write(Buffer.concat(settingsFrames));
  c.settings([[Setting.InitialWindowSize, 100]]);
  c.send(FrameType.Ping, 0, 0, Buffer.alloc(8));
  await c.next((f) => f.type === FrameType.Ping, "PING ACK after the SETTINGS", 20_000);
  // Before: 21 s for this much. A loaded machine gets a generous bound.
  t.diagnostic(`1 MB of SETTINGS with 1,000 streams: ${Date.now() - started} ms`);
  assert.ok(Date.now() - started < 10_000, `took ${Date.now() - started} ms`);
  // The last window applies to every blocked stream: each response completes.
  await until(() => c.frames.filter((f) => f.type === FrameType.Data && (f.flags & Flag.EndStream) !== 0).length === 1000, "1000 responses", 20_000);
});

test("output: a client that floods PINGs and never reads is disconnected once 10,000 control frames wait unwritten", async () => {
  const { s } = await workServer();
  const c = await RawClient.connect(s.port);
  c.stopReading();
  const ping = rawFrame(FrameType.Ping, 0, 0, Buffer.alloc(8));
  const burst = Buffer.concat(Array.from({ length: 4096 }, () => ping));
  // Write until the server hangs up (bounded: 2,000 bursts is 35 MB); its GOAWAY is never read.
  const server = (): boolean => s.connections[0]?.socket.destroyed === true;
  for (let i = 0; i < 2000 && !c.closed && !server(); i++) {
    if (!c.socket.write(burst)) await Promise.race([new Promise((resolve) => c.socket.once("drain", resolve)), c.closedPromise, sleep(5000)]);
  }
  // The client reads nothing, so it may never notice the close itself: watch the server's side.
  await until(server, "the server to drop the connection", 10_000);
  c.socket.destroy();
});

test("output: while a client does not read large responses, the server stops reading it; once it reads, all is answered", async () => {
  const s = await serveH2({ maxConcurrentStreams: 100 }, (stream) => {
    stream.listener = {
      onData() {},
      onEnd() {
        stream.respondPlain(OK_HEADERS, Buffer.alloc(4 * 1024 * 1024, 0x61));
      },
      onReset() {},
      onDrain() {},
    };
  });
  servers.push(s);
  const c = await RawClient.connect(s.port, [[Setting.InitialWindowSize, 2 ** 31 - 1], [Setting.MaxFrameSize, 1 << 20]]);
  c.windowUpdate(0, 2 ** 31 - 1 - 65_535);
  c.stopReading();
  c.send(FrameType.Headers, Flag.EndHeaders | Flag.EndStream, 1, GET);
  await until(() => s.connections[0]?.socket.isPaused() === true, "the server to pause reading");
  const server = s.connections[0]!.socket;
  const readBefore = server.bytesRead;
  // 320 KiB of (unknown, ignored) frames: a paused socket reads at most a chunk or two (64 KiB each) into its buffer, then stops.
  const ignored = Buffer.concat(Array.from({ length: 20 }, () => rawFrame(0xfa, 0, 0, Buffer.alloc(16_384))));
  c.socket.write(ignored);
  c.send(FrameType.Ping, 0, 0, Buffer.alloc(8));
  await sleep(200);
  assert.ok(server.bytesRead - readBefore <= 2 * 64 * 1024 + 1024, `read ${server.bytesRead - readBefore} bytes while the output is stuck`);
  c.socket.resume();
  await c.next((f) => f.type === FrameType.Ping && (f.flags & Flag.Ack) !== 0, "PING ACK once the client reads", 20_000);
  await until(() => c.frames.some((f) => f.streamId === 1 && f.type === FrameType.Data && (f.flags & Flag.EndStream) !== 0), "the end of the response", 20_000);
});

test("output: a client that grants no window gets new streams refused once many blocked streams hold much; one big blocked response alone refuses nothing", async () => {
  const s = await serveH2({ maxConcurrentStreams: 1000 }, (stream) => {
    stream.listener = {
      onData() {},
      onEnd() {
        const size = stream.headers.includes("/big") ? MAX_BLOCKED_OUTPUT * 2 : 600 * 1024;
        stream.respondPlain(OK_HEADERS, Buffer.alloc(size, 0x61));
      },
      onReset() {},
      onDrain() {},
    };
  });
  servers.push(s);
  const c = await RawClient.connect(s.port, [[Setting.InitialWindowSize, 0]]);
  c.send(FrameType.Headers, Flag.EndHeaders | Flag.EndStream, 1, requestHeaders("/big"));
  c.send(FrameType.Headers, Flag.EndHeaders | Flag.EndStream, 3, requestHeaders("/a"));
  await c.next((f) => f.streamId === 3 && f.type === FrameType.Headers, "stream 3 served beside one big blocked response");
  const frames: Buffer[] = [];
  for (let id = 5; id < 5 + 2 * 150; id += 2) frames.push(rawFrame(FrameType.Headers, Flag.EndHeaders | Flag.EndStream, id, requestHeaders("/a")));
  c.socket.write(Buffer.concat(frames));
  // 600 KiB each: past 64 blocked streams and 32 MiB of their output, later streams are refused.
  assert.equal(await c.rstCode(5 + 2 * 149), ErrorCode.RefusedStream);
  assert.ok(!c.frames.some((f) => f.streamId === 5 + 2 * 40 && f.type === FrameType.RstStream), "an early stream was refused");
});

test("keepalive enforcement: pings closer than keepaliveMinTimeMs are strikes; the third → GOAWAY ENHANCE_YOUR_CALM too_many_pings", async () => {
  const clock = new ManualClock();
  const { s, working } = await workServer({ clock, keepaliveMinTimeMs: 5000 });
  const c = await RawClient.connect(s.port);
  c.send(FrameType.Headers, Flag.EndHeaders, 1, requestHeaders("/a"));
  await until(() => working.length === 1, "an open stream");
  const ping = async (): Promise<void> => {
    c.send(FrameType.Ping, 0, 0, Buffer.alloc(8));
    await c.next((f) => f.type === FrameType.Ping, "PING ACK");
  };
  // Pings 5 s apart are fine, however many.
  for (let i = 0; i < 5; i++) {
    await ping();
    clock.advance(5000);
  }
  // Two too soon: strikes 1 and 2, tolerated.
  await ping();
  await ping();
  // Data from the server forgives the strikes (grpc-go's resetPingStrikes).
  working[0]!.sendHeaders(OK_HEADERS);
  await c.next((f) => f.type === FrameType.Headers, "response headers");
  await ping();
  await ping();
  await ping();
  c.send(FrameType.Ping, 0, 0, Buffer.alloc(8));
  const g = await c.goaway();
  assert.equal(g.code, ErrorCode.EnhanceYourCalm);
  assert.equal(g.debug, "too_many_pings");
  await c.closedPromise;
});

test("keepalive enforcement: with no stream open, pings are allowed only every 2 hours (unless permitted without a stream)", async () => {
  const clock = new ManualClock();
  const { s } = await workServer({ clock, keepaliveMinTimeMs: 5000 });
  const c = await RawClient.connect(s.port);
  for (let i = 0; i < 3; i++) {
    c.send(FrameType.Ping, 0, 0, Buffer.alloc(8));
    await c.next((f) => f.type === FrameType.Ping, "PING ACK");
    clock.advance(60_000);
  }
  c.send(FrameType.Ping, 0, 0, Buffer.alloc(8));
  assert.equal((await c.goaway()).debug, "too_many_pings");

  const permitted = await workServer({ clock, keepaliveMinTimeMs: 5000, keepalivePermitWithoutStream: true });
  const p = await RawClient.connect(permitted.s.port);
  for (let i = 0; i < 5; i++) {
    p.send(FrameType.Ping, 0, 0, Buffer.alloc(8));
    await p.next((f) => f.type === FrameType.Ping, "PING ACK");
    clock.advance(5000);
  }
  assert.equal(p.closed, false);
});

test("idle frames: PRIORITY, empty DATA, unknown types, unsolicited PING/SETTINGS ACKs, WINDOW_UPDATE on closed streams share a budget → ENHANCE_YOUR_CALM", async () => {
  const clock = new ManualClock();
  const { s } = await workServer({ clock });
  const floods: ((id: number) => Buffer)[] = [
    (id) => rawFrame(FrameType.Priority, 0, id, Buffer.from([0, 0, 0, 0, 16])),
    (id) => rawFrame(FrameType.Data, 0, id),
    () => rawFrame(0xfa, 0, 0, Buffer.from("x")),
    () => rawFrame(FrameType.Ping, Flag.Ack, 0, Buffer.alloc(8)),
    () => rawFrame(FrameType.Settings, Flag.Ack, 0),
    () => rawFrame(FrameType.WindowUpdate, 0, 1, Buffer.from([0, 0, 0, 1])),
  ];
  for (const flood of floods) {
    const c = await RawClient.connect(s.port);
    c.send(FrameType.Headers, Flag.EndHeaders, 1, requestHeaders("/a"));
    if (flood(3)[3] === FrameType.WindowUpdate) c.rst(1, ErrorCode.Cancel);
    c.send(FrameType.Headers, Flag.EndHeaders, 3, requestHeaders("/a"));
    // One budget's worth is allowed…
    c.socket.write(Buffer.concat(Array.from({ length: IDLE_FRAME_BURST - 5 }, () => flood(3))));
    c.send(FrameType.Ping, 0, 0, Buffer.alloc(8));
    await c.next((f) => f.type === FrameType.Ping, "PING ACK within the budget");
    // …and refills with time; without it, more is a flood.
    clock.advance(1000);
    c.socket.write(Buffer.concat(Array.from({ length: 200 }, () => flood(3))));
    assert.equal((await c.goaway()).code, ErrorCode.EnhanceYourCalm, `flood of frame type ${flood(3)[3]}`);
    await c.closedPromise;
  }
});

test("stall: a connection stuck in the middle of a frame or a header block is closed after the timeout", async () => {
  const clock = new ManualClock();
  const { s } = await workServer({ clock });
  const half = await RawClient.connect(s.port);
  half.socket.write(rawFrame(FrameType.Ping, 0, 0, Buffer.alloc(8)).subarray(0, 12));
  const block = await RawClient.connect(s.port);
  block.send(FrameType.Headers, 0, 1, requestHeaders("/a").subarray(0, 5));
  await until(() => s.connections.length === 2, "two connections");
  await sleep(50);
  clock.advance(STALLED_FRAME_TIMEOUT_MS - 1);
  await sleep(50);
  assert.equal(half.closed || block.closed, false);
  clock.advance(1);
  assert.equal((await half.goaway()).code, ErrorCode.ProtocolError);
  assert.equal((await block.goaway()).code, ErrorCode.ProtocolError);
  await half.closedPromise;
  await block.closedPromise;
});

test("stall: a client that keeps completing frames is not stalled, even when every chunk ends mid-frame", async () => {
  const clock = new ManualClock();
  const { s } = await workServer({ clock, keepalivePermitWithoutStream: true });
  const c = await RawClient.connect(s.port);
  const ping = rawFrame(FrameType.Ping, 0, 0, Buffer.alloc(8));
  c.socket.write(ping.subarray(0, 5));
  for (let i = 0; i < 4; i++) {
    await sleep(30);
    clock.advance(STALLED_FRAME_TIMEOUT_MS / 2);
    // The rest of one PING and the start of the next, in one chunk.
    c.socket.write(Buffer.concat([ping.subarray(5), ping.subarray(0, 5)]));
    await c.next((f) => f.type === FrameType.Ping, "PING ACK");
  }
  assert.equal(c.closed, false);
  await sleep(30);
  clock.advance(STALLED_FRAME_TIMEOUT_MS);
  assert.equal((await c.goaway()).code, ErrorCode.ProtocolError);
});
