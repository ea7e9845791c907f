// The gRPC server on our HTTP/2, as grpc-js clients see it.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { once } from "node:events";
import * as http2 from "node:http2";
import { setTimeout as sleep } from "node:timers/promises";
import * as grpc from "@grpc/grpc-js";
import {
  DeleteRangeRequest,
  KVService,
  PutRequest,
  PutResponse,
  RangeRequest,
  RangeResponse,
  WatchRequest,
  WatchResponse,
  WatchService,
} from "../../gen/etcdserverpb/rpc.js";
import type { CallContext, ResponseSink } from "../rpc/contract.js";
import { RpcError } from "../rpc/contract.js";
import { bindService, type Method as ServedMethod } from "../rpc/methods.js";
import { GrpcServer, type GrpcServerOptions } from "./server.js";
import { listenForTest, type ListeningForTest } from "./test-support.js";
import { frameMessage } from "./wire.js";

const MiB = 1024 * 1024;

interface Harness extends ListeningForTest {
  grpc: GrpcServer;
}

const openHarnesses = new Set<Harness>();
const openClients = new Set<grpc.Client>();

after(async () => {
  for (const c of openClients) c.close();
  for (const h of openHarnesses) await h.close();
});

/** A GrpcServer with `methods` (see bindService), listening on a free loopback port. */
async function startServer(methods: readonly ServedMethod[], options: Partial<GrpcServerOptions> = {}): Promise<Harness> {
  const grpcServer = new GrpcServer({
    maxConcurrentStreams: 2 ** 31 - 1,
    keepaliveIntervalMs: 0,
    keepaliveTimeoutMs: 20_000,
    maxReceiveBytes: 4 * MiB,
    ...options,
  });
  grpcServer.addMethods(methods);
  const listening = await listenForTest(grpcServer);
  const closeListening = listening.close;
  const harness: Harness = Object.assign(listening, {
    grpc: grpcServer,
    close: async () => {
      openHarnesses.delete(harness);
      await closeListening();
    },
  });
  openHarnesses.add(harness);
  return harness;
}

function client(h: Harness, options: grpc.ClientOptions = {}): grpc.Client {
  const c = new grpc.Client(h.address, grpc.credentials.createInsecure(), options);
  openClients.add(c);
  return c;
}

function closeClient(c: grpc.Client): void {
  openClients.delete(c);
  c.close();
}

interface Method<Req, Res> {
  path: string;
  requestSerialize(value: Req): Buffer;
  responseDeserialize(bytes: Buffer): Res;
}

function unary<Req, Res>(c: grpc.Client, method: Method<Req, Res>, request: Req, metadata = new grpc.Metadata(), options: grpc.CallOptions = {}): Promise<Res> {
  return new Promise((resolve, reject) => {
    c.makeUnaryRequest(method.path, method.requestSerialize, method.responseDeserialize, request, metadata, options, (err, value) => {
      if (err) reject(err);
      else resolve(value!);
    });
  });
}

function bidi<Req, Res>(c: grpc.Client, method: Method<Req, Res>, options: grpc.CallOptions = {}): grpc.ClientDuplexStream<Req, Res> {
  return c.makeBidiStreamRequest(method.path, method.requestSerialize, method.responseDeserialize, new grpc.Metadata(), options);
}

/** Asserts a rejected call's gRPC status. */
async function rejectsWith(promise: Promise<unknown>, code: grpc.status, details?: string | RegExp): Promise<void> {
  await assert.rejects(promise, (err: grpc.ServiceError) => {
    assert.equal(err.code, code, `status ${err.code} (${err.details})`);
    if (typeof details === "string") assert.equal(err.details, details);
    else if (details !== undefined) assert.match(err.details, details);
    return true;
  });
}

