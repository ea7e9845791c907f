// RFC 9113 rules h2spec checks, one case each, against bare H2Connections over loopback.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import type { H2Stream } from "./connection.js";
import { ErrorCode, Flag, FrameType, Setting } from "./frames.js";
import { encodeHeaders } from "./hpack.js";
import { destroyRawClients, RawClient, requestHeaders, serveH2, type ServedH2 } from "./test-support.js";

const servers: ServedH2[] = [];
after(async () => {
  destroyRawClients();
  for (const s of servers) await s.close();
});

const OK_HEADERS = encodeHeaders([[":status", "200"]]);

/** A server that answers each request, once its body has ended, with "hello" and END_STREAM. */
async function helloServer(): Promise<ServedH2> {
  const s = await serveH2({}, (stream: H2Stream) => {
    stream.listener = {
      onData() {},
      onEnd: () => stream.respondPlain(OK_HEADERS, Buffer.from("hello")),
      onReset() {},
      onDrain() {},
    };
  });
  servers.push(s);
  return s;
}

const GET = (extra: [string, string][] = []): Buffer =>
  encodeHeaders([[":method", "GET"], [":scheme", "http"], [":path", "/"], [":authority", "localhost"], ...extra]);

const u32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};

test("conformance: malformed request headers → RST_STREAM PROTOCOL_ERROR; the connection goes on", async () => {
  const s = await helloServer();
  const c = await RawClient.connect(s.port);
  const bad = [
    encodeHeaders([[":method", "GET"], [":scheme", "http"], [":path", "/"], ["X-Upper", "1"]]),
    encodeHeaders([[":method", "GET"], [":scheme", "http"], [":path", "/"], [":status", "200"]]),
    encodeHeaders([[":method", "GET"], [":scheme", "http"], [":path", ""]]),
    encodeHeaders([[":method", "GET"], [":path", "/"]]),
    encodeHeaders([[":method", "GET"], [":scheme", "http"], [":path", "/"], ["connection", "close"]]),
    encodeHeaders([[":method", "GET"], [":scheme", "http"], [":path", "/"], ["te", "gzip"]]),
    encodeHeaders([[":method", "GET"], [":scheme", "http"], ["accept", "*/*"], [":path", "/"]]),
  ];
  let id = 1;
  for (const block of bad) {
    c.send(FrameType.Headers, Flag.EndHeaders | Flag.EndStream, id, block);
    assert.equal(await c.rstCode(id), ErrorCode.ProtocolError, `block ${id}`);
    id += 2;
  }
  c.send(FrameType.Headers, Flag.EndHeaders | Flag.EndStream, id, GET());
  assert.equal((await c.response(id)).body.toString(), "hello");
});

test("conformance: content-length must equal the DATA received", async () => {
  const s = await helloServer();
  const c = await RawClient.connect(s.port);
  c.send(FrameType.Headers, Flag.EndHeaders, 1, requestHeaders("/x", [["content-length", "4"]]));
  c.send(FrameType.Data, Flag.EndStream, 1, Buffer.from("abc"));
  assert.equal(await c.rstCode(1), ErrorCode.ProtocolError);
  c.send(FrameType.Headers, Flag.EndHeaders, 3, requestHeaders("/x", [["content-length", "2"]]));
  c.send(FrameType.Data, 0, 3, Buffer.from("ab"));
  c.send(FrameType.Data, Flag.EndStream, 3, Buffer.from("c"));
  assert.equal(await c.rstCode(3), ErrorCode.ProtocolError);
  c.send(FrameType.Headers, Flag.EndHeaders, 5, requestHeaders("/x", [["content-length", "3"]]));
  c.send(FrameType.Data, 0, 5, Buffer.from("ab"));
  c.send(FrameType.Data, Flag.EndStream, 5, Buffer.from("c"));
  assert.equal((await c.response(5)).body.toString(), "hello");
});

