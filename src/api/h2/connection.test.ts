// HTTP/2 as a client sees it on the wire: frames written and read by hand over a plain socket.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { once } from "node:events";
import { connect, type Socket } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { gzipSync } from "node:zlib";
import { KVService, PutRequest, PutResponse, RangeRequest, RangeResponse, WatchService } from "../../gen/etcdserverpb/rpc.js";
import { ClientListener } from "../client-listener.js";
import { GrpcServer, type GrpcServerOptions } from "../grpc/server.js";
import { listenForTest } from "../grpc/test-support.js";
import { CLIENT_PREFACE, ErrorCode, Flag, FrameType, Setting } from "./frames.js";
import { encodeHeaders, HpackDecoder } from "./hpack.js";
import { destroyRawClients, RawClient, requestHeaders } from "./test-support.js";
import { tcpEndpoint } from "../client-endpoints.js";
import { boundPort } from "../listen-socket.js";

const cleanups = new Set<() => Promise<void> | void>();
after(async () => {
  destroyRawClients();
  for (const c of cleanups) await c();
});

/** A GrpcServer with a small KV behind a net server that strips the preface. */
async function startServer(options: Partial<GrpcServerOptions> = {}): Promise<{ port: number; grpc: GrpcServer; sockets: Set<Socket>; pending: ((response: RangeResponse) => void)[]; close(): Promise<void> }> {
  const grpcServer = new GrpcServer({ maxConcurrentStreams: 100, keepaliveIntervalMs: 0, keepaliveTimeoutMs: 20_000, maxReceiveBytes: 1024 * 1024, ...options });
  const pending: ((response: RangeResponse) => void)[] = [];
  grpcServer.addService(KVService, {
    // Put echoes the value's length as the revision and the key back as the prev kv.
    put: async (req) => PutResponse.fromPartial({ header: { revision: BigInt(req.value.length) }, prevKv: { key: req.key, value: req.value } }),
    // Range answers with a value of `limit` bytes; limit 0 holds the call until the test answers it.
    range: async (req) => {
      if (req.limit === 0n) return new Promise<RangeResponse>((resolve) => pending.push(resolve));
      return RangeResponse.fromPartial({ kvs: [{ key: req.key, value: Buffer.alloc(Number(req.limit), 0x61) }], count: req.limit });
    },
  });
  // Watch: the handler never reads, to exercise the receive window.
  grpcServer.addService(WatchService, {
    watch: (_requests, _sink, ctx) => new Promise((resolve) => ctx.cancellation.addEventListener("abort", resolve)),
  });
  const listening = await listenForTest(grpcServer);
  const close = async (): Promise<void> => {
    cleanups.delete(close);
    await listening.close();
  };
  cleanups.add(close);
  return { port: listening.port, grpc: grpcServer, sockets: listening.sockets, pending, close };
}

function grpcMessage(body: Uint8Array, compressed = false): Buffer {
  const out = Buffer.alloc(5 + body.length);
  out[0] = compressed ? 1 : 0;
  out.writeUInt32BE(body.length, 1);
  out.set(body, 5);
  return out;
}

/** Sends a whole unary request on `streamId`: HEADERS then one DATA with END_STREAM. */
function sendUnary(c: RawClient, streamId: number, path: string, message: Buffer): void {
  c.send(FrameType.Headers, Flag.EndHeaders, streamId, requestHeaders(path));
  c.send(FrameType.Data, Flag.EndStream, streamId, message);
}

function decodeMessages(body: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let pos = 0;
  while (pos < body.length) {
    const length = body.readUInt32BE(pos + 1);
    out.push(body.subarray(pos + 5, pos + 5 + length));
    pos += 5 + length;
  }
  assert.equal(pos, body.length);
  return out;
}

const putMessage = (key: string, value: string | Buffer): Buffer =>
  grpcMessage(PutRequest.encode(PutRequest.fromPartial({ key: Buffer.from(key), value: typeof value === "string" ? Buffer.from(value) : value })).finish());

