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
import { unary } from "./grpc-adapter.js";
import { countMessagesSent, GrpcMetrics } from "./grpc-metrics.js";

const metrics = new ServerMetrics({ processMetrics: false });
const grpcMetrics = new GrpcMetrics(metrics);
metrics.onScrape(() => grpcMetrics.flush());
let server: grpc.Server;
let kv: InstanceType<typeof KVClient>;
let watch: InstanceType<typeof WatchClient>;

before(async () => {
  server = new grpc.Server();
  grpcMetrics.instrument(server);
  server.addService(KVService, {
    range: unary<RangeRequest, RangeResponse>(async (req) => {
      if (req.key.length === 0) throw new EtcdError("EmptyKey");
      return RangeResponse.fromPartial({});
    }),
    put: unary<PutRequest, PutResponse>(async () => PutResponse.fromPartial({})),
    // deleteRange, txn, compact missing: UNIMPLEMENTED, counted
  });
  server.addService(WatchService, {
    watch(call: grpc.ServerDuplexStream<WatchRequest, WatchResponse>) {
      // Two responses per request; a cancel request ends the stream from the server side.
      call.on("data", (req: WatchRequest) => {
        if (req.requestUnion?.$case === "cancelRequest") {
          call.end();
          return;
        }
        if (req.requestUnion?.$case === "progressRequest") {
          // As a handler that writes frames to the HTTP/2 stream itself would report them.
          countMessagesSent(call, 5);
          return;
        }
        call.write(WatchResponse.fromPartial({ created: true }));
        call.write(WatchResponse.fromPartial({}));

      });
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  kv = new KVClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  watch = new WatchClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
});

after(() => {
  kv.close();
  watch.close();
  server.forceShutdown();
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
  assert.match(line(text, "grpc_server_msg_sent_total", 'grpc_method="Watch"') ?? "", / 11$/, "6 written + 5 reported");
});