test("conformance: PRIORITY of the wrong length → FRAME_SIZE_ERROR; a stream depending on itself → PROTOCOL_ERROR", async () => {
  const s = await helloServer();
  const c = await RawClient.connect(s.port);
  c.send(FrameType.Priority, 0, 1, Buffer.alloc(4));
  assert.equal(await c.rstCode(1), ErrorCode.FrameSizeError);
  c.send(FrameType.Priority, 0, 3, Buffer.concat([u32(3), Buffer.from([16])]));
  assert.equal(await c.rstCode(3), ErrorCode.ProtocolError);
  c.send(FrameType.Headers, Flag.EndHeaders | Flag.EndStream | Flag.Priority, 5, Buffer.concat([u32(5), Buffer.from([16]), GET()]));
  assert.equal(await c.rstCode(5), ErrorCode.ProtocolError);
  c.send(FrameType.Headers, Flag.EndHeaders | Flag.EndStream | Flag.Priority, 7, Buffer.concat([u32(1), Buffer.from([16]), GET()]));
  assert.equal((await c.response(7)).body.toString(), "hello");
});

test("conformance: a HEADERS frame too short for the priority fields it announces → FRAME_SIZE_ERROR, not a crash", async () => {
  const s = await helloServer();
  const c = await RawClient.connect(s.port);
  c.send(FrameType.Headers, Flag.EndHeaders | Flag.Priority, 1, Buffer.from([0, 0, 0]));
  assert.equal((await c.goaway()).code, ErrorCode.FrameSizeError);
});

test("conformance: WINDOW_UPDATE and PRIORITY on a half-closed (remote) stream are accepted; DATA on it → STREAM_CLOSED", async () => {
  const s = await helloServer();
  const c = await RawClient.connect(s.port, [[Setting.InitialWindowSize, 0]]);
  c.send(FrameType.Headers, Flag.EndHeaders | Flag.EndStream, 1, GET());
  await c.next((f) => f.streamId === 1 && f.type === FrameType.Headers, "response HEADERS");
  c.send(FrameType.Priority, 0, 1, Buffer.concat([u32(0), Buffer.from([16])]));
  c.windowUpdate(1, 2);
  const first = await c.next((f) => f.streamId === 1 && f.type === FrameType.Data, "DATA");
  assert.equal(first.payload.toString(), "he");
  c.send(FrameType.Data, 0, 1, Buffer.from("late"));
  assert.equal(await c.rstCode(1), ErrorCode.StreamClosed);
  // After a reset the stream is closed: DATA on it is STREAM_CLOSED too.
  c.send(FrameType.Data, 0, 1, Buffer.from("later"));
  assert.equal(await c.rstCode(1), ErrorCode.StreamClosed);
});

test("conformance: WINDOW_UPDATE — 0 on a stream → PROTOCOL_ERROR; past 2^31-1 → FLOW_CONTROL_ERROR; on an idle stream → GOAWAY", async () => {
  const s = await helloServer();
  const c = await RawClient.connect(s.port, [[Setting.InitialWindowSize, 0]]);
  c.send(FrameType.Headers, Flag.EndHeaders | Flag.EndStream, 1, GET());
  c.windowUpdate(1, 0);
  assert.equal(await c.rstCode(1), ErrorCode.ProtocolError);
  c.send(FrameType.Headers, Flag.EndHeaders, 3, GET()); // the request stays open: no answer yet
  c.windowUpdate(3, 2 ** 31 - 1);
  c.windowUpdate(3, 1);
  assert.equal(await c.rstCode(3), ErrorCode.FlowControlError);
  c.windowUpdate(9, 1);
  const g = await c.goaway();
  assert.equal(g.code, ErrorCode.ProtocolError);
  assert.equal(g.lastStreamId, 3);
  await c.closedPromise;
});

test("conformance: DATA with padding longer than the frame → GOAWAY PROTOCOL_ERROR, even on a closed stream", async () => {
  const s = await helloServer();
  const c = await RawClient.connect(s.port);
  c.send(FrameType.Headers, Flag.EndHeaders | Flag.EndStream, 1, GET());
  await c.response(1);
  c.send(FrameType.Data, Flag.Padded, 1, Buffer.from([9, 1, 2]));
  assert.equal((await c.goaway()).code, ErrorCode.ProtocolError);
});

test("conformance: the client's first frame must be SETTINGS", async () => {
  const s = await helloServer();
  const c = await RawClient.connect(s.port, "no SETTINGS");
  c.send(FrameType.Ping, 0, 0, Buffer.alloc(8));
  assert.equal((await c.goaway()).code, ErrorCode.ProtocolError);
  await c.closedPromise;
});
