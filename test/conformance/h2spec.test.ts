/**
 * h2spec (HTTP/2 conformance, RFC 7540 and RFC 7541) against our server
 * with its default flags: every case must pass. h2spec is built from its
 * source on first use by build-h2spec.sh (Go, through the module proxy)
 * into .h2spec/bin; the run is bounded so the test always ends by itself.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot, tempDir } from "../harness/paths.js";
import { startServer, type ServerProcess } from "../harness/server-process.js";

/** A full run takes about 85 s on two idle cores (most of it in cases that wait out h2spec's 3 s timeout). */
const H2SPEC_RUN_MS = 300_000;

let server: ServerProcess;

before(async () => {
  server = await startServer({ flavor: "ours" });
});

after(async () => {
  await server?.stop();
});

function buildH2spec(): string {
  const built = spawnSync("sh", [join(repoRoot, "test", "conformance", "build-h2spec.sh")], { encoding: "utf8", timeout: 600_000 });
  assert.equal(built.status, 0, `building h2spec failed:\n${built.stderr}`);
  return built.stdout.trim().split("\n").at(-1)!;
}

/** Runs h2spec; resolves with its output and whether it finished in time. */
function runH2spec(bin: string, port: number, junit: string): Promise<{ finished: boolean; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(bin, ["-h", "127.0.0.1", "-p", String(port), "-o", "3", "-j", junit], { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (b: Buffer) => (output += b.toString("utf8")));
    child.stderr.on("data", (b: Buffer) => (output += b.toString("utf8")));
    const timer = setTimeout(() => child.kill("SIGKILL"), H2SPEC_RUN_MS);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ finished: signal === null && code !== null, output });
    });
  });
}

/** The failed cases of a JUnit report: "section: case — what happened". */
export function failuresOf(junit: string): string[] {
  const failed: string[] = [];
  for (const suite of junit.matchAll(/<testsuite name="([^"]*)"[^>]*>([\s\S]*?)<\/testsuite>/g)) {
    for (const tc of suite[2]!.matchAll(/<testcase [^>]*classname="([^"]*)"[^>]*>([\s\S]*?)<\/testcase>/g)) {
      const error = /<(?:error|failure)[^>]*>([\s\S]*?)<\/(?:error|failure)>/.exec(tc[2]!);
      if (error !== null) failed.push(`${unescape(suite[1]!)}: ${unescape(tc[1]!)} — got ${unescape(error[1]!).replace(/\s+/g, " ").trim()}`);
    }
  }
  return failed;
}

const unescape = (s: string): string => s.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, "&");

test("h2spec: every HTTP/2 conformance case passes against the server's defaults", { timeout: H2SPEC_RUN_MS + 660_000 }, async (t) => {
  const bin = buildH2spec();
  const dir = tempDir("h2spec");
  try {
    const junitPath = join(dir.path, "junit.xml");
    const run = await runH2spec(bin, server.clientPort, junitPath);
    assert.ok(run.finished, `h2spec did not finish in ${H2SPEC_RUN_MS / 1000} s; its output so far:\n${run.output.slice(-4000)}`);
    const summary = /\d+ tests, \d+ passed, \d+ skipped, \d+ failed/.exec(run.output)?.[0] ?? "no summary";
    t.diagnostic(summary);
    const failed = failuresOf(readFileSync(junitPath, "utf8"));
    assert.deepEqual(failed, [], `${failed.length} h2spec case(s) failed (${summary}):\n${failed.join("\n")}`);
  } finally {
    dir.remove();
  }
});
