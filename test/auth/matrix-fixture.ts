/**
 * The users, roles and keys of the auth matrix, set up the same way on a
 * fresh server of either flavor, and the token each column of the matrix
 * calls with.
 *
 *   root   root role                    (password root-pw)
 *   alice  role writer: readwrite m/…   (the user with the permission)
 *   bob    role other-reader: read o/…  (a user without it)
 *   ghost-N  no role; made, logged in and deleted for each "deleted user" cell
 *
 * "token before a change" is alice's token, logged in before root adds a role.
 *
 * Keys: m/a (alice may read and write it), secret/x (only root); a long
 * lease with m/kept attached (KeepAlive, TimeToLive and Leases are asked
 * about it).
 */
import { generateKeyPairSync } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
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

export const IDENTITIES = ["no token", "malformed token", "expired token", "deleted user", "without permission", "with permission", "token before a change", "root"] as const;
export type Identity = (typeof IDENTITIES)[number];

/** A token's lifetime on the matrix servers (seconds): short, so that a token left unused expires during set-up. */
export const TOKEN_TTL_SECONDS = 2;

export type TokenKind = "simple" | "jwt";

/** An RSA key pair in PEM files for `--auth-token jwt,…` (the same for both servers of a run). */
export function writeJwtKeys(dir: string): { pub: string; priv: string } {
  const { publicKey, privateKey } = generateKeyPairSync("rsa", {
    modulusLength: 2048,
    publicKeyEncoding: { type: "spki", format: "pem" },
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
  });
  const keys = { pub: join(dir, "jwt.pub.pem"), priv: join(dir, "jwt.priv.pem") };
  writeFileSync(keys.pub, publicKey);
  writeFileSync(keys.priv, privateKey);
  return keys;
}

/** Both servers' flags: tokens that expire quickly, cheap bcrypt (the matrix logs in a few hundred times). */
export function matrixServerArgs(tokens: TokenKind, jwtKeys: { pub: string; priv: string }): string[] {
  const token =
    tokens === "simple"
      ? ["--auth-token", "simple", "--auth-token-ttl", String(TOKEN_TTL_SECONDS)]
      : ["--auth-token", `jwt,pub-key=${jwtKeys.pub},priv-key=${jwtKeys.priv},sign-method=RS256,ttl=${TOKEN_TTL_SECONDS}s`];
  return [...token, "--bcrypt-cost", "4"];
}

const USERS = { root: "root-pw", alice: "alice-pw", bob: "bob-pw" } as const;
export const PASSWORDS = { ...USERS, ghost: "ghost-pw" } as const;

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
  for (const [name, password] of Object.entries(USERS)) await probe.must(AuthService.userAdd, AuthUserAddRequest.fromPartial({ name, password }));
  await probe.must(AuthService.roleAdd, AuthRoleAddRequest.fromPartial({ name: "root" }));
  await probe.must(AuthService.userGrantRole, AuthUserGrantRoleRequest.fromPartial({ user: "root", role: "root" }));
  await grantRole(probe, "writer", Permission_Type.READWRITE, "m/", "m0", "alice");
  await grantRole(probe, "other-reader", Permission_Type.READ, "o/", "o0", "bob");
  await probe.must(KVService.put, PutRequest.fromPartial({ key: b("m/a"), value: b("1") }));
  await probe.must(KVService.put, PutRequest.fromPartial({ key: b("secret/x"), value: b("s") }));
  const kept = await probe.must(LeaseService.leaseGrant, LeaseGrantRequest.fromPartial({ TTL: 3600n }));
  await probe.must(KVService.put, PutRequest.fromPartial({ key: b("m/kept"), value: b("k"), lease: kept.ID }));
  await probe.must(AuthService.authEnable, AuthEnableRequest.fromPartial({}));

  const expiredToken = await probe.login("alice", PASSWORDS.alice);
  // Left unused past its TTL (simple tokens are swept once a second; a JWT's exp is in seconds).
  await sleep(TOKEN_TTL_SECONDS * 1000 + 2500);

  const rootToken = (): Promise<string> => probe.login("root", PASSWORDS.root);
  let ghosts = 0;
  let changes = 0;
  /** Alice's token from before an unrelated change of the auth store (a role added): a JWT carries the auth revision it was issued at. */
  const tokenBeforeChange = async (): Promise<string> => {
    const token = await probe.login("alice", PASSWORDS.alice);
    await probe.must(AuthService.roleAdd, AuthRoleAddRequest.fromPartial({ name: `change-${++changes}` }), await rootToken());
    return token;
  };
  /** A token of a user deleted right after it logged in: fresh, so that it is refused for the deletion alone (a JWT outlives its user until it expires). */
  const deletedUserToken = async (): Promise<string> => {
    const name = `ghost-${++ghosts}`;
    await probe.must(AuthService.userAdd, AuthUserAddRequest.fromPartial({ name, password: PASSWORDS.ghost }), await rootToken());
    const token = await probe.login(name, PASSWORDS.ghost);
    await probe.must(AuthService.userDelete, AuthUserDeleteRequest.fromPartial({ name }), await rootToken());
    return token;
  };
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
          return deletedUserToken();
        case "without permission":
          return probe.login("bob", PASSWORDS.bob);
        case "with permission":
          return probe.login("alice", PASSWORDS.alice);
        case "token before a change":
          return tokenBeforeChange();
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
