// Our gRPC server against clients that write raw HTTP/2 frames: requests reset as soon as they are
// sent (the rapid-reset pattern, CVE-2023-44487) start no work, and a bidi stream flooded with tiny
// messages holds no more than a couple of them decoded.
import { afterEach, test } from "node:test";
import assert from "node:assert/strict";
import { once } from "node:events";
import { connect, type Socket } from "node:net";
import { KVService, PutRequest, PutResponse, WatchRequest, WatchService } from "../../gen/etcdserverpb/rpc.js";
import { CLIENT_PREFACE, ErrorCode, Flag, FRAME_HEADER_LENGTH, FrameType } from "../h2/frames.js";
import { encodeHeaders } from "../h2/hpack.js";
import { bindService, type Method } from "../rpc/methods.js";
import { GrpcServer } from "./server.js";
import { listenForTest, type ListeningForTest } from "./test-support.js";
import { frameMessage } from "./wire.js";

function frame(type: FrameType, flags: number, streamId: number, payload: Buffer): Buffer {
  const out = Buffer.alloc(FRAME_HEADER_LENGTH + payload.length);
  out.writeUIntBE(payload.length, 0, 3);
  out[3] = type;
  out[4] = flags;
  out.writeUInt32BE(streamId, 5);
  payload.copy(out, FRAME_HEADER_LENGTH);
  return out;
}

const requestHeaders = (path: string): Buffer =>
  encodeHeaders([
    [":method", "POST"],
    [":scheme", "http"],
    [":path", path],
    [":authority", "127.0.0.1"],
    ["content-type", "application/grpc"],
    ["te", "trailers"],
  ]);

function rstStream(streamId: number): Buffer {
  const code = Buffer.alloc(4);
  code.writeUInt32BE(ErrorCode.Cancel);
  return frame(FrameType.RstStream, 0, streamId, code);
}

const putMessage = (key: string): Buffer => frameMessage(Buffer.from(PutRequest.encode(PutRequest.fromPartial({ key: Buffer.from(key), value: Buffer.from("v") })).finish()));

/** What a test opened, closed after it whether it passed or not. */
const opened: { servers: ListeningForTest[]; sockets: Socket[] } = { servers: [], sockets: [] };

afterEach(async () => {
  for (const s of opened.sockets.splice(0)) s.destroy();
  for (const h of opened.servers.splice(0)) await h.close();
});

async function serve(methods: readonly Method[]): Promise<ListeningForTest> {
  const server = new GrpcServer({ maxConcurrentStreams: 100, keepaliveIntervalMs: 0, keepaliveTimeoutMs: 20_000, maxReceiveBytes: 1 << 20 });
  server.addMethods(methods);
  const h = await listenForTest(server);
  opened.servers.push(h);
  return h;
}

/** A raw connection that has sent the preface and its SETTINGS, and discards what the server sends. */
async function rawClient(port: number): Promise<Socket> {
  const socket = connect(port, "127.0.0.1");
  opened.sockets.push(socket);
  await once(socket, "connect");
  socket.on("data", () => {});
  socket.on("error", () => {});
  socket.write(Buffer.concat([CLIENT_PREFACE, frame(FrameType.Settings, 0, 0, Buffer.alloc(0))]));
  return socket;
}

function deferred(): { promise: Promise<void>; resolve(): void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

// 500 resets: enough to show it (before the fix every one started), and below the reset rates at
// which an HTTP/2 server may rightly close the connection instead.
test("rapid reset: 500 Puts, each followed at once by RST_STREAM in the same write, start (almost) no handler", async () => {
  const N = 500;
  let started = 0;
  const lastArrived = deferred();
  const h = await serve(
    bindService(KVService, {
      put: async (req) => {
        if (req.key.toString() === "last") lastArrived.resolve();
        else started++;
        return PutResponse.fromPartial({});
      },
    }),
  );
  const socket = await rawClient(h.port);
  const headers = requestHeaders("/etcdserverpb.KV/Put");
  const frames: Buffer[] = [];
  for (let i = 0; i < N; i++) {
    const id = 1 + 2 * i;
    frames.push(frame(FrameType.Headers, Flag.EndHeaders, id, headers), frame(FrameType.Data, Flag.EndStream, id, putMessage(`k${i}`)), rstStream(id));
  }
  // One Put that is not reset: once it runs, every frame before it was read.
  const lastId = 1 + 2 * N;
  frames.push(frame(FrameType.Headers, Flag.EndHeaders, lastId, headers), frame(FrameType.Data, Flag.EndStream, lastId, putMessage("last")));
  socket.write(Buffer.concat(frames));
  const closed = once(socket, "close").then(() => assert.fail("the server closed the connection"));
  await Promise.race([lastArrived.promise, closed]);
  // Only a request whose RST_STREAM fell into the next socket read can start: one per 64 KiB read at most.
  assert.ok(started <= 5, `${started} of ${N} reset Puts started their handler`);
});

test("a bidi stream flooded with tiny messages in full DATA frames keeps at most a few decoded, and loses none", async () => {
  const N = 30_000;
  const got: number[] = [];
  const first = deferred();
  const readMore = deferred();
  const done = deferred();
  let decoded = 0;
  const watch = bindService(WatchService, {
    watch: async (requests) => {
      for await (const r of requests) {
        got.push(r.requestUnion?.$case === "createRequest" ? Number(r.requestUnion.value.key.toString()) : -1);
        if (got.length === 1) {
          first.resolve();
          await readMore.promise;
        }
      }
      done.resolve();
    },
  })[0]!;
  const h = await serve([
    {
      ...watch,
      decode: (bytes: Buffer) => {
        decoded++;
        return watch.decode(bytes);
      },
    },
  ]);
  const socket = await rawClient(h.port);
  const message = (n: number): Buffer =>
    frameMessage(Buffer.from(WatchRequest.encode(WatchRequest.fromPartial({ requestUnion: { $case: "createRequest", value: { key: Buffer.from(String(n)) } } })).finish()));
  socket.write(Buffer.concat([frame(FrameType.Headers, Flag.EndHeaders, 1, requestHeaders("/etcdserverpb.Watch/Watch")), frame(FrameType.Data, 0, 1, message(0))]));
  await first.promise;
  // ~13-byte messages, packed into DATA frames of up to 16 KiB: ~400 KB, inside the 1 MiB stream window.
  const body = Buffer.concat(Array.from({ length: N - 1 }, (_, i) => message(i + 1)));
  const frames: Buffer[] = [];
  for (let at = 0; at < body.length; at += 16_384) frames.push(frame(FrameType.Data, 0, 1, body.subarray(at, at + 16_384)));
  frames.push(frame(FrameType.Data, Flag.EndStream, 1, Buffer.alloc(0)));
  socket.write(Buffer.concat(frames));
  // Wait until the server has taken in every byte, then count what it decoded.
  const total = CLIENT_PREFACE.length + body.length;
  for (let i = 0; i < 500 && [...h.sockets][0]!.bytesRead < total; i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok([...h.sockets][0]!.bytesRead >= total, "the server read the whole flood");
  assert.ok(decoded <= 3, `${decoded} of ${N} messages decoded while the handler was not reading`);
  readMore.resolve();
  await done.promise;
  assert.deepEqual(got, Array.from({ length: N }, (_, i) => i));
});
