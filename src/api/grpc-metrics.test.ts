import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import {
  DeleteRangeRequest,
  KVClient,
  KVService,
  PutRequest,
  PutResponse,
  RangeRequest,
  RangeResponse,
  WatchClient,
  WatchRequest,
  WatchResponse,
  WatchService,
} from "../gen/etcdserverpb/rpc.js";
import { EtcdError } from "../pkg/errors.js";
import { ServerMetrics } from "../server/metrics/metrics.js";
import { GrpcServer } from "./grpc/server.js";
import { listenForTest, type ListeningForTest } from "./grpc/test-support.js";
import { GrpcMetrics } from "./grpc-metrics.js";

const metrics = new ServerMetrics({ processMetrics: false });
const grpcMetrics = new GrpcMetrics(metrics);
metrics.onScrape(() => grpcMetrics.flush());
let listening: ListeningForTest;
let kv: InstanceType<typeof KVClient>;
let watch: InstanceType<typeof WatchClient>;

before(async () => {
  const server = new GrpcServer({ maxConcurrentStreams: 100, keepaliveIntervalMs: 0, keepaliveTimeoutMs: 20_000, maxReceiveBytes: 1 << 20 });
  server.addService(
    KVService,
    {
      range: async (req) => {
        if (req.key.length === 0) throw new EtcdError("EmptyKey");
        return RangeResponse.fromPartial({});
      },
      put: async () => PutResponse.fromPartial({}),
      // deleteRange, txn, compact missing: UNIMPLEMENTED, counted
    },
    [grpcMetrics],
  );
  server.addService(
    WatchService,
    {
      // Two responses per request; a cancel request ends the stream from the server side,
      // else it lasts until the client cancels it (as a watch stream does after a half-close).
      watch: async (requests, sink, ctx) => {
        const cancelled = new Promise<void>((resolve) => ctx.cancellation.addEventListener("abort", () => resolve()));
        for await (const req of requests) {
          if (req.requestUnion?.$case === "cancelRequest") return;
          if (req.requestUnion?.$case === "progressRequest") {
            // Five responses in one batch write (the watch fast path).
            sink.writeBatch(Array.from({ length: 5 }, () => WatchResponse.fromPartial({})));
            continue;
          }
          sink.write(WatchResponse.fromPartial({ created: true }));
          sink.write(WatchResponse.fromPartial({}));
        }
        await cancelled;
      },
    },
    [grpcMetrics],
  );
  listening = await listenForTest(server);
  kv = new KVClient(listening.address, grpc.credentials.createInsecure());
  watch = new WatchClient(listening.address, grpc.credentials.createInsecure());
});

after(async () => {
  kv.close();
  watch.close();
  await listening.close();
});

function unaryCall<Req>(method: (req: Req, cb: (err: grpc.ServiceError | null) => void) => unknown, req: Req): Promise<number> {
  return new Promise((resolve) => method.call(kv, req, (err) => resolve(err ? err.code : 0)));
}

function line(text: string, name: string, labels: string): string | undefined {
  return text.split("\n").find((l) => l.startsWith(`${name}{`) && labels.split(",").every((kv) => l.includes(kv)));
}

test("every method is listed at zero before any call, as go-grpc-prometheus does", async () => {
  const text = await metrics.render();
  assert.match(line(text, "grpc_server_handled_total", 'grpc_method="Txn",grpc_code="Unavailable"') ?? "", / 0$/);
  assert.match(line(text, "grpc_server_started_total", 'grpc_type="bidi_stream",grpc_service="etcdserverpb.Watch"') ?? "", / 0$/);
});

test("unary calls, their codes and messages; unimplemented methods; a bidi stream", async () => {
  assert.equal(await unaryCall(kv.range, RangeRequest.fromPartial({ key: Buffer.from("a") })), 0);
  assert.equal(await unaryCall(kv.range, RangeRequest.fromPartial({ key: Buffer.from("b") })), 0);
  assert.equal(await unaryCall(kv.range, RangeRequest.fromPartial({})), grpc.status.INVALID_ARGUMENT);
  assert.equal(await unaryCall(kv.put, PutRequest.fromPartial({ key: Buffer.from("a") })), 0);
  assert.equal(await unaryCall(kv.deleteRange, DeleteRangeRequest.fromPartial({})), grpc.status.UNIMPLEMENTED);

  const stream = watch.watch();
  let received = 0;
  stream.on("data", () => received++);
  const ended = new Promise<void>((resolve) => stream.on("end", () => resolve()));
  stream.write(WatchRequest.fromPartial({}));
  stream.write(WatchRequest.fromPartial({}));
  stream.write(WatchRequest.fromPartial({}));
  stream.write(WatchRequest.fromPartial({ requestUnion: { $case: "cancelRequest", value: { watchId: 0n } } }));
  await ended;
  assert.equal(received, 6);
  await new Promise((r) => setTimeout(r, 50));

  const text = await metrics.render();
  const range = 'grpc_service="etcdserverpb.KV",grpc_method="Range"';
  assert.match(line(text, "grpc_server_started_total", range) ?? "", / 3$/);
  assert.match(line(text, "grpc_server_msg_received_total", range) ?? "", / 3$/);
  assert.match(line(text, "grpc_server_msg_sent_total", range) ?? "", / 2$/);
  assert.match(line(text, "grpc_server_handled_total", `${range},grpc_code="OK"`) ?? "", / 2$/);
  assert.match(line(text, "grpc_server_handled_total", `${range},grpc_code="InvalidArgument"`) ?? "", / 1$/);
  assert.match(line(text, "grpc_server_handled_total", 'grpc_method="DeleteRange",grpc_code="Unimplemented"') ?? "", / 1$/);
  const w = 'grpc_type="bidi_stream",grpc_service="etcdserverpb.Watch",grpc_method="Watch"';
  assert.match(line(text, "grpc_server_started_total", w) ?? "", / 1$/);
  assert.match(line(text, "grpc_server_msg_received_total", w) ?? "", / 4$/);
  assert.match(line(text, "grpc_server_msg_sent_total", w) ?? "", / 6$/);
  assert.match(line(text, "grpc_server_handled_total", `${w},grpc_code="OK"`) ?? "", / 1$/);

  // A second scrape adds only what happened since the first.
  assert.equal(await unaryCall(kv.range, RangeRequest.fromPartial({ key: Buffer.from("c") })), 0);
  const again = await metrics.render();
  assert.match(line(again, "grpc_server_started_total", range) ?? "", / 4$/);
  assert.match(line(again, "grpc_server_msg_sent_total", w) ?? "", / 6$/);
});

test("a cancelled stream is counted once, as Canceled", async () => {
  const stream = watch.watch();
  stream.on("error", () => {});
  stream.write(WatchRequest.fromPartial({ requestUnion: { $case: "progressRequest", value: {} } }));
  await new Promise((r) => setTimeout(r, 50));
  stream.cancel();
  await new Promise((r) => setTimeout(r, 100));
  const text = await metrics.render();
  assert.match(line(text, "grpc_server_handled_total", 'grpc_method="Watch",grpc_code="Canceled"') ?? "", / 1$/);
  assert.match(line(text, "grpc_server_started_total", 'grpc_method="Watch"') ?? "", / 2$/);
  assert.match(line(text, "grpc_server_msg_sent_total", 'grpc_method="Watch"') ?? "", / 11$/, "6 written one by one + 5 in a batch");
});
