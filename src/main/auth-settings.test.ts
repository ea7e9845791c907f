// The auth flags as the server takes them, and a bad --auth-token or JWT key stopping the start as etcd's does.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { AuthConfigError } from "../auth/index.js";
import { parseEtcdConfig, type EtcdConfig } from "../cli/etcd/index.js";
import { authSettings } from "./auth-settings.js";

const BIN = fileURLToPath(new URL("../../../bin/etcd", import.meta.url));

function config(flags: readonly string[]): EtcdConfig {
  const outcome = parseEtcdConfig(flags, {}, () => "", { runtime: { nodeVersion: "v20.0.0", platform: "linux", arch: "x64" } });
  if (outcome.kind !== "run") throw new Error(JSON.stringify(outcome));
  return outcome.config;
}

describe("authSettings", () => {
  it("etcd's defaults: simple tokens for 300 s, bcrypt cost 10", () => {
    assert.deepEqual(authSettings(config([])), { token: { kind: "simple" }, simpleTokenTtlMs: 300_000, bcryptCost: 10 });
  });

  it("maps --auth-token-ttl to ms and keeps --bcrypt-cost", () => {
    assert.deepEqual(authSettings(config(["--auth-token-ttl=7", "--bcrypt-cost=4"])), { token: { kind: "simple" }, simpleTokenTtlMs: 7000, bcryptCost: 4 });
  });

  it("a JWT option reaches the server with its options", () => {
    const settings = authSettings(config(["--auth-token=jwt,priv-key=k.pem,sign-method=HS256,ttl=1m"]));
    assert.equal(settings.token.kind, "jwt");
  });

  it("what src/auth refuses is an AuthConfigError", () => {
    for (const text of ["foo", "", "jwt,sign-method", "jwt,ttl=1m,ttl=2m", "simple,x"]) {
      assert.throws(() => authSettings(config([`--auth-token=${text}`])), AuthConfigError, text);
    }
  });
});

/** A port nobody listens on now (the member fails before binding it; only a default 2379/2380 must be avoided). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

interface Exit {
  code: number | null;
  output: string;
}

/** Runs bin/etcd with `flags` until it exits by itself (it must: every case here stops the start). */
function runUntilExit(flags: readonly string[]): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...flags], { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (c: Buffer) => (output += c.toString()));
    child.stderr.on("data", (c: Buffer) => (output += c.toString()));
    child.on("error", reject);
    child.on("exit", (code) => resolve({ code, output }));
  });
}

describe("bin/etcd with bad auth options", () => {
  let dir: string;
  let base: string[];
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "auth-start-"));
    const client = await freePort();
    const peer = await freePort();
    base = [
      `--data-dir=${join(dir, "data")}`,
      `--listen-client-urls=http://127.0.0.1:${client}`,
      `--advertise-client-urls=http://127.0.0.1:${client}`,
      `--listen-peer-urls=http://127.0.0.1:${peer}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${peer}`,
      `--initial-cluster=default=http://127.0.0.1:${peer}`,
    ];
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** etcd 3.4.23's lines for these values (--logger zap): the reason, then the fatal "discovery failed" with "auth: invalid auth options". */
  for (const [value, reason] of [
    ["foo", "unknown token type: foo"],
    ["jwt,sign-method=XX", "auth: invalid auth signature method"],
    ["jwt", "auth: invalid auth signature method"],
  ] as const) {
    it(`--auth-token ${value}: etcd's reason and fatal line, exit code 1`, { timeout: 60_000 }, async () => {
      const r = await runUntilExit([...base, `--auth-token=${value}`]);
      assert.equal(r.code, 1, r.output);
      const lines = r.output
        .split("\n")
        .filter((l) => l.startsWith("{"))
        .map((l) => JSON.parse(l) as { msg: string; error?: string });
      assert.ok(lines.some((l) => l.error === reason), r.output);
      assert.deepEqual(lines.at(-1) && { msg: lines.at(-1)!.msg, error: lines.at(-1)!.error }, { msg: "discovery failed", error: "auth: invalid auth options" });
    });
  }

  it("a JWT without keys: etcd's 'auth: missing key data'", { timeout: 60_000 }, async () => {
    const r = await runUntilExit([...base, "--auth-token=jwt,sign-method=RS256"]);
    assert.equal(r.code, 1, r.output);
    assert.match(r.output, /"error":"auth: missing key data","msg":"discovery failed"/);
  });

  it("a JWT key file that cannot be read stops the start, naming the file", { timeout: 60_000 }, async () => {
    const missing = join(dir, "no-such-key.pem");
    const r = await runUntilExit([...base, `--auth-token=jwt,sign-method=RS256,priv-key=${missing}`]);
    assert.equal(r.code, 1, r.output);
    assert.ok(r.output.includes(missing), r.output);
    assert.doesNotMatch(r.output, /ready to serve client requests/);
  });
});