/** Resolves when `cond` holds, polling. */
async function until(cond: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) assert.fail(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

function deferred<T = void>(): { promise: Promise<T>; resolve(value: T): void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

const key = (text: string): Buffer => Buffer.from(text);

/** A tiny KV: Put stores, Range reads one key; DeleteRange's key picks an error behaviour. */
function kvService(seen: { hasleader?: string | undefined } = {}): ServedMethod[] {
  const store = new Map<string, Buffer>();
  return bindService(KVService, {
    put: async (req) => {
      store.set(req.key.toString("latin1"), req.value);
      // Odd leases answer on a later turn of the event loop.
      if (req.lease % 2n !== 0n) await new Promise((r) => setImmediate(r));
      return PutResponse.fromPartial({ header: { revision: BigInt(req.value.length), raftTerm: BigInt(req.lease) } });
    },
    range: async (req, ctx) => {
      seen.hasleader = ctx.metadata("hasleader");
      const value = store.get(req.key.toString("latin1"));
      return RangeResponse.fromPartial({
        kvs: value === undefined ? [] : [{ key: req.key, value }],
        count: value === undefined ? 0n : 1n,
      });
    },
    // "throw": a handler that throws instead of returning a promise; "reject": a rejected promise; else an async throw.
    deleteRange: (req) => {
      const what = req.key.toString();
      if (what === "throw") throw new Error("handler blew up");
      if (what === "reject") return Promise.reject(new RpcError(grpc.status.FAILED_PRECONDITION, req.rangeEnd.toString("utf8")));
      return (async () => {
        throw new RpcError(grpc.status.INVALID_ARGUMENT, req.rangeEnd.toString("utf8"));
      })();
    },
  });
}

// ---- unary ---------------------------------------------------------------------------

test("unary: Put then Range, with request metadata visible to the handler", async () => {
  const seen: { hasleader?: string | undefined } = {};
  const h = await startServer(kvService(seen));
  const c = client(h);
  const put = await unary(c, KVService.put, PutRequest.fromPartial({ key: key("foo"), value: key("bar"), lease: 2n }));
  assert.equal(put.header?.revision, 3n);
  assert.equal(put.header?.raftTerm, 2n);
  const md = new grpc.Metadata();
  md.set("hasleader", "true");
  const got = await unary(c, KVService.range, RangeRequest.fromPartial({ key: key("foo") }), md);
  assert.equal(got.count, 1n);
  assert.equal(got.kvs[0]?.value.toString(), "bar");
  assert.equal(seen.hasleader, "true");
  const missing = await unary(c, KVService.range, RangeRequest.fromPartial({ key: key("nope") }));
  assert.equal(missing.count, 0n);
  assert.equal(seen.hasleader, undefined);
  // An empty request message (zero bytes) and an empty response.
  const empty = await unary(c, KVService.range, RangeRequest.fromPartial({}));
  assert.deepEqual(empty.kvs, []);
  closeClient(c);
  await h.close();
});

test("unary: error statuses round-trip code and details exactly", async () => {
  const h = await startServer(kvService());
  const c = client(h);
  const details = "étcdserver: 100% 失败 %41 %%25 #?&=+;/ tab\there 😀 end";
  await rejectsWith(unary(c, KVService.deleteRange, DeleteRangeRequest.fromPartial({ key: key("cb"), rangeEnd: key(details) })), grpc.status.INVALID_ARGUMENT, details);
  await rejectsWith(unary(c, KVService.deleteRange, DeleteRangeRequest.fromPartial({ key: key("reject"), rangeEnd: key(details) })), grpc.status.FAILED_PRECONDITION, details);
  await rejectsWith(unary(c, KVService.deleteRange, DeleteRangeRequest.fromPartial({ key: key("throw") })), grpc.status.UNKNOWN, /handler blew up/);
  // Spaces at either end (which an HTTP/2 field value may not have raw).
  for (const spaced of [" leading", "trailing ", "  both  ", " "]) {
    await rejectsWith(unary(c, KVService.deleteRange, DeleteRangeRequest.fromPartial({ key: key("cb"), rangeEnd: key(spaced) })), grpc.status.INVALID_ARGUMENT, spaced);
  }
  // Trailers larger than one frame go out as HEADERS + CONTINUATION.
  const long = "long details é ".repeat(2000);
  await rejectsWith(unary(c, KVService.deleteRange, DeleteRangeRequest.fromPartial({ key: key("cb"), rangeEnd: key(long) })), grpc.status.INVALID_ARGUMENT, long);
  // The connection is fine after errors.
  await unary(c, KVService.put, PutRequest.fromPartial({ key: key("a"), value: key("b") }));
  assert.equal(h.accepted, 1);
  closeClient(c);
  await h.close();
});

test("unary: unknown method and unknown service are UNIMPLEMENTED with grpc-go's words", async () => {
  const h = await startServer(kvService());
  const c = client(h);
  const raw = (path: string): Method<Buffer, Buffer> => ({ path, requestSerialize: (b) => b, responseDeserialize: (b) => b });
  await rejectsWith(unary(c, raw("/etcdserverpb.KV/Foo"), Buffer.alloc(0)), grpc.status.UNIMPLEMENTED, "unknown method Foo for service etcdserverpb.KV");
  await rejectsWith(unary(c, raw("/x.Y/Z"), Buffer.alloc(0)), grpc.status.UNIMPLEMENTED, "unknown service x.Y");
  // A request body that does not parse.
  await rejectsWith(unary(c, raw(KVService.put.path), Buffer.from([0xff, 0xff, 0xff])), grpc.status.INTERNAL);
  await unary(c, KVService.put, PutRequest.fromPartial({ key: key("a"), value: key("b") }));
  closeClient(c);
  await h.close();
});

// ---- large messages ----------------------------------------------------------------

test("large messages both ways; over the limit is RESOURCE_EXHAUSTED and the connection lives on", async () => {
  const h = await startServer(kvService(), { maxReceiveBytes: 4 * MiB });
  const c = client(h, { "grpc.max_receive_message_length": 8 * MiB });
  const value = Buffer.alloc(3 * MiB);
  for (let i = 0; i < value.length; i++) value[i] = (i * 7 + (i >> 11)) & 0xff;
  const put = await unary(c, KVService.put, PutRequest.fromPartial({ key: key("big"), value, lease: 1n }));
  assert.equal(put.header?.revision, BigInt(value.length));
  // Two at once, so both windows are shared.
  const [a, b] = await Promise.all([
    unary(c, KVService.range, RangeRequest.fromPartial({ key: key("big") })),
    unary(c, KVService.range, RangeRequest.fromPartial({ key: key("big") })),
  ]);
  assert.ok(a.kvs[0]!.value.equals(value));
  assert.ok(b.kvs[0]!.value.equals(value));

  await rejectsWith(
    unary(c, KVService.put, PutRequest.fromPartial({ key: key("huge"), value: Buffer.alloc(5 * MiB, 1) })),
    grpc.status.RESOURCE_EXHAUSTED,
  );
  const after = await unary(c, KVService.put, PutRequest.fromPartial({ key: key("small"), value: key("ok") }));
  assert.equal(after.header?.revision, 2n);
  const again = await unary(c, KVService.range, RangeRequest.fromPartial({ key: key("big") }));
  assert.ok(again.kvs[0]!.value.equals(value));
  assert.equal(h.accepted, 1);
  closeClient(c);
  await h.close();
});

test("compressed requests from grpc-js (gzip) are decoded", async () => {
  const h = await startServer(kvService());
  const c = client(h, { "grpc.default_compression_algorithm": 2 });
  const value = Buffer.alloc(200_000, 0x41);
  const put = await unary(c, KVService.put, PutRequest.fromPartial({ key: key("gz"), value }));
  assert.equal(put.header?.revision, 200_000n);
  assert.ok([...h.sockets][0]!.bytesRead < 50_000, "the request travelled compressed");
  const got = await unary(c, KVService.range, RangeRequest.fromPartial({ key: key("gz") }));
  assert.ok(got.kvs[0]!.value.equals(value));
  closeClient(c);
  await h.close();
});

// ---- concurrency -------------------------------------------------------------------

test("2,000 concurrent unary calls on one connection are all answered correctly", async () => {
  const h = await startServer(kvService());
  const c = client(h);
  const calls = Array.from({ length: 2000 }, (_, i) =>
    unary(c, KVService.put, PutRequest.fromPartial({ key: key(`k${i}`), value: Buffer.alloc(i % 300, 1), lease: BigInt(i) })),
  );
  const results = await Promise.all(calls);
  results.forEach((r, i) => {
    assert.equal(r.header?.revision, BigInt(i % 300));
    assert.equal(r.header?.raftTerm, BigInt(i));
  });
  assert.equal(h.accepted, 1);
  closeClient(c);
  await h.close();
});

test("maxConcurrentStreams 4: 100 calls still complete", async () => {
  let inFlight = 0;
  let most = 0;
  const h = await startServer(
    bindService(KVService, {
      put: async (req) => {
        inFlight++;
        most = Math.max(most, inFlight);
        await sleep(1);
        inFlight--;
        return PutResponse.fromPartial({ header: { revision: req.lease } });
      },
    }),
    { maxConcurrentStreams: 4 },
  );
  const c = client(h);
  const results = await Promise.all(Array.from({ length: 100 }, (_, i) => unary(c, KVService.put, PutRequest.fromPartial({ key: key("k"), lease: BigInt(i) }))));
  results.forEach((r, i) => assert.equal(r.header?.revision, BigInt(i)));
  assert.ok(most <= 4, `at most 4 handlers at once, saw ${most}`);
  closeClient(c);
  await h.close();
});

// ---- bidi streams --------------------------------------------------------------------

const watchReq = (n: number): WatchRequest => WatchRequest.fromPartial({ requestUnion: { $case: "createRequest", value: { key: key(String(n)) } } });
const watchRes = (n: number, pad = 0): WatchResponse => WatchResponse.fromPartial({ watchId: BigInt(n), cancelReason: "x".repeat(pad) });
const reqNumber = (r: WatchRequest): number => (r.requestUnion?.$case === "createRequest" ? Number(r.requestUnion.value.key.toString()) : -1);

test("bidi: messages in order both ways; half-close ends the requests; resolving is status OK", async () => {
  const serverGot: number[] = [];
  const ended = deferred();
  const h = await startServer(
    bindService(WatchService, {
      watch: async (requests, sink) => {
        for await (const r of requests) {
          const n = reqNumber(r);
          serverGot.push(n);
          sink.write(watchRes(n * 2));
        }
        ended.resolve();
        sink.write(watchRes(-1));
      },
    }),
  );
  const c = client(h);
  const s = bidi(c, WatchService.watch);
  const got: number[] = [];
  s.on("data", (r: WatchResponse) => got.push(Number(r.watchId)));
  const status = once(s, "status");
  const N = 500;
  for (let i = 0; i < N; i++) s.write(watchReq(i));
  s.end();
  const [st] = (await status) as [grpc.StatusObject];
  await ended.promise;
  assert.equal(st.code, grpc.status.OK);
  assert.deepEqual(serverGot, Array.from({ length: N }, (_, i) => i));
  assert.deepEqual(got, [...Array.from({ length: N }, (_, i) => i * 2), -1]);
  closeClient(c);
  await h.close();
});

test("bidi: write() returns false while the client does not read; ready() after it reads; nothing lost", async () => {
  let next = 0;
  let total = -1;
  let clientReading = false;
  let waiting = false;
  let lastFalseAt = 0;
  let falses = 0;
  const drainedAfterRead = deferred();
  const h = await startServer(
    bindService(WatchService, {
      watch: async (requests, sink) => {
        await requests[Symbol.asyncIterator]().next();
        // The client's transport takes in some of what it is sent before its reader stops it: keep filling.
        for (;;) {
          while (sink.write(watchRes(next++, 1000))) {
            if (next > 100_000) throw new Error("write() never returned false");
          }
          falses++;
          lastFalseAt = Date.now();
          waiting = true;
          await sink.ready();
          waiting = false;
          if (clientReading) break;
        }
        drainedAfterRead.resolve();
        for (let k = 0; k < 20; k++) sink.write(watchRes(next++, 1000));
        total = next;
      },
    }),
  );
  const c = client(h);
  const s = bidi(c, WatchService.watch);
  const status = once(s, "status");
  // The client reads one message, then pauses its stream (grpc-js then stops taking data from HTTP/2).
  const got: number[] = [];
  s.on("data", (r: WatchResponse) => {
    got.push(Number(r.watchId));
    if (got.length === 1) s.pause();
  });
  s.write(watchReq(0));
  // Stalled: write() said false and ready() has not resolved for a while.
  await until(() => waiting && Date.now() - lastFalseAt > 150, "the server's writes to stall");
  assert.ok(falses < 50, `the client stopped taking data (${falses} refills)`);
  const stalledAt = next;
  assert.ok(got.length < stalledAt);
  clientReading = true;
  s.resume();
  await drainedAfterRead.promise;
  assert.ok(next > stalledAt);
  const [st] = (await status) as [grpc.StatusObject];
  assert.equal(st.code, grpc.status.OK);
  await until(() => got.length >= total, "every message");
  assert.deepEqual(got, Array.from({ length: total }, (_, i) => i));
  s.end();
  closeClient(c);
  await h.close();
});

test("bidi: client cancel → the call's cancellation aborts, its requests end, its sink closes", async () => {
  const started = deferred<{ sink: ResponseSink<WatchResponse>; ctx: CallContext }>();
  const cancelled = deferred();
  const requestsEnded = deferred();
  const h = await startServer(
    bindService(WatchService, {
      watch: async (requests, sink, ctx) => {
        ctx.cancellation.addEventListener("abort", () => cancelled.resolve());
        for await (const _ of requests) started.resolve({ sink, ctx });
        requestsEnded.resolve();
      },
    }),
  );
  const c = client(h);
  const s = bidi(c, WatchService.watch);
  const err = once(s, "error");
  s.write(watchReq(1));
  const { sink, ctx } = await started.promise;
  assert.equal(ctx.cancellation.aborted, false);
  assert.equal(sink.closed, false);
  s.cancel();
  await cancelled.promise;
  await requestsEnded.promise;
  assert.equal(ctx.cancellation.aborted, true);
  assert.equal(ctx.cancellation.reason?.code, grpc.status.CANCELLED);
  assert.equal(ctx.signal.aborted, true, "a signal asked for after the cancel is already aborted");
  assert.equal(sink.closed, true);
  const [e] = (await err) as [grpc.ServiceError];
  assert.equal(e.code, grpc.status.CANCELLED);
  // A write after the cancel is refused quietly.
  assert.equal(sink.write(watchRes(1)), false);
  closeClient(c);
  await h.close();
});

test("bidi: requests are delivered only as the handler reads them, in order", async () => {
  const got: number[] = [];
  const first = deferred();
  const readMore = deferred();
  const ended = deferred();
  const h = await startServer(
    bindService(WatchService, {
      watch: async (requests) => {
        const it = requests[Symbol.asyncIterator]();
        const r0 = await it.next();
        got.push(reqNumber(r0.value!));
        first.resolve();
        await readMore.promise;
        for (let r = await it.next(); r.done !== true; r = await it.next()) got.push(reqNumber(r.value));
        ended.resolve();
      },
    }),
  );
  const c = client(h);
  const s = bidi(c, WatchService.watch);
  const status = once(s, "status");
  s.write(watchReq(0));
  await first.promise;
  for (let i = 1; i <= 50; i++) s.write(watchReq(i));
  s.end();
  await sleep(100);
  assert.deepEqual(got, [0]);
  readMore.resolve();
  await ended.promise;
  assert.deepEqual(got, Array.from({ length: 51 }, (_, i) => i));
  const [st] = (await status) as [grpc.StatusObject];
  assert.equal(st.code, grpc.status.OK);
  closeClient(c);
  await h.close();
});

test("bidi: a handler that does not read pushes back on a flooding client (flow control), then catches up", async () => {
  const got: number[] = [];
  const first = deferred();
  const readMore = deferred();
  const h = await startServer(
    bindService(WatchService, {
      watch: async (requests) => {
        for await (const r of requests) {
          got.push(reqNumber(r));
          if (got.length === 1) {
            first.resolve();
            await readMore.promise;
          }
        }
      },
    }),
  );
  const c = client(h);
  const s = bidi(c, WatchService.watch);
  const status = once(s, "status");
  const pad = "p".repeat(16 * 1024);
  const big = (n: number): WatchRequest =>
    WatchRequest.fromPartial({ requestUnion: { $case: "createRequest", value: { key: key(String(n)), rangeEnd: key(pad) } } });
  s.write(big(0));
  await first.promise;
  // 4 MiB against a 1 MiB stream window: the client must stop after about 1 MiB.
  const N = 256;
  for (let i = 1; i < N; i++) s.write(big(i));
  s.end();
  await sleep(200);
  const [socket] = [...h.sockets];
  assert.ok(socket!.bytesRead < 1.5 * MiB, `the server took in ${socket!.bytesRead} bytes while the handler did not read`);
  assert.deepEqual(got, [0]);
  readMore.resolve();
  const [st] = (await status) as [grpc.StatusObject];
  assert.equal(st.code, grpc.status.OK);
  assert.deepEqual(got, Array.from({ length: N }, (_, i) => i));
  closeClient(c);
  await h.close();
});

// ---- deadlines -----------------------------------------------------------------------

/** A Range handler that never answers and reports its context, then its abort. */
function hangingRange(arrived: { resolve(ctx: CallContext): void }, aborted: { resolve(ctx: CallContext): void }): ServedMethod[] {
  return bindService(KVService, {
    range: (_req, ctx) =>
      new Promise(() => {
        ctx.cancellation.addEventListener("abort", () => aborted.resolve(ctx));
        arrived.resolve(ctx);
      }),
  });
}

test("deadline: a handler that never answers → DEADLINE_EXCEEDED, and the server call is cancelled", async () => {
  const arrived = deferred<CallContext>();
  const cancelled = deferred<CallContext>();
  const h = await startServer(hangingRange(arrived, cancelled));
  // A raw HTTP/2 client that sends grpc-timeout and never cancels: the server's
  // own deadline ends the call (grpc-js would race it with a reset of its own).
  const session = http2.connect(`http://${h.address}`);
  const stream = session.request({ ":method": "POST", ":path": "/etcdserverpb.KV/Range", "content-type": "application/grpc", te: "trailers", "grpc-timeout": "100m" });
  // A status without a response message comes as a trailers-only response (one HEADERS frame).
  const trailers = new Promise<http2.IncomingHttpHeaders>((resolve) => {
    stream.once("response", (headers) => {
      if (headers["grpc-status"] !== undefined) resolve(headers);
    });
    stream.once("trailers", resolve);
  });
  stream.end(frameMessage(Buffer.from(RangeRequest.encode(RangeRequest.fromPartial({ key: key("x") })).finish())));
  stream.resume();
  const seen = await arrived.promise;
  assert.ok(seen.deadline !== undefined && seen.deadline > Date.now() - 1000 && seen.deadline <= Date.now() + 200, "the context carries the deadline");
  assert.equal(seen.method, "/etcdserverpb.KV/Range");
  const status = await trailers;
  assert.equal(status["grpc-status"], String(grpc.status.DEADLINE_EXCEEDED));
  assert.equal(status["grpc-message"], "context deadline exceeded");
  const ctx = await cancelled.promise;
  assert.equal(ctx.cancellation.aborted, true);
  assert.equal(ctx.cancellation.reason?.code, grpc.status.DEADLINE_EXCEEDED);
  session.close();
  await h.close();
});

test("deadline: a deadline past setTimeout's range (30 days) does not expire at once", async () => {
  const h = await startServer(
    bindService(KVService, {
      put: async () => {
        await sleep(30);
        return PutResponse.fromPartial({ header: { revision: 7n } });
      },
    }),
  );
  const c = client(h);
  const farAway = Date.now() + 30 * 24 * 3600 * 1000;
  const put = await unary(c, KVService.put, PutRequest.fromPartial({ key: key("far") }), new grpc.Metadata(), { deadline: farAway });
  assert.equal(put.header?.revision, 7n);
  closeClient(c);
  await h.close();
});

// ---- keepalive, shutdown -------------------------------------------------------------

test("keepalive: a grpc-js client (which answers pings) stays connected", async () => {
  // A generous answer timeout: a loaded machine must not make this flaky.
  const h = await startServer(kvService(), { keepaliveIntervalMs: 50, keepaliveTimeoutMs: 2000 });
  const c = client(h);
  await unary(c, KVService.put, PutRequest.fromPartial({ key: key("a"), value: key("b") }));
  await sleep(400);
  assert.equal(h.sockets.size, 1);
  await unary(c, KVService.put, PutRequest.fromPartial({ key: key("a"), value: key("c") }));
  assert.equal(h.accepted, 1);
  closeClient(c);
  await h.close();
});

test("forceShutdown closes connections; in-flight calls fail and are cancelled on the server", async () => {
  const arrived = deferred<CallContext>();
  const cancelled = deferred<CallContext>();
  const h = await startServer(hangingRange(arrived, cancelled));
  const c = client(h);
  const pending = unary(c, KVService.range, RangeRequest.fromPartial({ key: key("x") }));
  const ctx = await arrived.promise;
  assert.match(ctx.peer.address, /^127\.0\.0\.1:\d+$/);
  h.grpc.forceShutdown();
  await rejectsWith(pending, grpc.status.UNAVAILABLE);
  await cancelled.promise;
  await until(() => h.sockets.size === 0, "the socket to close");
  closeClient(c);
  await h.close();
});

test("close() sends GOAWAY; in-flight calls complete, then the connection closes", async () => {
  const arrived = deferred<(response: RangeResponse) => void>();
  const h = await startServer(
    bindService(KVService, {
      range: () => new Promise<RangeResponse>((resolve) => arrived.resolve(resolve)),
    }),
  );
  const c = client(h);
  const pending = unary(c, KVService.range, RangeRequest.fromPartial({ key: key("x") }));
  const answer = await arrived.promise;
  h.grpc.close();
  await sleep(50);
  assert.equal(h.sockets.size, 1, "the connection stays while a call is open");
  answer(RangeResponse.fromPartial({ count: 42n }));
  const res = await pending;
  assert.equal(res.count, 42n);
  await until(() => h.sockets.size === 0, "the connection to close after its last call");
  closeClient(c);
  await h.close();
});
