// The Auth service and the root-only checks, wired as the member wires them (createGrpcServer),
// against fake server interfaces: which calls reach the server, with which credentials, and
// which are refused before their handler runs.
import { after, before, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import { AlarmRequest, AlarmRequest_AlarmAction, AuthService, ClusterService, KVService, MaintenanceService, RangeRequest } from "../gen/etcdserverpb/rpc.js";
import { EtcdError } from "../pkg/errors.js";
import type { AuthApi, Credentials, HeaderSource } from "../server/api.js";
import { tcpEndpoint } from "./client-endpoints.js";
import { ClientListener } from "./client-listener.js";
import { createGrpcServer, type ApiBackends } from "./grpc-server.js";
import { boundPort } from "./listen-socket.js";

type Definition = {
  path: string;
  requestSerialize(r: never): Buffer;
  responseDeserialize(b: Buffer): unknown;
  requestDeserialize(b: Buffer): unknown;
};

/** Every call that reached a fake: method name and credentials. */
const reached: { name: string; creds: Credentials | undefined }[] = [];
const admin = { checks: 0, refuse: undefined as EtcdError | undefined };
const state = { learner: false, leader: true };

/** A fake whose every method records the call and answers the empty response of `service`'s method. */
function recording<T>(service: Record<string, Definition>, names: Record<string, string>): T {
  const api: Record<string, unknown> = {};
  for (const [method, key] of Object.entries(names)) {
    api[method] = (_req: unknown, _signal: unknown, creds?: Credentials) => {
      reached.push({ name: method, creds });
      return Promise.resolve(service[key]!.responseDeserialize(Buffer.alloc(0)));
    };
  }
  return api as T;
}

const AUTH_METHODS = Object.keys(AuthService);

const authApi: AuthApi = {
  ...recording<AuthApi>(AuthService as unknown as Record<string, Definition>, Object.fromEntries(AUTH_METHODS.map((m) => [m, m]))),
  checkAdmin: (creds) => {
    admin.checks++;
    reached.push({ name: "checkAdmin", creds });
    return admin.refuse === undefined ? Promise.resolve() : Promise.reject(admin.refuse);
  },
};

const header: HeaderSource = {
  header: () => ({ clusterId: 1n, memberId: 2n, revision: 3n, raftTerm: 4n }),
  hasLeader: () => state.leader,
  isLearner: () => state.learner,
};

function backends(auth: AuthApi | undefined): ApiBackends {
  return {
    kv: recording(KVService as unknown as Record<string, Definition>, { range: "range", put: "put", deleteRange: "deleteRange", txn: "txn", compact: "compact" }),
    maintenance: recording(MaintenanceService as unknown as Record<string, Definition>, {
      moveLeader: "moveLeader",
      alarm: "alarm",
      defragment: "defragment",
      status: "status",
      hash: "hash",
      hashKV: "hashKv",
    }),
    cluster: recording(ClusterService as unknown as Record<string, Definition>, {
      memberList: "memberList",
      memberAdd: "memberAdd",
      memberRemove: "memberRemove",
      memberUpdate: "memberUpdate",
      memberPromote: "memberPromote",
    }),
    header,
    ...(auth !== undefined ? { auth } : {}),
  };
}

interface Served {
  client: grpc.Client;
  close(): Promise<void>;
}

async function serve(b: ApiBackends): Promise<Served> {
  const server = createGrpcServer(b, { maxRequestBytes: 1 << 20, maxTxnOps: 128, maxConcurrentStreams: 0, keepaliveIntervalMs: 0, keepaliveTimeoutMs: 20_000, keepaliveMinTimeMs: 5_000 });
  const listener = new ClientListener(server.connections, (_req, res) => res.end());
  const port = boundPort(await listener.listen(tcpEndpoint("127.0.0.1", 0)));
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  return {
    client,
    close: async () => {
      client.close();
      server.shutdown();
      await listener.close();
    },
  };
}

function metadata(entries: Record<string, string>): grpc.Metadata {
  const md = new grpc.Metadata();
  for (const [k, v] of Object.entries(entries)) md.set(k, v);
  return md;
}

/** One unary call; resolves with the status error, or undefined on success. */
function unary(client: grpc.Client, def: Definition, request: unknown, md: grpc.Metadata = new grpc.Metadata()): Promise<grpc.ServiceError | undefined> {
  return new Promise((resolve) => {
    client.makeUnaryRequest(def.path, def.requestSerialize as (r: unknown) => Buffer, def.responseDeserialize, request, md, {}, (err) => resolve(err ?? undefined));
  });
}

/** The request a method decodes from no bytes (every field at its default). */
function emptyRequest(def: Definition): unknown {
  return def.requestDeserialize(Buffer.alloc(0));
}

function reset(): void {
  reached.length = 0;
  admin.checks = 0;
  admin.refuse = undefined;
  state.learner = false;
  state.leader = true;
}

describe("the Auth service", () => {
  let served: Served;
  before(async () => (served = await serve(backends(authApi))));
  after(() => served.close());
  beforeEach(reset);

  it("every RPC reaches the server with the call's token; Authenticate with none", async () => {
    for (const name of AUTH_METHODS) {
      const def = (AuthService as unknown as Record<string, Definition>)[name]!;
      reached.length = 0;
      const err = await unary(served.client, def, emptyRequest(def), metadata({ token: "tok" }));
      assert.equal(err, undefined, `${name}: ${err?.message}`);
      assert.deepEqual(reached, [{ name, creds: name === "authenticate" ? undefined : { token: "tok", commonName: undefined } }], name);
    }
  });

  it("the server's errors reach the client with etcd's code and text", async () => {
    const failing: AuthApi = { ...authApi, userAdd: () => Promise.reject(new EtcdError("UserAlreadyExist")), authEnable: () => Promise.reject(new EtcdError("RootUserNotExist")) };
    const s = await serve(backends(failing));
    try {
      const add = await unary(s.client, AuthService.userAdd as unknown as Definition, emptyRequest(AuthService.userAdd as unknown as Definition));
      assert.equal(add?.code, grpc.status.FAILED_PRECONDITION);
      assert.equal(add?.details, "etcdserver: user name already exists");
      const enable = await unary(s.client, AuthService.authEnable as unknown as Definition, emptyRequest(AuthService.authEnable as unknown as Definition));
      assert.equal(enable?.details, "etcdserver: root user does not exist");
    } finally {
      await s.close();
    }
  });

  it("a member without an Auth backend answers Unimplemented, as before", async () => {
    const s = await serve(backends(undefined));
    try {
      const err = await unary(s.client, AuthService.authStatus as unknown as Definition, emptyRequest(AuthService.authStatus as unknown as Definition));
      assert.equal(err?.code, grpc.status.UNIMPLEMENTED);
    } finally {
      await s.close();
    }
  });
});

describe("root-only methods", () => {
  let served: Served;
  before(async () => (served = await serve(backends(authApi))));
  after(() => served.close());
  beforeEach(reset);

  const maintenance = MaintenanceService as unknown as Record<string, Definition>;
  const cluster = ClusterService as unknown as Record<string, Definition>;
  const alarm = (action: AlarmRequest_AlarmAction): AlarmRequest => AlarmRequest.fromPartial({ action });
  const rootOnly: [string, Definition, unknown][] = [
    ["Defragment", maintenance["defragment"]!, emptyRequest(maintenance["defragment"]!)],
    ["Hash", maintenance["hash"]!, emptyRequest(maintenance["hash"]!)],
    ["HashKV", maintenance["hashKv"]!, emptyRequest(maintenance["hashKv"]!)],
    ["MoveLeader", maintenance["moveLeader"]!, emptyRequest(maintenance["moveLeader"]!)],
    ["Alarm ACTIVATE", maintenance["alarm"]!, alarm(AlarmRequest_AlarmAction.ACTIVATE)],
    ["Alarm DEACTIVATE", maintenance["alarm"]!, alarm(AlarmRequest_AlarmAction.DEACTIVATE)],
    ["MemberAdd", cluster["memberAdd"]!, emptyRequest(cluster["memberAdd"]!)],
    ["MemberRemove", cluster["memberRemove"]!, emptyRequest(cluster["memberRemove"]!)],
    ["MemberUpdate", cluster["memberUpdate"]!, emptyRequest(cluster["memberUpdate"]!)],
    ["MemberPromote", cluster["memberPromote"]!, emptyRequest(cluster["memberPromote"]!)],
  ];
  const open: [string, Definition, unknown][] = [
    ["Status", maintenance["status"]!, emptyRequest(maintenance["status"]!)],
    ["Alarm GET", maintenance["alarm"]!, alarm(AlarmRequest_AlarmAction.GET)],
    ["MemberList", cluster["memberList"]!, emptyRequest(cluster["memberList"]!)],
    ["Range", (KVService as unknown as Record<string, Definition>)["range"]!, RangeRequest.fromPartial({ key: Buffer.from("k") })],
  ];

  it("are refused with the server's answer before their handler runs", async () => {
    admin.refuse = new EtcdError("PermissionDenied");
    for (const [what, def, request] of rootOnly) {
      reached.length = 0;
      const err = await unary(served.client, def, request, metadata({ token: "user-token" }));
      assert.equal(err?.code, grpc.status.PERMISSION_DENIED, what);
      assert.equal(err?.details, "etcdserver: permission denied", what);
      assert.deepEqual(reached, [{ name: "checkAdmin", creds: { token: "user-token", commonName: undefined } }], what);
    }
  });

  it("run once the caller is admitted (root, or auth off)", async () => {
    for (const [what, def, request] of rootOnly) {
      reached.length = 0;
      assert.equal(await unary(served.client, def, request), undefined, what);
      assert.equal(reached.length, 2, what);
      assert.equal(reached[0]!.name, "checkAdmin", what);
    }
  });

  it("Snapshot is checked too (a stream)", async () => {
    admin.refuse = new EtcdError("UserEmpty");
    const def = maintenance["snapshot"]!;
    const err = await new Promise<grpc.ServiceError>((resolve) => {
      const call = served.client.makeServerStreamRequest(def.path, def.requestSerialize as (r: unknown) => Buffer, def.responseDeserialize, emptyRequest(def), new grpc.Metadata(), {});
      call.on("data", () => {});
      call.on("error", resolve);
    });
    assert.equal(err.code, grpc.status.INVALID_ARGUMENT);
    assert.equal(err.details, "etcdserver: user name is empty");
    assert.equal(admin.checks, 1);
  });

  it("Status, Alarm GET, MemberList and the KV methods are not root's", async () => {
    admin.refuse = new EtcdError("PermissionDenied");
    for (const [what, def, request] of open) {
      assert.equal(await unary(served.client, def, request), undefined, what);
    }
    assert.equal(admin.checks, 0);
  });

  it("are checked after the learner and leader checks, as etcd orders them", async () => {
    admin.refuse = new EtcdError("PermissionDenied");
    state.learner = true;
    const learner = await unary(served.client, maintenance["defragment"]!, emptyRequest(maintenance["defragment"]!));
    assert.equal(learner?.details, "etcdserver: rpc not supported for learner");
    state.learner = false;
    state.leader = false;
    const leaderless = await unary(served.client, maintenance["defragment"]!, emptyRequest(maintenance["defragment"]!), metadata({ hasleader: "true" }));
    assert.equal(leaderless?.details, "etcdserver: no leader");
    assert.equal(admin.checks, 0);
  });
});
