/**
 * A live watch whose user loses the permission, on real etcd 3.4.23 and ours
 * — one of the deliberate differences (README): etcd checks a watch only
 * when it is created and keeps sending it events after the user's role is
 * revoked or the user deleted; ours cancels it at the change ("permission
 * denied" as its cancel reason), so no event committed after the change
 * reaches the user. Both sides are asserted: real etcd's leak (which proves
 * the script sees events at all) and our cancel.
 */
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, test } from "node:test";
import { Permission_Type } from "../../src/gen/authpb/auth.js";
import {
  AuthEnableRequest,
  AuthRoleAddRequest,
  AuthRoleGrantPermissionRequest,
  AuthService,
  AuthUserAddRequest,
  AuthUserDeleteRequest,
  AuthUserGrantRoleRequest,
  AuthUserRevokeRoleRequest,
  KVService,
  PutRequest,
  WatchRequest,
  WatchResponse,
  WatchService,
} from "../../src/gen/etcdserverpb/rpc.js";
import { startServers, type Flavor, type ServerProcess } from "../harness/server-process.js";
import { FLAVORS } from "./flavors.js";
import { Probe } from "./probe.js";

const b = (s: string): Buffer => Buffer.from(s);
/** How long a put's event may take to arrive on a loaded machine; its absence is judged after this too. */
const EVENT_WAIT_MS = 3000;

/** A watch of w/ as alice that records what it is sent. */
class RecordingWatch {
  readonly events: string[] = [];
  cancelReason: string | undefined;
  private readonly client: grpc.Client;
  private readonly stream: grpc.ClientDuplexStream<WatchRequest, WatchResponse>;
  private readonly created: Promise<void>;

  constructor(endpoint: string, token: string) {
    this.client = new grpc.Client(endpoint, grpc.credentials.createInsecure());
    const metadata = new grpc.Metadata();
    metadata.set("token", token);
    const def = WatchService.watch;
    this.stream = this.client.makeBidiStreamRequest(def.path, def.requestSerialize, def.responseDeserialize, metadata);
    // The stream ends in an error only when close() cancels it: nothing to record.
    this.stream.on("error", () => undefined);
    this.created = new Promise((resolve) => {
      this.stream.on("data", (res: WatchResponse) => {
        if (res.created) resolve();
        if (res.canceled) this.cancelReason = res.cancelReason;
        for (const event of res.events) this.events.push(event.kv?.key.toString() ?? "");
      });
    });
    this.stream.write(WatchRequest.fromPartial({ requestUnion: { $case: "createRequest", value: { key: b("w/"), rangeEnd: b("w0") } } }));
  }

  whenCreated(): Promise<void> {
    return this.created;
  }

  close(): void {
    this.stream.cancel();
    this.client.close();
  }
}

describe("a live watch whose user loses the permission: real etcd keeps sending, ours cancels", () => {
  let servers: ServerProcess[] = [];
  const probes = new Map<ServerProcess, Probe>();
  before(async () => {
    servers = await startServers(FLAVORS.map((flavor) => ({ flavor, extraArgs: ["--bcrypt-cost", "4"] })));
    await Promise.all(
      servers.map(async (server) => {
        const probe = new Probe(server.endpoint);
        probes.set(server, probe);
        for (const name of ["root", "alice", "bob"]) await probe.must(AuthService.userAdd, AuthUserAddRequest.fromPartial({ name, password: `${name}-pw` }));
        await probe.must(AuthService.roleAdd, AuthRoleAddRequest.fromPartial({ name: "root" }));
        await probe.must(AuthService.userGrantRole, AuthUserGrantRoleRequest.fromPartial({ user: "root", role: "root" }));
        await probe.must(AuthService.roleAdd, AuthRoleAddRequest.fromPartial({ name: "watcher" }));
        await probe.must(AuthService.roleGrantPermission, AuthRoleGrantPermissionRequest.fromPartial({ name: "watcher", perm: { permType: Permission_Type.READ, key: b("w/"), rangeEnd: b("w0") } }));
        for (const user of ["alice", "bob"]) await probe.must(AuthService.userGrantRole, AuthUserGrantRoleRequest.fromPartial({ user, role: "watcher" }));
        await probe.must(AuthService.authEnable, AuthEnableRequest.fromPartial({}));
      }),
    );
  });
  after(async () => {
    for (const probe of probes.values()) probe.close();
    await Promise.all(servers.map((server) => server.stop()));
  });

  /** Watches w/ as `user`, puts w/before, applies `change` as root, puts w/after; returns what the watch saw. */
  async function watchAcross(server: ServerProcess, user: string, change: (probe: Probe, root: string) => Promise<unknown>): Promise<{ events: string[]; cancelReason: string | undefined }> {
    const probe = probes.get(server)!;
    const root = await probe.login("root", "root-pw");
    const watch = new RecordingWatch(server.endpoint, await probe.login(user, `${user}-pw`));
    try {
      await watch.whenCreated();
      await probe.must(KVService.put, PutRequest.fromPartial({ key: b(`w/${user}-before`), value: b("1") }), root);
      await change(probe, root);
      await probe.must(KVService.put, PutRequest.fromPartial({ key: b(`w/${user}-after`), value: b("2") }), root);
      await sleep(EVENT_WAIT_MS);
      return { events: [...watch.events], cancelReason: watch.cancelReason };
    } finally {
      watch.close();
    }
  }

  const expected = (flavor: Flavor, user: string): { events: string[]; cancelReason: string | undefined } =>
    flavor === "real"
      ? { events: [`w/${user}-before`, `w/${user}-after`], cancelReason: undefined }
      : { events: [`w/${user}-before`], cancelReason: "rpc error: code = PermissionDenied desc = etcdserver: permission denied" };

  test("the user's role is revoked", async () => {
    const seen = await Promise.all(servers.map((server) => watchAcross(server, "alice", (probe, root) => probe.must(AuthService.userRevokeRole, AuthUserRevokeRoleRequest.fromPartial({ name: "alice", role: "watcher" }), root))));
    for (const [i, server] of servers.entries()) assert.deepEqual(seen[i], expected(server.flavor, "alice"), server.flavor);
  });

  test("the user is deleted", async () => {
    const seen = await Promise.all(servers.map((server) => watchAcross(server, "bob", (probe, root) => probe.must(AuthService.userDelete, AuthUserDeleteRequest.fromPartial({ name: "bob" }), root))));
    for (const [i, server] of servers.entries()) assert.deepEqual(seen[i], expected(server.flavor, "bob"), server.flavor);
  });
});
