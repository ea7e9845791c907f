#!/usr/bin/env node
// Runs the compiled test files (dist/) with node's built-in test runner.
//   node scripts/test.mjs            every suite
//   node scripts/test.mjs unit raft  only those suites
// Suites: unit = src/**/*.test.js (pure logic, colocated with the code);
// every other suite is a folder under test/ (test/<suite>/**/*.test.js).
// The suite "grpc-js" runs the compat and integration tests again with the
// server's gRPC served by grpc-js (ETCDTS_GRPC_SERVER=grpc-js), so the fallback
// keeps working.
// Extra arguments after "--" go to node --test (e.g. --test-name-pattern).
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const dist = join(root, "dist");

function testFiles(dir) {
  if (!existsSync(dir)) return [];
  const found = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) found.push(...testFiles(path));
    else if (name.endsWith(".test.js")) found.push(path);
  }
  return found;
}

/** Suites that rerun other suites' files in another environment. */
const VARIANTS = {
  "grpc-js": { suites: ["compat", "integration"], env: { ETCDTS_GRPC_SERVER: "grpc-js" } },
};

function suiteFiles(suite) {
  if (suite === "unit") return testFiles(join(dist, "src"));
  if (suite in VARIANTS) return VARIANTS[suite].suites.flatMap(suiteFiles);
  return testFiles(join(dist, "test", suite));
}

const argv = process.argv.slice(2);
const dash = argv.indexOf("--");
const requested = dash === -1 ? argv : argv.slice(0, dash);
const passThrough = dash === -1 ? [] : argv.slice(dash + 1);
const allSuites = [
  "unit",
  ...(existsSync(join(dist, "test")) ? readdirSync(join(dist, "test")).sort() : []).filter((s) => statSync(join(dist, "test", s)).isDirectory()),
  ...Object.keys(VARIANTS),
];
const suites = requested.length > 0 ? requested : allSuites;

// Suites that talk to real etcd or etcdctl need Debian's packages.
const SELF_CONTAINED = new Set(["unit", "raft", "guard"]);
if (suites.some((s) => !SELF_CONTAINED.has(s))) {
  const ensure = spawnSync("sh", [join(root, "scripts", "ensure-debian-packages.sh")], { stdio: "inherit" });
  if (ensure.status !== 0) process.exit(ensure.status ?? 1);
}

// Every failure is also written to a file per suite and printed again at the end.
const summaries = mkdtempSync(join(tmpdir(), "etcd-ts-test-failures-"));
const reporter = join(root, "scripts", "failure-summary-reporter.mjs");
const failedSuites = [];
let failed = false;
for (const suite of suites) {
  const files = suiteFiles(suite);
  if (files.length === 0) {
    console.error(`suite ${suite}: no test files`);
    if (requested.length > 0) failed = true;
    continue;
  }
  console.error(`\n=== suite ${suite}: ${files.length} file(s)`);
  const summary = join(summaries, `${suite}.txt`);
  const reporters = ["--test-reporter=spec", "--test-reporter-destination=stdout", `--test-reporter=${reporter}`, `--test-reporter-destination=${summary}`];
  const result = spawnSync(process.execPath, ["--enable-source-maps", "--test", ...reporters, ...passThrough, ...files], {
    stdio: "inherit",
    cwd: root,
    env: { ...process.env, ...(VARIANTS[suite]?.env ?? {}) },
  });
  if (result.status !== 0) failedSuites.push({ suite, summary });
}
for (const { suite, summary } of failedSuites) {
  const text = existsSync(summary) ? readFileSync(summary, "utf8").trim() : "";
  console.error(`\n=== failed in suite ${suite}\n${text === "" ? "(the suite's process failed before reporting a test)" : text}`);
}
rmSync(summaries, { recursive: true, force: true });
process.exit(failedSuites.length > 0 || failed ? 1 : 0);
