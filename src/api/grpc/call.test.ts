// ServerCall on a fake HTTP/2 stream: when a handler starts (and when it never does), the stream's
// work accounting, grpc-go's answers to bad call headers, and the bound on a flooded request queue.
import { test } from "node:test";
import assert from "node:assert/strict";
import { KVService, PutRequest, PutResponse, WatchRequest, WatchService } from "../../gen/etcdserverpb/rpc.js";
import type { H2Stream } from "../h2/connection.js";
import { ErrorCode } from "../h2/frames.js";
import { HpackDecoder } from "../h2/hpack.js";
import type { CallContext } from "../rpc/contract.js";
import { bindService, type Method } from "../rpc/methods.js";
import { ServerCall, type CallOptions } from "./call.js";
import { Code, frameMessage, MALFORMED_TIMEOUT, parseTimeout } from "./wire.js";

/** What ServerCall uses of an H2Stream, recording what the call did to it. */
class FakeStream {
  readonly headers: string[] = [":path", "/etcdserverpb.KV/Put", "content-type", "application/grpc"];
  headersSent = false;
  writable = true;
  wantsDrain = false;
  paused = false;
  began = 0;
  ended = 0;
  /** The status the call ended with (decoded trailers), if it did. */
  status: { code: number; message: string | undefined } | undefined;
  resets: ErrorCode[] = [];
  data: Buffer[] = [];

  sendHeaders(): void {
    this.headersSent = true;
  }
  write(bytes: Buffer): boolean {
    this.data.push(bytes);
    return true;
  }
  end(trailers: Buffer): void {
    assert.equal(this.status, undefined, "the call ends once");
    const fields = new HpackDecoder({ maxTableSize: 4096, maxHeaderListSize: 1 << 20 }).decode(trailers);
    const get = (name: string): string | undefined => fields[fields.indexOf(name) + 1];
    this.status = { code: Number(get("grpc-status")), message: fields.includes("grpc-message") ? get("grpc-message") : undefined };
  }
  respond(headers: Buffer, body: Buffer | undefined, trailers: Buffer): void {
    this.sendHeaders();
    if (body !== undefined) this.data.push(body);
    this.end(trailers);
  }
  reset(code: ErrorCode): void {
    this.resets.push(code);
  }
  pauseInput(): void {
    this.paused = true;
  }
  resumeInput(): void {
    this.paused = false;
  }
  beginWork(): void {
    assert.equal(this.began, this.ended, "work begins once at a time");
    this.began++;
  }
  endWork(): void {
    this.ended++;
    assert.ok(this.ended <= this.began, "work ends only after it began");
  }
}

const OPTIONS: CallOptions = { maxReceiveBytes: 1 << 20, encoding: undefined, timeoutMs: undefined, peer: { address: "127.0.0.1:1", certificate: undefined, commonName: undefined, verifiedChain: [] } };

function open(method: Method, options: Partial<CallOptions> = {}): { stream: FakeStream; call: ServerCall } {
  const stream = new FakeStream();
  const call = new ServerCall(stream as unknown as H2Stream, method, { ...OPTIONS, ...options });
  return { stream, call };
}

function putMethod(handler: (req: PutRequest, ctx: CallContext) => Promise<PutResponse>): Method {
  return bindService(KVService, { put: handler }).find((m) => m.info.name === "Put")!;
}

const putBytes = (key: string): Buffer => frameMessage(Buffer.from(PutRequest.encode(PutRequest.fromPartial({ key: Buffer.from(key) })).finish()));
const watchBytes = (n: number): Buffer =>
  frameMessage(Buffer.from(WatchRequest.encode(WatchRequest.fromPartial({ requestUnion: { $case: "createRequest", value: { key: Buffer.from(String(n)) } } })).finish()));
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