function assertPutOk(res: Awaited<ReturnType<RawClient["response"]>>, key: string, valueLength: number): void {
  assert.equal(res.rst, undefined);
  assert.equal(res.headers.get(":status"), "200");
  assert.equal(res.headers.get("content-type"), "application/grpc");
  assert.equal(res.trailers.get("grpc-status"), "0");
  const [msg] = decodeMessages(res.body);
  const put = PutResponse.decode(msg!);
  assert.equal(put.header?.revision, BigInt(valueLength));
  assert.equal(put.prevKv?.key.toString(), key);
}

// ---- connection-level frames -------------------------------------------------------------

test("raw: the server's SETTINGS comes first; SETTINGS is ACKed; PING is answered with the same payload", async () => {
  const s = await startServer({ maxConcurrentStreams: 7 });
  const c = await RawClient.connect(s.port);
  const first = await c.next(() => true, "the first frame");
  assert.equal(first.type, FrameType.Settings);
  assert.equal(first.flags & Flag.Ack, 0);
  const settings = new Map<number, number>();
  for (let p = 0; p < first.payload.length; p += 6) settings.set(first.payload.readUInt16BE(p), first.payload.readUInt32BE(p + 2));
  assert.equal(settings.get(Setting.MaxConcurrentStreams), 7);
  await c.next((f) => f.type === FrameType.Settings && (f.flags & Flag.Ack) !== 0, "SETTINGS ACK");
  const payload = Buffer.from("12345678");
  c.send(FrameType.Ping, 0, 0, payload);
  const pong = await c.next((f) => f.type === FrameType.Ping, "PING ACK");
  assert.equal(pong.flags & Flag.Ack, Flag.Ack);
  assert.deepEqual(pong.payload, payload);
  // A PING ACK from the client (unsolicited) is not answered; an unknown frame type is ignored.
  c.send(FrameType.Ping, Flag.Ack, 0, payload);
  c.send(0xfa, 0, 0, Buffer.from("whatever"));
  sendUnary(c, 1, KVService.put.path, putMessage("k", "v"));
  assertPutOk(await c.response(1), "k", 1);
  assert.equal(c.frames.filter((f) => f.type === FrameType.Ping).length, 0);
  await s.close();
});

test("raw: a frame larger than 16384 bytes → GOAWAY FRAME_SIZE_ERROR", async () => {
  const s = await startServer();
  const c = await RawClient.connect(s.port);
  c.send(FrameType.Headers, Flag.EndHeaders, 1, requestHeaders(KVService.put.path));
  c.send(FrameType.Data, 0, 1, Buffer.alloc(16_385));
  const g = await c.goaway();
  assert.equal(g.code, ErrorCode.FrameSizeError);
  await c.closedPromise;
  await s.close();
});

test("raw: protocol errors → GOAWAY PROTOCOL_ERROR (even stream id, interrupted header block, DATA on stream 0)", async () => {
  const s = await startServer();
  for (const misbehave of [
    (c: RawClient) => c.send(FrameType.Headers, Flag.EndHeaders, 2, requestHeaders(KVService.put.path)),
    (c: RawClient) => {
      c.send(FrameType.Headers, 0, 1, requestHeaders(KVService.put.path));
      c.send(FrameType.Ping, 0, 0, Buffer.alloc(8));
    },
    (c: RawClient) => c.send(FrameType.Data, 0, 0, Buffer.alloc(4)),
    (c: RawClient) => c.send(FrameType.Continuation, Flag.EndHeaders, 1, Buffer.alloc(1)),
    (c: RawClient) => c.send(FrameType.Data, 0, 9, Buffer.alloc(4)), // an idle stream
  ]) {
    const c = await RawClient.connect(s.port);
    misbehave(c);
    const g = await c.goaway();
    assert.equal(g.code, ErrorCode.ProtocolError, g.debug);
    await c.closedPromise;
  }
  await s.close();
});

