/**
 * The users, roles and keys of the auth matrix, set up the same way on a
 * fresh server of either flavor, and the token each column of the matrix
 * calls with.
 *
 *   root   root role                    (password root-pw)
 *   alice  role writer: readwrite m/…   (the user with the permission)
 *   bob    role other-reader: read o/…  (a user without it)
 *   ghost  no role; logged in, then deleted (a deleted user's token)
 *
 * Keys: m/a (alice may read and write it), secret/x (only root); a long
 * lease with m/kept attached (KeepAlive, TimeToLive and Leases are asked
 * about it).
 */
import { setTimeout as sleep } from "node:timers/promises";
import { Permission_Type } from "../../src/gen/authpb/auth.js";
import {
  AuthEnableRequest,
  AuthRoleAddRequest,
  AuthRoleGrantPermissionRequest,
  AuthService,
  AuthUserAddRequest,
  AuthUserDeleteRequest,
  AuthUserGrantRoleRequest,
  KVService,
  LeaseGrantRequest,
  LeaseService,
  PutRequest,
} from "../../src/gen/etcdserverpb/rpc.js";
import type { ServerProcess } from "../harness/server-process.js";
import { Probe } from "./probe.js";

export const IDENTITIES = ["no token", "malformed token", "expired token", "deleted user", "without permission", "with permission", "root"] as const;
export type Identity = (typeof IDENTITIES)[number];

/** --auth-token-ttl of the matrix servers (seconds): short, so that a token left unused expires during set-up. */
export const TOKEN_TTL_SECONDS = 2;
/** Both servers' flags: simple tokens that expire quickly, cheap bcrypt (the matrix logs in a few hundred times). */
export const MATRIX_SERVER_ARGS = ["--auth-token", "simple", "--auth-token-ttl", String(TOKEN_TTL_SECONDS), "--bcrypt-cost", "4"];

export const PASSWORDS = { root: "root-pw", alice: "alice-pw", bob: "bob-pw", ghost: "ghost-pw" } as const;

const b = (s: string): Buffer => Buffer.from(s);

export interface MatrixServer {
  readonly server: ServerProcess;
  readonly probe: Probe;
  /** The lease with m/kept attached. */
  readonly keptLease: bigint;
  /** A token for the identity, fresh (logged in now) for the users that exist. */
  tokenFor(identity: Identity): Promise<string | undefined>;
  /** A fresh root token. */
  rootToken(): Promise<string>;
  close(): void;
}

/** Users, roles, keys and the kept lease, then auth on; waits until the expired token has expired. */
export async function prepareMatrixServer(server: ServerProcess): Promise<MatrixServer> {
  const probe = new Probe(server.endpoint);
  for (const [name, password] of Object.entries(PASSWORDS)) await probe.must(AuthService.userAdd, AuthUserAddRequest.fromPartial({ name, password }));
  await probe.must(AuthService.roleAdd, AuthRoleAddRequest.fromPartial({ name: "root" }));
  await probe.must(AuthService.userGrantRole, AuthUserGrantRoleRequest.fromPartial({ user: "root", role: "root" }));
  await grantRole(probe, "writer", Permission_Type.READWRITE, "m/", "m0", "alice");
  await grantRole(probe, "other-reader", Permission_Type.READ, "o/", "o0", "bob");
  await probe.must(KVService.put, PutRequest.fromPartial({ key: b("m/a"), value: b("1") }));
  await probe.must(KVService.put, PutRequest.fromPartial({ key: b("secret/x"), value: b("s") }));
  const kept = await probe.must(LeaseService.leaseGrant, LeaseGrantRequest.fromPartial({ TTL: 3600n }));
  await probe.must(KVService.put, PutRequest.fromPartial({ key: b("m/kept"), value: b("k"), lease: kept.ID }));
  await probe.must(AuthService.authEnable, AuthEnableRequest.fromPartial({}));

  const ghostToken = await probe.login("ghost", PASSWORDS.ghost);
  await probe.must(AuthService.userDelete, AuthUserDeleteRequest.fromPartial({ name: "ghost" }), await probe.login("root", PASSWORDS.root));
  const expiredToken = await probe.login("alice", PASSWORDS.alice);
  // Left unused past its TTL (simple tokens are swept once a second).
  await sleep(TOKEN_TTL_SECONDS * 1000 + 2500);

  const rootToken = (): Promise<string> => probe.login("root", PASSWORDS.root);
  return {
    server,
    probe,
    keptLease: kept.ID,
    rootToken,
    async tokenFor(identity) {
      switch (identity) {
        case "no token":
          return undefined;
        case "malformed token":
          return "not-a-token";
        case "expired token":
          return expiredToken;
        case "deleted user":
          return ghostToken;
        case "without permission":
          return probe.login("bob", PASSWORDS.bob);
        case "with permission":
          return probe.login("alice", PASSWORDS.alice);
        case "root":
          return rootToken();
      }
    },
    close: () => probe.close(),
  };
}

async function grantRole(probe: Probe, role: string, permType: Permission_Type, key: string, rangeEnd: string, user: string): Promise<void> {
  await probe.must(AuthService.roleAdd, AuthRoleAddRequest.fromPartial({ name: role }));
  await probe.must(AuthService.roleGrantPermission, AuthRoleGrantPermissionRequest.fromPartial({ name: role, perm: { permType, key: b(key), rangeEnd: b(rangeEnd) } }));
  await probe.must(AuthService.userGrantRole, AuthUserGrantRoleRequest.fromPartial({ user, role }));
}