function deferred<T = void>(): { promise: Promise<T>; resolve(value: T): void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** A Put handler that counts its starts and answers when the test says (or rejects when its call is aborted). */
function controlledPut() {
  const started: CallContext[] = [];
  const answers: ((r: PutResponse) => void)[] = [];
  const method = putMethod(
    (_req, ctx) =>
      new Promise<PutResponse>((resolve, reject) => {
        started.push(ctx);
        answers.push(resolve);
        ctx.cancellation.addEventListener("abort", () => reject(ctx.cancellation.reason ?? new Error("aborted")));
      }),
  );
  return { method, started, answers };
}

test("a unary request reset in the same read never starts its handler", async () => {
  const { method, started } = controlledPut();
  const { stream, call } = open(method);
  call.onData(putBytes("k"));
  call.onEnd();
  call.onReset(); // the RST_STREAM parsed from the same socket read
  await tick();
  assert.equal(started.length, 0);
  assert.equal(stream.began, 0);
  assert.equal(stream.ended, 0);
  assert.equal(call.cancellation.reason?.code, Code.CANCELLED);
});

test("a unary handler starts after the read, once; its work ends when it answers", async () => {
  const { method, started, answers } = controlledPut();
  const { stream, call } = open(method);
  call.onData(putBytes("k"));
  call.onEnd();
  assert.equal(started.length, 0, "not inside the read");
  await tick();
  assert.equal(started.length, 1);
  assert.equal(stream.began, 1);
  assert.equal(stream.ended, 0);
  answers[0]!(PutResponse.fromPartial({}));
  await tick();
  assert.equal(stream.ended, 1);
  assert.deepEqual(stream.status, { code: Code.OK, message: undefined });
});

test("a reset mid-handler: the handler is aborted and its work ends once, when its promise settles", async () => {
  const { method, started } = controlledPut();
  const { stream, call } = open(method);
  call.onData(putBytes("k"));
  call.onEnd();
  await tick();
  assert.equal(started.length, 1);
  call.onReset();
  assert.equal(started[0]!.cancellation.aborted, true);
  await tick();
  assert.equal(stream.began, 1);
  assert.equal(stream.ended, 1);
  assert.equal(stream.status, undefined, "nothing is sent on a reset stream");
});

test("a handler that ignores the reset still ends its work when it settles, and nothing is sent", async () => {
  const finish = deferred();
  const { stream, call } = open(
    putMethod(async () => {
      await finish.promise;
      throw new Error("late failure");
    }),
  );
  call.onData(putBytes("k"));
  call.onEnd();
  await tick();
  call.onReset();
  await tick();
  assert.equal(stream.ended, 0, "the work is still running");
  finish.resolve();
  await tick();
  assert.equal(stream.ended, 1);
  assert.equal(stream.status, undefined);
});

test("the deadline mid-handler: DEADLINE_EXCEEDED, and the work ends once when the handler settles", async () => {
  const { method, started } = controlledPut();
  const { stream, call } = open(method, { timeoutMs: parseTimeout("20m") });
  call.onData(putBytes("k"));
  call.onEnd();
  await tick();
  assert.equal(started.length, 1);
  for (let i = 0; i < 500 && stream.status === undefined; i++) await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(stream.status, { code: Code.DEADLINE_EXCEEDED, message: "context deadline exceeded" });
  await tick();
  assert.equal(stream.began, 1);
  assert.equal(stream.ended, 1);
});

test("a deadline already past ends the call before its handler starts", async () => {
  for (const timeout of ["0S", "-1S"]) {
    const { method, started } = controlledPut();
    const { stream, call } = open(method, { timeoutMs: parseTimeout(timeout) });
    call.onData(putBytes("k"));
    call.onEnd();
    await tick();
    assert.equal(started.length, 0, timeout);
    assert.equal(stream.began, 0);
    assert.deepEqual(stream.status, { code: Code.DEADLINE_EXCEEDED, message: "context deadline exceeded" });
  }
});

test("a malformed grpc-timeout resets the stream (PROTOCOL_ERROR, no status), as grpc-go does", async () => {
  const { method, started } = controlledPut();
  const { stream, call } = open(method, { timeoutMs: MALFORMED_TIMEOUT });
  assert.deepEqual(stream.resets, [ErrorCode.ProtocolError]);
  call.onData(putBytes("k"));
  call.onEnd();
  await tick();
  assert.equal(started.length, 0);
  assert.equal(stream.status, undefined);
});

test("an unknown grpc-encoding is UNIMPLEMENTED before any message, as grpc-go answers", async () => {
  const { method, started } = controlledPut();
  const { stream, call } = open(method, { encoding: "snappy" });
  assert.deepEqual(stream.status, { code: Code.UNIMPLEMENTED, message: 'grpc: Decompressor is not installed for grpc-encoding "snappy"' });
  call.onData(putBytes("k"));
  call.onEnd();
  await tick();
  assert.equal(started.length, 0);
});

// ---- bidi ----------------------------------------------------------------------------------

/** A Watch method whose handler is the test's, with a count of the messages decoded. */
function watchMethod(handler: (requests: AsyncIterable<WatchRequest>) => Promise<void>): { method: Method; decoded: { count: number } } {
  const decoded = { count: 0 };
  const bound = bindService(WatchService, { watch: (requests) => handler(requests) })[0]!;
  return {
    decoded,
    method: {
      ...bound,
      decode: (bytes: Buffer) => {
        decoded.count++;
        return bound.decode(bytes);
      },
    },
  };
}

test("a bidi stream opened and reset in the same read never starts its handler", async () => {
  let starts = 0;
  const { method } = watchMethod(async () => {
    starts++;
  });
  const { stream, call } = open(method);
  call.onData(watchBytes(1));
  call.onReset();
  await tick();
  assert.equal(starts, 0);
  assert.equal(stream.began, 0);
});

test("bidi: a message followed by a reset in the same read is not handed to the waiting handler", async () => {
  const got: WatchRequest[] = [];
  const done = deferred();
  const { method } = watchMethod(async (requests) => {
    for await (const r of requests) got.push(r);
    done.resolve();
  });
  const { stream, call } = open(method);
  await tick(); // the handler waits for its first request
  assert.equal(stream.began, 1);
  call.onData(watchBytes(1));
  call.onReset();
  await done.promise;
  assert.deepEqual(got, []);
  await tick();
  assert.equal(stream.ended, 1);
});

test("bidi: a flood of tiny messages in one DATA chunk is held as bytes — at most two decoded — and all arrive in order once read", async () => {
  const N = 20_000;
  const got: number[] = [];
  const first = deferred();
  const readMore = deferred();
  const done = deferred();
  const { method, decoded } = watchMethod(async (requests) => {
    for await (const r of requests) {
      got.push(r.requestUnion?.$case === "createRequest" ? Number(r.requestUnion.value.key.toString()) : -1);
      if (got.length === 1) {
        first.resolve();
        await readMore.promise;
      }
    }
    done.resolve();
  });
  const { stream, call } = open(method);
  await tick();
  call.onData(watchBytes(0));
  await first.promise;
  const flood = Buffer.concat(Array.from({ length: N - 1 }, (_, i) => watchBytes(i + 1)));
  call.onData(flood);
  await tick();
  assert.ok(decoded.count <= 3, `decoded ${decoded.count} of ${N} messages while the handler was not reading`);
  assert.equal(stream.paused, true, "the stream gives the client no more window");
  call.onEnd();
  readMore.resolve();
  await done.promise;
  assert.equal(got.length, N);
  assert.deepEqual(got, Array.from({ length: N }, (_, i) => i));
  await tick();
  assert.deepEqual(stream.status, { code: Code.OK, message: undefined });
  assert.equal(stream.ended, 1);
});