test("raw: a bad header block → GOAWAY COMPRESSION_ERROR", async () => {
  const s = await startServer();
  const c = await RawClient.connect(s.port);
  c.send(FrameType.Headers, Flag.EndHeaders | Flag.EndStream, 1, Buffer.from([0xbe])); // dynamic index 62: the table is empty
  const g = await c.goaway();
  assert.equal(g.code, ErrorCode.CompressionError);
  await c.closedPromise;
  await s.close();
});

// ---- requests ----------------------------------------------------------------------------

test("raw: a header block split over CONTINUATION frames", async () => {
  const s = await startServer();
  const c = await RawClient.connect(s.port);
  const block = requestHeaders(KVService.put.path, [["x-filler", "f".repeat(100)]]);
  c.send(FrameType.Headers, 0, 1, block.subarray(0, 10));
  c.send(FrameType.Continuation, 0, 1, block.subarray(10, 11));
  c.send(FrameType.Continuation, 0, 1, block.subarray(11, 60));
  c.send(FrameType.Continuation, Flag.EndHeaders, 1, block.subarray(60));
  c.send(FrameType.Data, Flag.EndStream, 1, putMessage("split", "abc"));
  assertPutOk(await c.response(1), "split", 3);
  // END_STREAM on the HEADERS (with CONTINUATION) and the message in between is not allowed: the call ends with INTERNAL.
  c.send(FrameType.Headers, Flag.EndStream, 3, block.subarray(0, 30));
  c.send(FrameType.Continuation, Flag.EndHeaders, 3, block.subarray(30));
  const r = await c.response(3);
  assert.equal(r.trailers.size === 0 ? r.headers.get("grpc-status") : r.trailers.get("grpc-status"), "13");
  await s.close();
});

test("raw: padded and prioritized HEADERS, padded DATA, a message split across DATA frames", async () => {
  const s = await startServer();
  const c = await RawClient.connect(s.port);
  const block = requestHeaders(KVService.put.path);
  // HEADERS with PADDED (pad length 7) and PRIORITY (5 bytes).
  const padded = Buffer.concat([Buffer.from([7]), Buffer.from([0, 0, 0, 0, 16]), block, Buffer.alloc(7)]);
  c.send(FrameType.Headers, Flag.EndHeaders | Flag.Padded | Flag.Priority, 1, padded);
  const message = putMessage("padded", "0123456789");
  // The 5-byte prefix split over two frames, the first padded.
  c.send(FrameType.Data, Flag.Padded, 1, Buffer.concat([Buffer.from([200]), message.subarray(0, 3), Buffer.alloc(200)]));
  c.send(FrameType.Data, 0, 1, message.subarray(3, 9));
  c.send(FrameType.Data, Flag.Padded | Flag.EndStream, 1, Buffer.concat([Buffer.from([0]), message.subarray(9)]));
  assertPutOk(await c.response(1), "padded", 10);
  // Padding longer than the frame is a PROTOCOL_ERROR.
  c.send(FrameType.Headers, Flag.EndHeaders, 3, block);
  c.send(FrameType.Data, Flag.Padded, 3, Buffer.from([5, 1, 2]));
  const g = await c.goaway();
  assert.equal(g.code, ErrorCode.ProtocolError);
  await s.close();
});

test("raw: a compressed message (flag 1, grpc-encoding gzip) is decoded; unknown encodings are refused", async () => {
  const s = await startServer();
  const c = await RawClient.connect(s.port);
  const body = PutRequest.encode(PutRequest.fromPartial({ key: Buffer.from("gz"), value: Buffer.alloc(5000, 0x7a) })).finish();
  c.send(FrameType.Headers, Flag.EndHeaders, 1, requestHeaders(KVService.put.path, [["grpc-encoding", "gzip"]]));
  c.send(FrameType.Data, Flag.EndStream, 1, grpcMessage(gzipSync(body), true));
  assertPutOk(await c.response(1), "gz", 5000);
  // Flag 0 with grpc-encoding gzip: not compressed, read as is.
  c.send(FrameType.Headers, Flag.EndHeaders, 3, requestHeaders(KVService.put.path, [["grpc-encoding", "gzip"]]));
  c.send(FrameType.Data, Flag.EndStream, 3, grpcMessage(body));
  assertPutOk(await c.response(3), "gz", 5000);
  // An unknown encoding.
  c.send(FrameType.Headers, Flag.EndHeaders, 5, requestHeaders(KVService.put.path, [["grpc-encoding", "snappy"]]));
  c.send(FrameType.Data, Flag.EndStream, 5, grpcMessage(body, true));
  const r = await c.response(5);
  assert.equal(r.headers.get("grpc-status"), "12");
  await s.close();
});

