import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import type { Logger } from "../pkg/logger.js";
import { handleUncaught, originOf, RECOVERED_MESSAGE } from "./process-guard.js";

/** An Error whose stack is the given frames (innermost first). */
function thrownAt(...frames: string[]): Error {
  const error = new Error("boom");
  error.stack = ["Error: boom", ...frames.map((f) => `    at ${f}`)].join("\n");
  return error;
}

const ROOT = "/opt/src/server/etcd-ts"; // a checkout whose own path looks like a layer
const api = `H2Connection.#onFrame (file://${ROOT}/dist/src/api/h2/connection.js:120:11)`;
const apiSourceMapped = `H2Connection.#onFrame (${ROOT}/src/api/h2/connection.ts:300:7)`;
const storage = `Mvcc.put (file://${ROOT}/dist/src/storage/mvcc/store.js:88:5)`;
const wal = `Wal.save (file://${ROOT}/dist/src/wal/wal.js:40:9)`;
const pkg = `decodeVarint (file://${ROOT}/dist/src/pkg/varint.js:12:15)`;
const gen = `Object.decode (file://${ROOT}/dist/src/gen/etcdserverpb/rpc.js:999:3)`;
const tls = `onHandshake (file://${ROOT}/dist/src/tls/server.js:70:9)`;
const server = `PeerListener.#accept (file://${ROOT}/dist/src/server/transport/peer-listener.js:90:5)`;
const nodeInternal = "process.processTicksAndRejections (node:internal/process/task_queues:95:5)";
const grpcJs = `Http2ServerCallStream.sendMetadata (${ROOT}/node_modules/@grpc/grpc-js/build/src/server-call.js:50:1)`;
const otherPackage = `Pino.write (${ROOT}/node_modules/pino/lib/proto.js:200:1)`;

describe("originOf: the innermost frame of our code that is not a shared helper decides", () => {
  const cases: [string, unknown, string][] = [
    ["src/api (compiled)", thrownAt(nodeInternal, api), "client-api"],
    ["src/api (source-mapped)", thrownAt(apiSourceMapped, nodeInternal), "client-api"],
    ["a shared helper called from src/api", thrownAt(pkg, gen, api), "client-api"],
    ["a shared helper called from the WAL", thrownAt(pkg, wal, api), "elsewhere"],
    ["storage called from src/api", thrownAt(storage, api), "elsewhere"],
    ["src/tls (shared) under the client listener", thrownAt(tls, api), "client-api"],
    ["src/tls (shared) under the peer listener", thrownAt(tls, server), "elsewhere"],
    ["grpc-js (used by src/api only)", thrownAt(nodeInternal, grpcJs), "client-api"],
    ["another package called from src/api", thrownAt(otherPackage, api), "client-api"],
    ["only Node's own frames", thrownAt(nodeInternal), "elsewhere"],
    ["only shared helpers", thrownAt(pkg, nodeInternal), "elsewhere"],
    ["a rejection with a plain value", "just a string", "elsewhere"],
    ["an Error without a stack", Object.assign(new Error("x"), { stack: undefined }), "elsewhere"],
  ];
  for (const [what, error, want] of cases) it(what, () => assert.equal(originOf(error), want));

  it("a real Error made in this test file is not from the client API", () => assert.equal(originOf(new Error("here")), "elsewhere"));
});

describe("handleUncaught", () => {
  function recorder(): { logger: Logger; lines: [object, string][]; exits: number[]; exit: (code: number) => void } {
    const lines: [object, string][] = [];
    const exits: number[] = [];
    const logger: Logger = { debug() {}, info() {}, warn() {}, error: (fields, msg) => lines.push([fields, msg]), child: () => logger };
    return { logger, lines, exits, exit: (code) => exits.push(code) };
  }

  it("logs a client-API exception with its stack under the stable message and keeps the process", () => {
    const r = recorder();
    const error = thrownAt(api);
    handleUncaught(error, "uncaughtException", r.logger, r.exit);
    assert.deepEqual(r.lines, [[{ kind: "uncaughtException", error: "boom", stack: error.stack }, RECOVERED_MESSAGE]]);
    assert.deepEqual(r.exits, []);
  });

  it("logs anything else and exits with 1", () => {
    const r = recorder();
    handleUncaught(thrownAt(storage, api), "unhandledRejection", r.logger, r.exit);
    handleUncaught(42, "unhandledRejection", r.logger, r.exit);
    assert.deepEqual(
      r.lines.map(([fields, msg]) => [(fields as { kind: string }).kind, (fields as { error: string }).error, msg]),
      [
        ["unhandledRejection", "boom", "uncaught exception outside the client API; exiting"],
        ["unhandledRejection", "42", "uncaught exception outside the client API; exiting"],
      ],
    );
    assert.deepEqual(r.exits, [1, 1]);
  });
});

describe("installProcessGuard in a real process", () => {
  it("survives an exception and a rejection from the client API, then exits 1 on one from storage", async () => {
    const guardUrl = new URL("./process-guard.js", import.meta.url).href;
    const script = `
      import { installProcessGuard } from ${JSON.stringify(guardUrl)};
      const line = (level) => (fields, msg) => console.log(JSON.stringify({ level, msg, error: fields.error }));
      const logger = { debug() {}, info() {}, warn: line("warn"), error: line("error"), child: () => logger };
      installProcessGuard(logger);
      const at = (frame) => { const e = new Error(frame); e.stack = "Error: " + frame + "\\n    at f (file:///r/dist/src/" + frame + ".js:1:1)"; return e; };
      setTimeout(() => { throw at("api/h2/connection"); }, 0);
      setTimeout(() => { void Promise.reject(at("api/http/gateway")); }, 20);
      setTimeout(() => { console.log("still serving"); throw at("storage/backend/backend"); }, 40);
      setTimeout(() => console.log("never printed"), 5000);
    `;
    const child = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    const killer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    const [code] = (await once(child, "exit")) as [number | null];
    clearTimeout(killer);
    const lines = out.trim().split("\n").map((l) => (l.startsWith("{") ? (JSON.parse(l) as { msg: string; error: string }) : l));
    assert.deepEqual(lines, [
      { level: "error", msg: RECOVERED_MESSAGE, error: "api/h2/connection" },
      { level: "error", msg: RECOVERED_MESSAGE, error: "api/http/gateway" },
      "still serving",
      { level: "error", msg: "uncaught exception outside the client API; exiting", error: "storage/backend/backend" },
    ]);
    assert.equal(code, 1);
  });
});
