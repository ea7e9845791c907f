/**
 * JWT tokens against real etcd 3.4 (Debian's /usr/bin/etcd), one method of
 * each family: a token etcd issued verifies here, and etcd serves a request
 * carrying a token we signed with the same key. Skipped when etcd is not
 * installed.
 * @module
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { existsSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { credentials, Metadata, type ServiceError } from "@grpc/grpc-js";
import { AuthClient, AuthenticateRequest, AuthEnableRequest, AuthUserAddRequest, AuthUserGrantRoleRequest, KVClient, RangeRequest, type AuthenticateResponse, type RangeResponse } from "../gen/etcdserverpb/rpc.js";
import { tempDir } from "../pkg/test-support.js";
import { JwtTokens } from "./jwt.js";

const ETCD = "/usr/bin/etcd";
const TIMEOUT_MS = 60_000;

/**
 * A loopback port free a moment ago, drawn below Linux's ephemeral range
 * (as test/harness/ports.ts does, which src/ may not import): a port from
 * that range can be taken by an outgoing connection before etcd binds it.
 */
async function freePort(): Promise<number> {
  for (;;) {
    const port = 15_000 + Math.floor(Math.random() * 17_000);
    const free = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once("error", () => resolve(false));
      server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
    });
    if (free) return port;
  }
}

/** `fn` called until it resolves, for up to TIMEOUT_MS. */
async function eventually<T>(fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + TIMEOUT_MS;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

type Callback<Res> = (err: ServiceError | null, res: Res) => void;

/** One unary call as a promise. */
function call<Res>(start: (done: Callback<Res>) => unknown): Promise<Res> {
  return new Promise((resolve, reject) => start((err, res) => (err === null ? resolve(res) : reject(err))));
}

/** Writes a key pair (or an HMAC secret, for both files) for `alg` as `<name>.key` / `<name>.pub`. */
function writeKeys(dir: string, alg: string, name: string): { priv: string; pub: string } {
  const priv = join(dir, `${name}.key`);
  const pub = join(dir, `${name}.pub`);
  if (alg.startsWith("HS")) {
    const secret = randomBytes(32).toString("hex");
    writeFileSync(priv, secret);
    writeFileSync(pub, secret);
    return { priv, pub };
  }
  const { privateKey, publicKey } = alg.startsWith("ES") ? generateKeyPairSync("ec", { namedCurve: "prime256v1" }) : generateKeyPairSync("rsa", { modulusLength: 2048 });
  writeFileSync(priv, privateKey.export({ format: "pem", type: "pkcs8" }));
  writeFileSync(pub, publicKey.export({ format: "pem", type: "spki" }));
  return { priv, pub };
}

for (const alg of ["RS256", "PS256", "ES256", "HS256"]) {
  test(`${alg}: tokens from real etcd verify here, and real etcd accepts ours`, { skip: existsSync(ETCD) ? false : `${ETCD} is not installed`, timeout: 3 * TIMEOUT_MS }, async (t) => {
    const dir = tempDir(t);
    const { priv, pub } = writeKeys(dir, alg, "jwt");
    const clientPort = await freePort();
    let peerPort = await freePort();
    while (peerPort === clientPort) peerPort = await freePort();
    const clientUrl = `http://127.0.0.1:${clientPort}`;
    const peerUrl = `http://127.0.0.1:${peerPort}`;
    const etcd: ChildProcess = spawn(
      ETCD,
      [
        "--data-dir", join(dir, "data"),
        "--listen-client-urls", clientUrl, "--advertise-client-urls", clientUrl,
        "--listen-peer-urls", peerUrl, "--initial-advertise-peer-urls", peerUrl,
        "--initial-cluster", `default=${peerUrl}`,
        "--auth-token", `jwt,pub-key=${pub},priv-key=${priv},sign-method=${alg}`,
      ],
      { stdio: "ignore" },
    );
    const auth = new AuthClient(`127.0.0.1:${clientPort}`, credentials.createInsecure());
    const kv = new KVClient(`127.0.0.1:${clientPort}`, credentials.createInsecure());
    t.after(() => {
      auth.close();
      kv.close();
      etcd.kill("SIGKILL");
    });

    await eventually(() => call((cb) => auth.userAdd(AuthUserAddRequest.fromPartial({ name: "root", password: "pw" }), cb)));
    await call((cb) => auth.userGrantRole(AuthUserGrantRoleRequest.fromPartial({ user: "root", role: "root" }), cb));
    await call((cb) => auth.authEnable(AuthEnableRequest.fromPartial({}), cb));
    const { token }: AuthenticateResponse = await call((cb) => auth.authenticate(AuthenticateRequest.fromPartial({ name: "root", password: "pw" }), cb));

    const ours = JwtTokens.fromOptions({ "sign-method": alg, "priv-key": priv, "pub-key": pub });
    const info = ours.verify(token, Date.now());
    // A new store is at revision 1; adding root and granting its role make 3 (enabling does not count).
    assert.deepEqual(info, { username: "root", revision: 3n });

    const withToken = (tk: string): Metadata => {
      const md = new Metadata();
      md.set("token", tk);
      return md;
    };
    const range = RangeRequest.fromPartial({ key: Buffer.from("k") });
    const served: RangeResponse = await call((cb) => kv.range(range, withToken(ours.sign("root", 3n, Date.now())), cb));
    assert.equal(served.count, 0n);

    const stranger = JwtTokens.fromOptions({ "sign-method": alg, "priv-key": writeKeys(dir, alg, "other").priv });
    await assert.rejects(call((cb) => kv.range(range, withToken(stranger.sign("root", 3n, Date.now())), cb)), (err: ServiceError) => {
      assert.match(err.details, /invalid auth token/);
      return true;
    });
  });
}