test("raw: unknown path → trailers-only UNIMPLEMENTED; bad content-type → 415 INTERNAL with a text body", async () => {
  const s = await startServer();
  const c = await RawClient.connect(s.port);
  sendUnary(c, 1, "/etcdserverpb.KV/Foo", grpcMessage(Buffer.alloc(0)));
  const r = await c.response(1);
  assert.equal(r.headers.get(":status"), "200");
  assert.equal(r.headers.get("grpc-status"), "12");
  assert.equal(r.headers.get("grpc-message"), "unknown method Foo for service etcdserverpb.KV");
  assert.equal(r.body.length, 0);
  c.send(FrameType.Headers, Flag.EndHeaders | Flag.EndStream, 3, encodeHeaders([[":method", "POST"], [":scheme", "http"], [":path", KVService.put.path], ["content-type", "text/plain"]]));
  const r2 = await c.response(3);
  assert.equal(r2.rst, undefined);
  assert.equal(r2.headers.get(":status"), "415");
  assert.equal(r2.headers.get("grpc-status"), "13");
  assert.equal(r2.headers.get("grpc-message"), 'invalid gRPC request content-type "text/plain"');
  assert.equal(r2.body.toString(), 'invalid gRPC request content-type "text/plain"\n');
  // The connection is still good.
  sendUnary(c, 5, KVService.put.path, putMessage("k", "v"));
  assertPutOk(await c.response(5), "k", 1);
  await s.close();
});

// ---- flow control and concurrency ------------------------------------------------------------

test("raw: the response respects the client's stream window and SETTINGS_INITIAL_WINDOW_SIZE changes", async () => {
  const s = await startServer();
  const c = await RawClient.connect(s.port, [[Setting.InitialWindowSize, 10]]);
  const req = grpcMessage(RangeRequest.encode(RangeRequest.fromPartial({ key: Buffer.from("w"), limit: 100n })).finish());
  sendUnary(c, 1, KVService.range.path, req);
  const head = await c.next((f) => f.streamId === 1 && f.type === FrameType.Headers, "response HEADERS");
  assert.equal(head.flags & Flag.EndStream, 0);
  const first = await c.next((f) => f.streamId === 1 && f.type === FrameType.Data, "DATA");
  assert.equal(first.payload.length, 10);
  await sleep(50);
  assert.equal(c.frames.filter((f) => f.streamId === 1 && f.type === FrameType.Data).length, 0, "nothing past the window");
  // Raising the initial window applies to the open stream.
  c.settings([[Setting.InitialWindowSize, 30]]);
  const second = await c.next((f) => f.streamId === 1 && f.type === FrameType.Data, "DATA after SETTINGS");
  assert.equal(second.payload.length, 20);
  // Now hand out window 7 bytes at a time.
  const sizes: number[] = [];
  let body = Buffer.concat([first.payload, second.payload]);
  for (;;) {
    c.windowUpdate(1, 7);
    const f = await c.next((f) => f.streamId === 1 && (f.type === FrameType.Data || f.type === FrameType.Headers), "DATA or trailers");
    if (f.type === FrameType.Headers) {
      assert.ok(f.flags & Flag.EndStream);
      assert.equal(c.decoder.decode(f.payload)[1], "0");
      break;
    }
    sizes.push(f.payload.length);
    body = Buffer.concat([body, f.payload]);
  }
  assert.ok(sizes.every((n) => n <= 7));
  const res = RangeResponse.decode(decodeMessages(body)[0]!);
  assert.equal(res.kvs[0]?.value.length, 100);
  await s.close();
});

