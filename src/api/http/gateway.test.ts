/**
 * The gateway in front of a fake gRPC server (grpc-js, raw bytes): errors
 * that must become answers rather than reach the process (undecodable
 * responses, no address to call, bad requests), and the metadata its calls
 * carry (the token, the gateway's mark).
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import * as grpc from "@grpc/grpc-js";
import { nullLogger } from "../../pkg/logger.js";
import { Gateway } from "./gateway.js";
import { ProtoSchema } from "./proto-schema.js";

const identity = (b: Buffer): Buffer => b;
const method = (path: string, requestStream: boolean, responseStream: boolean): grpc.MethodDefinition<Buffer, Buffer> => ({
  path,
  requestStream,
  responseStream,
  requestSerialize: identity,
  requestDeserialize: identity,
  responseSerialize: identity,
  responseDeserialize: identity,
});

/** Not valid protobuf: a field header with wire type 7. */
const GARBAGE = Buffer.from([0x0f, 0xff, 0xff]);

let grpcServer: grpc.Server;
let grpcPort = 0;
let httpServer: Server;
let gatewayUrl = "";
let gateway: Gateway;
/** The metadata of the last UserList call the fake server received. */
let lastMetadata: grpc.Metadata | undefined;

before(async () => {
  grpcServer = new grpc.Server();
  grpcServer.addService(
    {
      Watch: method("/etcdserverpb.Watch/Watch", true, true),
      Range: method("/etcdserverpb.KV/Range", false, false),
      UserList: method("/etcdserverpb.Auth/UserList", false, false),
    },
    {
      // A request with key "garbage" is answered with bytes that are no WatchResponse.
      Watch: (call: grpc.ServerDuplexStream<Buffer, Buffer>) => {
        call.on("data", (message: Buffer) => {
          if (message.includes("garbage")) call.write(GARBAGE);
        });
        call.on("end", () => call.end());
      },
      Range: (_call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => callback(null, GARBAGE),
      UserList: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
        lastMetadata = call.metadata;
        callback(null, Buffer.alloc(0));
      },
    },
  );
  grpcPort = await new Promise<number>((resolve, reject) =>
    grpcServer.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port))),
  );
  gateway = new Gateway({ schema: ProtoSchema.generated(), target: () => ({ address: `127.0.0.1:${grpcPort}`, credentials: grpc.credentials.createInsecure() }), maxMessageBytes: 1 << 20, logger: nullLogger });
  httpServer = createServer((req, res) => gateway.serve(req, res, req.url ?? "/"));
  await new Promise<void>((resolve) => httpServer.listen(0, "127.0.0.1", resolve));
  gatewayUrl = `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}`;
});

after(async () => {
  gateway.close();
  httpServer.closeAllConnections();
  await new Promise((resolve) => httpServer.close(resolve));
  grpcServer.forceShutdown();
});

function postText(url: string, body: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: "POST", headers }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (text += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

test("a stream response that is not a valid message ends the answer with an error, and the gateway goes on", { timeout: 30_000 }, async () => {
  const r = await postText(`${gatewayUrl}/v3/watch`, JSON.stringify({ create_request: { key: Buffer.from("garbage").toString("base64") } }));
  const last = JSON.parse(r.body.trim().split("\n").at(-1)!) as { error: { grpc_code: number; message: string } };
  assert.equal(last.error.grpc_code, 2, r.body);
  const again = await postText(`${gatewayUrl}/v3/kv/range`, "{}");
  assert.equal(again.status, 500, again.body);
  assert.equal((JSON.parse(again.body) as { code: number }).code, 2);
});

test("bad requests and an unreachable target are answered, never thrown", { timeout: 30_000 }, async () => {
  const unbound = new Gateway({
    schema: ProtoSchema.generated(),
    target: () => {
      throw new Error("gateway: no client address bound yet");
    },
    maxMessageBytes: 1 << 20,
    logger: nullLogger,
  });
  const server = createServer((req, res) => unbound.serve(req, res, req.url ?? "/"));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    for (const path of ["/v3/kv/range", "/v3/watch"]) {
      const r = await postText(`${url}${path}`, '{"key":"YQ=="}');
      assert.equal(r.status, 500, `${path}: ${r.body}`);
      assert.match(r.body, /no client address bound yet/);
    }
    const bad = await postText(`${url}/v3/kv/range`, '{"key":"%%%"}');
    assert.equal(bad.status, 400, bad.body);
    assert.match(bad.body, /illegal base64 data at input byte 0/);
  } finally {
    unbound.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

test("/v3/auth routes reach the Auth service; Authorization becomes the token; every call carries the gateway's mark", { timeout: 30_000 }, async () => {
  const r = await postText(`${gatewayUrl}/v3/auth/user/list`, "{}", { authorization: "abc.7" });
  assert.equal(r.status, 200, r.body);
  assert.deepEqual(lastMetadata?.get("token"), ["abc.7"]);
  assert.equal(lastMetadata?.get("grpcgateway-accept").length, 1, "marked as a gateway call, so the member's certificate is never taken for a user");
  const second = await postText(`${gatewayUrl}/v3/auth/user/list`, "{}");
  assert.equal(second.status, 200, second.body);
  const received = lastMetadata as grpc.Metadata | undefined;
  assert.deepEqual(received?.get("token"), []);
  assert.equal(received?.get("grpcgateway-accept").length, 1);
});
