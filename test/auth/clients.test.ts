/**
 * Real clients driven as their users drive them, against real etcd 3.4.23
 * and ours (servers with short-lived simple tokens): the `etcd3` npm package
 * (`auth: { username, password }`, its `user()`/`role()` API) sets up root,
 * enables auth, logs in as root to create a user and a role with a prefix
 * permission, meets a permission error as that user, and keeps working after
 * its token expires (it re-authenticates on "invalid auth token");
 * python-etcd3 (Debian's python3-etcd3) connects with a user and password,
 * gets and puts where allowed, is refused elsewhere and with a wrong password.
 * The servers serve clients over TLS (no client certificates): grpcio, under
 * python-etcd3, sends the token as a call credential, which it refuses to do
 * on a plain-text channel.
 * Each client's observations are written down as a transcript, and the
 * transcripts of both servers must be equal.
 */
import assert from "node:assert/strict";
import { runPython } from "../harness/python.js";
import { setTimeout as sleep } from "node:timers/promises";
import { readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { Etcd3, type IOptions } from "etcd3";
import * as grpc from "@grpc/grpc-js";
import { KVService, RangeRequest } from "../../src/gen/etcdserverpb/rpc.js";
import { createPki, type TestPki } from "../harness/certs.js";
import { startServers, type ServerProcess } from "../harness/server-process.js";
import { FLAVORS, ONLY_REAL } from "./flavors.js";
import { describeAnswer, Probe } from "./probe.js";

/** Seconds: short, so the etcd3 client's token expires within the test. */
const TOKEN_TTL_SECONDS = 2;

/** What python-etcd3 sees as alice (app/ readwrite), as bob (nothing) and with a wrong password; one JSON line. */
const PYTHON_SCRIPT = `
import json, sys
import grpc
import etcd3
host, port, ca = sys.argv[1], int(sys.argv[2]), sys.argv[3]
seen = {}
def attempt(name, action):
    try:
        seen[name] = ["ok", action()]
    except grpc.RpcError as err:
        seen[name] = [err.code().name, err.details()]
    except Exception as err:
        seen[name] = [type(err).__name__, str(err)]
alice = etcd3.client(host=host, port=port, user="alice", password="alice-pw", ca_cert=ca, timeout=10)
attempt("put app/py", lambda: alice.put("app/py", "from-python") and None)
attempt("get app/py", lambda: alice.get("app/py")[0].decode())
attempt("get app/ prefix", lambda: sorted(meta.key.decode() for _, meta in alice.get_prefix("app/")))
attempt("put outside", lambda: alice.put("outside", "x") and None)
attempt("get outside", lambda: alice.get("outside")[0])
attempt("delete app/py", lambda: alice.delete("app/py"))
alice.close()
attempt("bob get app/x", lambda: etcd3.client(host=host, port=port, user="bob", password="bob-pw", ca_cert=ca, timeout=10).get("app/x")[0])
attempt("wrong password", lambda: etcd3.client(host=host, port=port, user="alice", password="wrong", ca_cert=ca, timeout=10))
attempt("unknown user", lambda: etcd3.client(host=host, port=port, user="nobody", password="x", ca_cert=ca, timeout=10))
print(json.dumps(seen))
`;

/** Runs a step whose answer says nothing (a builder or a response header) and writes "ok" or the error into the transcript. */
async function done(transcript: string[], what: string, action: () => PromiseLike<unknown>): Promise<void> {
  await note(transcript, what, async () => {
    await action();
  });
}

/** Runs a step and writes its outcome (a value, or the error's class and message) into the transcript. */
async function note(transcript: string[], what: string, action: () => Promise<unknown>): Promise<void> {
  try {
    const value = await action();
    transcript.push(`${what}: ok${value === undefined ? "" : ` ${JSON.stringify(value)}`}`);
  } catch (err) {
    transcript.push(`${what}: ${(err as Error).constructor.name}: ${(err as Error).message}`);
  }
}

describe("real clients with users and passwords, against real etcd and ours", () => {
  let servers: ServerProcess[] = [];
  let pki: TestPki;
  before(async () => {
    pki = await createPki();
    const clientTls = { cert: pki.server.cert, key: pki.server.key };
    servers = await startServers(FLAVORS.map((flavor) => ({ flavor, clientTls, extraArgs: ["--auth-token-ttl", String(TOKEN_TTL_SECONDS)] })));
  });
  after(async () => {
    await Promise.all(servers.map((server) => server.stop()));
    pki?.remove();
  });

  /** An etcd3 client of the server over TLS, as a user when `auth` is given. */
  function etcd3(server: ServerProcess, auth?: IOptions["auth"]): Etcd3 {
    return new Etcd3({ hosts: server.clientUrl, dialTimeout: 5000, credentials: { rootCertificate: readFileSync(pki.caFile) }, ...(auth !== undefined ? { auth } : {}) });
  }

  /** The same session on every server; the transcripts must be equal. */
  async function sameOnBoth(session: (server: ServerProcess) => Promise<string[]>): Promise<void> {
    const transcripts = await Promise.all(servers.map(session));
    const [real, ours] = transcripts;
    if (ONLY_REAL) console.log(real!.join("\n"));
    else assert.deepEqual(ours, real, `ours (actual) vs real (expected):\nreal:\n${real!.join("\n")}\nours:\n${ours!.join("\n")}`);
  }

  test("the etcd3 npm package: root enables auth, manages users and roles, a user is refused, tokens are renewed after expiry", async () => {
    await sameOnBoth(async (server) => {
      const t: string[] = [];
      const open = etcd3(server);
      try {
        await done(t, "create root", () => open.user("root").create("root-pw"));
        await done(t, "create role root", () => open.role("root").create());
        await done(t, "grant root to root", () => open.user("root").addRole("root"));
        await done(t, "enable auth", () => open.auth.authEnable({}));
        await done(t, "put without a user", () => open.put("app/x").value("1").exec());
      } finally {
        open.close();
      }

      const root = etcd3(server, { username: "root", password: "root-pw" });
      try {
        await done(t, "root creates alice", () => root.user("alice").create("alice-pw"));
        await done(t, "root creates bob", () => root.user("bob").create("bob-pw"));
        await done(t, "root creates alice again", () => root.user("alice").create("other"));
        await done(t, "root creates role app-rw", () => root.role("app-rw").create());
        await done(t, "root grants readwrite app/", () => root.role("app-rw").grant({ permission: "Readwrite", range: root.range({ prefix: "app/" }) }));
        await done(t, "root gives alice app-rw", () => root.user("alice").addRole("app-rw"));
        await note(t, "role permissions", async () => (await root.role("app-rw").permissions()).map((p) => `${p.permission} ${p.range.start.toString()}..${p.range.end.toString()}`));
        await note(t, "users", async () => (await root.getUsers()).map((u) => u.name).sort());
        await note(t, "roles", async () => (await root.getRoles()).map((r) => r.name).sort());
        await note(t, "alice's roles", async () => (await root.user("alice").roles()).map((r) => r.name));
        await done(t, "root puts outside", () => root.put("outside").value("root's").exec());
      } finally {
        root.close();
      }

      const alice = etcd3(server, { username: "alice", password: "alice-pw" });
      try {
        await done(t, "alice puts app/a", () => alice.put("app/a").value("A").exec());
        await note(t, "alice gets app/a", () => alice.get("app/a").string());
        await note(t, "alice gets outside", () => alice.get("outside").string());
        await done(t, "alice puts outside", () => alice.put("outside").value("x").exec());
        await note(t, "alice lists users", async () => (await alice.getUsers()).map((u) => u.name));
        await done(t, "alice creates a role", () => alice.role("mine").create());
        // Unused past its TTL, alice's token expires; the client logs in again when told "invalid auth token".
        // A token of hers taken now and left unused as long shows that tokens did expire.
        const probe = new Probe(server.endpoint, grpc.credentials.createSsl(readFileSync(pki.caFile)));
        const idleToken = await probe.login("alice", "alice-pw");
        await sleep(TOKEN_TTL_SECONDS * 1000 + 2500);
        await note(t, "a token unused as long", async () => describeAnswer(await probe.unary(KVService.range, RangeRequest.fromPartial({ key: Buffer.from("app/a") }), idleToken)));
        probe.close();
        await note(t, "alice gets app/a after her token expired", () => alice.get("app/a").string());
        await done(t, "alice puts app/b", () => alice.put("app/b").value("B").exec());
        await note(t, "alice counts app/", () => alice.getAll().prefix("app/").count());
      } finally {
        alice.close();
      }

      const wrong = etcd3(server, { username: "alice", password: "wrong" });
      try {
        await note(t, "wrong password", () => wrong.get("app/a").string());
      } finally {
        wrong.close();
      }
      return t;
    });
  });

  // Uses alice (app/ readwrite) and bob (no role) as the test above left them.
  test("python-etcd3 (Debian's python3-etcd3): a user and password, allowed and refused, a wrong password", async () => {
    await sameOnBoth(async (server) => {
      const r = await runPython(PYTHON_SCRIPT, ["127.0.0.1", String(server.clientPort), pki.caFile], 60_000);
      assert.equal(r.code, 0, `${server.flavor}: ${r.stderr}`);
      const seen = JSON.parse(r.stdout.trim()) as Record<string, unknown>;
      return Object.entries(seen).map(([what, outcome]) => `${what}: ${JSON.stringify(outcome)}`);
    });
  });
});