test("raw: the connection window is respected too, and DATA frames follow SETTINGS_MAX_FRAME_SIZE", async () => {
  const s = await startServer();
  const c = await RawClient.connect(s.port, [[Setting.InitialWindowSize, 1 << 20], [Setting.MaxFrameSize, 40_000]]);
  const req = grpcMessage(RangeRequest.encode(RangeRequest.fromPartial({ key: Buffer.from("big"), limit: 100_000n })).finish());
  sendUnary(c, 1, KVService.range.path, req);
  // The connection window is 65,535 until the client raises it.
  await sleep(100);
  const got = c.frames.filter((f) => f.streamId === 1 && f.type === FrameType.Data).reduce((n, f) => n + f.payload.length, 0);
  assert.equal(got, 65_535);
  assert.ok(c.frames.every((f) => f.payload.length <= 40_000));
  assert.ok(c.frames.some((f) => f.type === FrameType.Data && f.payload.length > 16_384), "frames up to the client's max frame size");
  c.windowUpdate(0, 1 << 20);
  const r = await c.response(1, false);
  assert.equal(r.trailers.get("grpc-status"), "0");
  await s.close();
});

test("raw: streams past SETTINGS_MAX_CONCURRENT_STREAMS are refused, and the HPACK table stays in step", async () => {
  const s = await startServer({ maxConcurrentStreams: 2 });
  const c = await RawClient.connect(s.port);
  const hold = grpcMessage(RangeRequest.encode(RangeRequest.fromPartial({ key: Buffer.from("h") })).finish());
  sendUnary(c, 1, KVService.range.path, hold);
  sendUnary(c, 3, KVService.range.path, hold);
  // Stream 5 adds a header to the dynamic table (literal with incremental indexing) and is refused…
  const indexed = Buffer.concat([requestHeaders(KVService.put.path), Buffer.from([0x40, 1, 0x78, 1, 0x79])]);
  c.send(FrameType.Headers, Flag.EndHeaders, 5, indexed);
  const refused = await c.next((f) => f.streamId === 5 && f.type === FrameType.RstStream, "RST_STREAM");
  assert.equal(refused.payload.readUInt32BE(0), ErrorCode.RefusedStream);
  await sleep(20);
  // …the held calls finish, and stream 7 refers to the entry by index.
  for (const cb of s.pending.splice(0)) cb(RangeResponse.fromPartial({ count: 1n }));
  assert.equal((await c.response(1)).trailers.get("grpc-status"), "0");
  assert.equal((await c.response(3)).trailers.get("grpc-status"), "0");
  c.send(FrameType.Headers, Flag.EndHeaders, 7, Buffer.concat([requestHeaders(KVService.put.path), Buffer.from([0xbe])]));
  c.send(FrameType.Data, Flag.EndStream, 7, putMessage("after", "x"));
  assertPutOk(await c.response(7), "after", 1);
  await s.close();
});

test("raw: RST_STREAM from the client cancels the call; later DATA on it → RST_STREAM STREAM_CLOSED", async () => {
  const s = await startServer();
  const c = await RawClient.connect(s.port);
  const hold = grpcMessage(RangeRequest.encode(RangeRequest.fromPartial({ key: Buffer.from("h") })).finish());
  sendUnary(c, 1, KVService.range.path, hold);
  await sleep(20);
  assert.equal(s.pending.length, 1);
  const rst = Buffer.alloc(4);
  rst.writeUInt32BE(ErrorCode.Cancel);
  c.send(FrameType.RstStream, 0, 1, rst);
  c.send(FrameType.Data, 0, 1, Buffer.alloc(10));
  await sleep(20);
  s.pending[0]!(RangeResponse.fromPartial({}));
  sendUnary(c, 3, KVService.put.path, putMessage("k", "v"));
  assertPutOk(await c.response(3), "k", 1);
  const onReset = c.frames.filter((f) => f.streamId === 1);
  assert.deepEqual(
    onReset.map((f) => [f.type, f.payload.readUInt32BE(0)]),
    [[FrameType.RstStream, ErrorCode.StreamClosed]],
    "only STREAM_CLOSED for the DATA, no response",
  );
  await s.close();
});

