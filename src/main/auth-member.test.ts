// A running member (bin/etcd) with auth enabled, through its gRPC port and its gateway:
// the Auth service answers, root-only calls and key checks refuse a user without the
// permission with etcd's errors, a refused watch carries Go's status text, /health stays healthy.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import {
  AuthService,
  AuthenticateResponse,
  DefragmentRequest,
  KVService,
  MaintenanceService,
  PutRequest,
  RangeRequest,
  StatusRequest,
  WatchRequest,
  WatchService,
  type WatchResponse,
} from "../gen/etcdserverpb/rpc.js";

const BIN = fileURLToPath(new URL("../../../bin/etcd", import.meta.url));

interface UnaryDefinition<Req, Res> {
  path: string;
  requestSerialize(r: Req): Buffer;
  responseDeserialize(b: Buffer): Res;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

let dir: string;
let member: ChildProcess;
let client: grpc.Client;
let base: string;

function call<Req, Res>(def: UnaryDefinition<Req, Res>, request: Req, token?: string): Promise<Res> {
  const md = new grpc.Metadata();
  if (token !== undefined) md.set("token", token);
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(def.path, def.requestSerialize, def.responseDeserialize, request, md, { deadline: Date.now() + 20_000 }, (err, res) =>
      err ? reject(err) : resolve(res!),
    );
  });
}

async function refusal(run: Promise<unknown>): Promise<{ code: number; details: string }> {
  try {
    await run;
  } catch (err) {
    const { code, details } = err as grpc.ServiceError;
    return { code, details };
  }
  throw new Error("the call was not refused");
}

async function login(name: string, password: string): Promise<string> {
  return (await call(AuthService.authenticate, { name, password })).token;
}

function post(path: string, body: unknown, token?: string): Promise<Response> {
  return fetch(`${base}${path}`, { method: "POST", body: JSON.stringify(body), headers: token === undefined ? {} : { authorization: token } });
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "auth-member-"));
  const clientPort = await freePort();
  const peerPort = await freePort();
  base = `http://127.0.0.1:${clientPort}`;
  member = spawn(
    process.execPath,
    [
      BIN,
      `--data-dir=${join(dir, "data")}`,
      `--listen-client-urls=${base}`,
      `--advertise-client-urls=${base}`,
      `--listen-peer-urls=http://127.0.0.1:${peerPort}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${peerPort}`,
      `--initial-cluster=default=http://127.0.0.1:${peerPort}`,
      // The lowest cost bcrypt allows: the test is about the edge, not about hashing.
      "--bcrypt-cost=4",
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      if (output.includes("ready to serve client requests")) resolve();
    };
    member.stdout!.on("data", onData);
    member.stderr!.on("data", onData);
    member.once("exit", (code) => reject(new Error(`the member exited (${code}) before it was ready:\n${output}`)));
  });
  client = new grpc.Client(`127.0.0.1:${clientPort}`, grpc.credentials.createInsecure());
  await call(AuthService.userAdd, { name: "root", password: "secret", options: undefined, hashedPassword: "" });
  await call(AuthService.userGrantRole, { user: "root", role: "root" });
  await call(AuthService.userAdd, { name: "alice", password: "pw", options: undefined, hashedPassword: "" });
  await call(AuthService.authEnable, {});
});

after(async () => {
  client?.close();
  if (member !== undefined && member.exitCode === null) {
    member.kill("SIGTERM");
    await once(member, "exit");
  }
  rmSync(dir, { recursive: true, force: true });
});

describe("a member with auth enabled", { timeout: 120_000 }, () => {
  it("AuthStatus says so; a request without credentials is refused with etcd's error", async () => {
    const status = await call(AuthService.authStatus, {});
    assert.equal(status.enabled, true);
    assert.deepEqual(await refusal(call(KVService.range, RangeRequest.fromPartial({ key: Buffer.from("k") }))), {
      code: grpc.status.INVALID_ARGUMENT,
      details: "etcdserver: user name is empty",
    });
  });

  it("root-only maintenance: refused for a user, served for root; Status stays open", async () => {
    const alice = await login("alice", "pw");
    const root = await login("root", "secret");
    assert.deepEqual(await refusal(call(MaintenanceService.defragment, DefragmentRequest.fromPartial({}), alice)), {
      code: grpc.status.PERMISSION_DENIED,
      details: "etcdserver: permission denied",
    });
    await call(MaintenanceService.defragment, DefragmentRequest.fromPartial({}), root);
    await call(MaintenanceService.status, StatusRequest.fromPartial({}));
  });

  it("a watch the user may not read is canceled with Go's status text as its reason", async () => {
    const alice = await login("alice", "pw");
    const md = new grpc.Metadata();
    md.set("token", alice);
    const def = WatchService.watch;
    const stream = client.makeBidiStreamRequest(def.path, def.requestSerialize, def.responseDeserialize, md, {});
    stream.on("error", () => {});
    const first = new Promise<WatchResponse>((resolve) => stream.once("data", resolve));
    stream.write(WatchRequest.fromPartial({ requestUnion: { $case: "createRequest", value: { key: Buffer.from("secret") } } }));
    const resp = await first;
    stream.cancel();
    assert.equal(resp.canceled, true);
    assert.equal(resp.cancelReason, "rpc error: code = PermissionDenied desc = etcdserver: permission denied");
  });

  it("the gateway: a token from /v3/auth/authenticate in Authorization; none is 'user name is empty'", async () => {
    const login = await post("/v3/auth/authenticate", { name: "root", password: "secret" });
    assert.equal(login.status, 200);
    const { token } = AuthenticateResponse.fromJSON(await login.json());
    const key = Buffer.from("gw").toString("base64");
    assert.equal((await post("/v3/kv/put", { key, value: key }, token)).status, 200);
    const refused = await post("/v3/kv/put", { key, value: key });
    assert.equal(refused.status, 400);
    assert.deepEqual(await refused.json(), { error: "etcdserver: user name is empty", message: "etcdserver: user name is empty", code: 3 });
  });

  it("/health, /livez and /readyz stay healthy", async () => {
    const health = await fetch(`${base}/health`);
    assert.equal(health.status, 200);
    assert.equal(await health.text(), '{"health":"true","reason":""}');
    assert.equal((await fetch(`${base}/livez`)).status, 200);
    assert.equal((await fetch(`${base}/readyz`)).status, 200);
  });

  it("a user with the permission is served", async () => {
    const root = await login("root", "secret");
    await call(AuthService.roleAdd, { name: "app" }, root);
    await call(AuthService.roleGrantPermission, { name: "app", perm: { permType: 2, key: Buffer.from("/app/"), rangeEnd: Buffer.from("/app0") } }, root);
    await call(AuthService.userGrantRole, { user: "alice", role: "app" }, root);
    const alice = await login("alice", "pw");
    await call(KVService.put, PutRequest.fromPartial({ key: Buffer.from("/app/x"), value: Buffer.from("1") }), alice);
    const got = await call(KVService.range, RangeRequest.fromPartial({ key: Buffer.from("/app/x") }), alice);
    assert.equal(got.kvs[0]?.value.toString(), "1");
  });
});