test("raw: DATA past the stream's receive window (reader paused) → RST_STREAM FLOW_CONTROL_ERROR; the connection lives on", async () => {
  const s = await startServer();
  const c = await RawClient.connect(s.port);
  c.send(FrameType.Headers, Flag.EndHeaders, 1, requestHeaders(WatchService.watch.path));
  // The server's SETTINGS_INITIAL_WINDOW_SIZE is 1 MiB; no WINDOW_UPDATE comes while the reader is paused.
  const chunk = Buffer.alloc(16_384);
  for (let i = 0; i < 64; i++) c.send(FrameType.Data, 0, 1, chunk);
  await sleep(50);
  assert.equal(c.frames.filter((f) => f.streamId === 1).length, 0, "neither WINDOW_UPDATE nor reset within the window");
  c.send(FrameType.Data, 0, 1, Buffer.alloc(1));
  const rst = await c.next((f) => f.streamId === 1 && f.type === FrameType.RstStream, "RST_STREAM");
  assert.equal(rst.payload.readUInt32BE(0), ErrorCode.FlowControlError);
  sendUnary(c, 3, KVService.put.path, putMessage("k", "v"));
  assertPutOk(await c.response(3), "k", 1);
  await s.close();
});

test("ClientListener: a preface that arrives in pieces, frames in the same chunk as its end; HTTP/1 goes to the HTTP handler", async () => {
  const grpcServer = new GrpcServer({ maxConcurrentStreams: 10, keepaliveIntervalMs: 0, keepaliveTimeoutMs: 1000, maxReceiveBytes: 1 << 20 });
  grpcServer.addService(KVService, {
    put: async (req) => PutResponse.fromPartial({ header: { revision: BigInt(req.value.length) }, prevKv: { key: req.key } }),
  });
  const listener = new ClientListener(grpcServer, (_req, res) => res.end("http/1 here"));
  const stop = async (): Promise<void> => {
    cleanups.delete(stop);
    grpcServer.forceShutdown();
    await listener.close();
  };
  cleanups.add(stop);
  const port = boundPort(await listener.listen(tcpEndpoint("127.0.0.1", 0)));

  const socket = connect(port, "127.0.0.1");
  await once(socket, "connect");
  cleanups.add(() => {
    socket.destroy();
  });
  const frames: Buffer[] = [];
  const frame = (type: number, flags: number, id: number, payload: Buffer): Buffer => {
    const head = Buffer.alloc(9);
    head.writeUIntBE(payload.length, 0, 3);
    head[3] = type;
    head[4] = flags;
    head.writeUInt32BE(id, 5);
    return Buffer.concat([head, payload]);
  };
  frames.push(frame(FrameType.Settings, 0, 0, Buffer.alloc(0)));
  frames.push(frame(FrameType.Headers, Flag.EndHeaders, 1, requestHeaders(KVService.put.path)));
  frames.push(frame(FrameType.Data, Flag.EndStream, 1, putMessage("via-listener", "1234")));
  let received = Buffer.alloc(0);
  socket.on("data", (chunk: Buffer) => (received = Buffer.concat([received, chunk])));
  socket.write(CLIENT_PREFACE.subarray(0, 3));
  await sleep(10);
  socket.write(CLIENT_PREFACE.subarray(3, 20));
  await sleep(10);
  socket.write(Buffer.concat([CLIENT_PREFACE.subarray(20), ...frames]));
  // Wait for the trailers (END_STREAM on stream 1).
  const decoder = new HpackDecoder({ maxTableSize: 4096, maxHeaderListSize: 1 << 20 });
  let status: string | undefined;
  for (let waited = 0; status === undefined && waited < 3000; waited += 10) {
    await sleep(10);
    let pos = 0;
    while (pos + 9 <= received.length) {
      const length = received.readUIntBE(pos, 3);
      const type = received[pos + 3]!;
      const flags = received[pos + 4]!;
      if (type === FrameType.Headers && flags & Flag.EndStream) {
        const list = decoder.decode(received.subarray(pos + 9, pos + 9 + length));
        status = list[list.indexOf("grpc-status") + 1];
      }
      pos += 9 + length;
    }
  }
  assert.equal(status, "0");
  socket.destroy();

  const res = await fetch(`http://127.0.0.1:${port}/health`);
  assert.equal(await res.text(), "http/1 here");
  await stop();
});

// ---- keepalive, shutdown ---------------------------------------------------------------------

test("keepalive: a client that never answers pings is disconnected", async () => {
  const s = await startServer({ keepaliveIntervalMs: 50, keepaliveTimeoutMs: 50 });
  const c = await RawClient.connect(s.port);
  await c.closedPromise;
  const ping = c.frames.find((f) => f.type === FrameType.Ping);
  assert.ok(ping !== undefined, "the server pinged first");
  assert.equal(ping.flags & Flag.Ack, 0);
  await s.close();
});

test("keepalive: a client that answers pings stays connected", async () => {
  // A generous answer timeout: a loaded machine must not make this flaky.
  const s = await startServer({ keepaliveIntervalMs: 50, keepaliveTimeoutMs: 2000 });
  const c = await RawClient.connect(s.port);
  let pings = 0;
  const answer = setInterval(() => {
    for (let i = c.frames.length - 1; i >= 0; i--) {
      const f = c.frames[i]!;
      if (f.type === FrameType.Ping && (f.flags & Flag.Ack) === 0) {
        c.frames.splice(i, 1);
        pings++;
        c.send(FrameType.Ping, Flag.Ack, 0, f.payload);
      }
    }
  }, 5);
  await sleep(400);
  clearInterval(answer);
  assert.equal(c.closed, false);
  assert.ok(pings >= 2, `pinged ${pings} times`);
  sendUnary(c, 1, KVService.put.path, putMessage("k", "v"));
  assertPutOk(await c.response(1), "k", 1);
  await s.close();
});

test("close(): GOAWAY NO_ERROR with the last stream id; open calls finish; new streams are refused; then the socket ends", async () => {
  const s = await startServer();
  const c = await RawClient.connect(s.port);
  const hold = grpcMessage(RangeRequest.encode(RangeRequest.fromPartial({ key: Buffer.from("h") })).finish());
  sendUnary(c, 1, KVService.range.path, hold);
  await sleep(20);
  s.grpc.close();
  const g = await c.goaway();
  assert.equal(g.code, ErrorCode.NoError);
  assert.equal(g.lastStreamId, 1);
  sendUnary(c, 3, KVService.put.path, putMessage("k", "v"));
  const refused = await c.next((f) => f.streamId === 3, "a frame on stream 3");
  assert.equal(refused.type, FrameType.RstStream);
  assert.equal(refused.payload.readUInt32BE(0), ErrorCode.RefusedStream);
  assert.equal(c.closed, false);
  s.pending[0]!(RangeResponse.fromPartial({ count: 5n }));
  const r = await c.response(1);
  assert.equal(r.trailers.get("grpc-status"), "0");
  assert.equal(RangeResponse.decode(decodeMessages(r.body)[0]!).count, 5n);
  await c.closedPromise;
  await s.close();
});

test("forceShutdown(): the socket closes at once", async () => {
  const s = await startServer();
  const c = await RawClient.connect(s.port);
  sendUnary(c, 1, KVService.range.path, grpcMessage(RangeRequest.encode(RangeRequest.fromPartial({ key: Buffer.from("h") })).finish()));
  await sleep(20);
  s.grpc.forceShutdown();
  await c.closedPromise;
  await s.close();
});
