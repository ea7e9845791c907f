/**
 * The guard of the layering: the dependency rules (.dependency-cruiser.cjs)
 * and the type-aware lint (.oxlintrc.json) that `npm run lint` runs. Each
 * must pass on the tree as it is and fail on code that breaks it: a guard
 * that never fails guards nothing.
 *
 * Most wrong code is written into a scratch tree under the OS temp dir and
 * cruised from there with the repository's own config, so nothing is added
 * to src/. One case does write a file into src/raft, to show the rules catch
 * an import in the real tree; it lives there only for that one check and is
 * removed even when the check fails.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { repoRoot, tempDir } from "../harness/paths.js";

const DEPCRUISE = join(repoRoot, "node_modules", "dependency-cruiser", "bin", "dependency-cruise.mjs");
const DEPCRUISE_CONFIG = join(repoRoot, ".dependency-cruiser.cjs");
const OXLINT = join(repoRoot, "node_modules", "oxlint", "bin", "oxlint");
const OXLINT_CONFIG = join(repoRoot, ".oxlintrc.json");
/** The type-aware half of oxlint, found from the repository wherever oxlint runs. */
const OXLINT_ENV = { ...process.env, OXLINT_TSGOLINT_PATH: join(repoRoot, "node_modules", ".bin", "tsgolint") };

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function run(args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = process.env): Run {
  const r = spawnSync(process.execPath, args, { cwd, env, encoding: "utf8", maxBuffer: 64 << 20 });
  if (r.error !== undefined) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const VIOLATION = /^\s+error ([\w-]+): (\S+) \u2192 ?(\S*)$/;

/**
 * Cruises `paths` from `cwd` (the folder the rules' paths are relative to) as
 * `npm run lint` does, and reads the violations
 * ("rule: from -> to") from its report. A cycle's report names the next
 * module of the cycle on the following line.
 */
function cruise(cwd: string, paths: readonly string[]): { status: number | null; violations: string[]; report: string } {
  const r = run([DEPCRUISE, "--config", DEPCRUISE_CONFIG, "--output-type", "err", ...paths], cwd);
  const lines = r.stdout.split("\n");
  const violations: string[] = [];
  lines.forEach((line, i) => {
    const m = VIOLATION.exec(line);
    if (m === null) return;
    const to = m[3] !== "" ? m[3] : lines[i + 1]?.trim().replace(/ \u2192$/, "");
    violations.push(`${m[1]}: ${m[2]} -> ${to}`);
  });
  return { status: r.status, violations: violations.sort(), report: r.stdout + r.stderr };
}

/** Writes `files` (path relative to `root` → content), creating folders. */
function writeTree(root: string, files: Record<string, string>): void {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
}

/** A scratch tree under the OS temp dir, removed when the test ends. */
function scratchTree(t: { after(fn: () => void): void }, files: Record<string, string>): string {
  const dir = tempDir("etcd-ts-guard");
  t.after(dir.remove);
  writeTree(dir.path, files);
  return dir.path;
}

test("the dependency rules pass on the repository as it is", () => {
  const r = cruise(repoRoot, ["src", "test", "bench"]);
  assert.deepEqual(r.violations, []);
  assert.equal(r.status, 0, r.report);
});

test("the dependency rules fail on each kind of wrong import, type-only ones included", (t) => {
  const root = scratchTree(t, {
    // Allowed: the leaves, raft on its own generated types, a downward import.
    "src/pkg/bytes.ts": "export const ZERO = 0;\n",
    "src/gen/raftpb/raft.ts": "export interface Entry { index: bigint }\n",
    "src/gen/hand-written.ts": "export const NOT_GENERATED = 1;\n",
    "src/raft/log.ts": 'import type { Entry } from "../gen/raftpb/raft.js";\nexport const log: Entry[] = [];\n',
    "src/api/status.ts": 'import { ZERO } from "../pkg/bytes.js";\nexport const OK = ZERO;\n',
    "src/server/test-support.ts": "export const fakeClock = 0;\n",
    "test/harness/paths.ts": "export const repoRoot = '.';\n",
    "node_modules/@grpc/grpc-js/package.json": '{ "name": "@grpc/grpc-js", "main": "index.js" }\n',
    "node_modules/@grpc/grpc-js/index.js": "exports.Server = class {};\n",
    // Wrong, one rule each unless said.
    "src/raft/raft.ts": 'import type { Server } from "../server/server.js";\nexport type Peer = Server;\n',
    "src/server/server.ts": [
      'import * as grpc from "@grpc/grpc-js";',
      'import { OK } from "../api/status.js";',
      'import { fakeClock } from "./test-support.js";',
      'import { NOT_GENERATED } from "../gen/hand-written.js";',
      "export interface Server { ok: number }",
      "export const parts = [grpc, OK, fakeClock, NOT_GENERATED];",
      "",
    ].join("\n"),
    "src/pkg/entries.ts": 'import type { Entry } from "../gen/raftpb/raft.js";\nexport type Entries = Entry[];\n',
    "src/wal/wal.ts": 'import { SNAP } from "../snap/snap.js";\nexport const WAL = SNAP;\n',
    "src/snap/snap.ts": "export const SNAP = 1;\n",
    "src/storage/mvcc/kvstore.ts": 'import type { Lessor } from "../../lease/lessor.js";\nexport interface KV { lessor?: Lessor }\n',
    "src/lease/lessor.ts": 'import type { Index } from "../storage/mvcc/index.js";\nexport interface Lessor { index?: Index }\n',
    "src/storage/mvcc/index.ts": 'import type { Revision } from "./revision.js";\nexport interface Index { at?: Revision }\n',
    "src/storage/mvcc/revision.ts": 'import type { Index } from "./index.js";\nexport interface Revision { index?: Index }\n',
    "src/storage/backend/backend.ts": 'import { repoRoot } from "../../../test/harness/paths.js";\nexport const where = repoRoot;\n',
    "src/client/client.ts": 'import type { Server } from "../server/server.js";\nexport type Remote = Server;\n',
    "src/api/grpc-server.ts": 'import { start } from "../main/etcd.js";\nexport const serve = start;\n',
    "src/main/etcd.ts": "export const start = 1;\n",
    "src/plugins/store.ts": 'import { ZERO } from "../pkg/bytes.js";\nexport const PLUGIN = ZERO;\n',
    "src/auth/store.ts": 'import type { Lessor } from "../lease/lessor.js";\nexport interface Users { lessor?: Lessor }\n',
    "src/api/auth-service.ts": 'import type { Users } from "../auth/store.js";\nexport type Served = Users;\n',
    "src/raft/storage.ts": 'import { gone } from "./missing.js";\nexport const x = gone;\n',
  });
  const r = cruise(root, ["src", "test"]);
  assert.deepEqual(r.violations, [
    "api-below-cli-and-main: src/api/grpc-server.ts -> src/main/etcd.ts",
    "auth-below-server: src/auth/store.ts -> src/lease/lessor.ts",
    "auth-for-server-and-main: src/api/auth-service.ts -> src/auth/store.ts",
    "client-apart-from-server: src/client/client.ts -> src/server/server.ts",
    "gen-by-generated-path: src/server/server.ts -> src/gen/hand-written.ts",
    "in-a-layer: src/plugins/store.ts -> src/pkg/bytes.ts",
    "lease-beside-mvcc: src/lease/lessor.ts -> src/storage/mvcc/index.ts",
    "main-is-the-root: src/api/grpc-server.ts -> src/main/etcd.ts",
    "mvcc-without-auth-and-lease: src/storage/mvcc/kvstore.ts -> src/lease/lessor.ts",
    "no-circular: src/storage/mvcc/index.ts -> src/storage/mvcc/revision.ts",
    "not-to-unresolvable: src/raft/storage.ts -> ./missing.js",
    "pkg-is-a-leaf: src/pkg/entries.ts -> src/gen/raftpb/raft.ts",
    "production-without-test-code: src/server/server.ts -> src/server/test-support.ts",
    "raft-is-pure: src/raft/raft.ts -> src/server/server.ts",
    "server-below-api: src/server/server.ts -> src/api/status.ts",
    "server-without-grpc-js: src/server/server.ts -> node_modules/@grpc/grpc-js/index.js",
    "src-without-test-and-bench: src/storage/backend/backend.ts -> test/harness/paths.ts",
    "storage-below-lease-and-server: src/storage/mvcc/kvstore.ts -> src/lease/lessor.ts",
    "wal-snap-below-storage: src/wal/wal.ts -> src/snap/snap.ts",
  ]);
  assert.notEqual(r.status, 0);
});

test("a wrong import written into the real src/raft fails the check, and is removed after it", () => {
  const fixture = join("src", "raft", `guard-fixture-${process.pid}.ts`);
  let r: ReturnType<typeof cruise>;
  try {
    writeFileSync(join(repoRoot, fixture), 'import type { EtcdServer } from "../server/etcd-server.js";\nexport type Leader = EtcdServer;\n');
    r = cruise(repoRoot, [fixture]);
  } finally {
    rmSync(join(repoRoot, fixture), { force: true });
  }
  assert.equal(existsSync(join(repoRoot, fixture)), false);
  assert.deepEqual(r.violations, [`raft-is-pure: ${fixture} -> src/server/etcd-server.ts`]);
  assert.notEqual(r.status, 0);
});

test("the lint passes on the repository as it is", () => {
  const r = run([OXLINT, "--type-aware", "--deny-warnings", "src", "test", "bench"], repoRoot);
  assert.equal(r.status, 0, r.stdout + r.stderr);
});

test("the lint fails on floating and misused promises, and lets node:test's own calls float", (t) => {
  const root = scratchTree(t, {
    "tsconfig.json": JSON.stringify({
      compilerOptions: { strict: true, target: "ES2022", module: "NodeNext", moduleResolution: "NodeNext", types: ["node"], noEmit: true },
      include: ["*.ts"],
    }),
    "probe.ts": [
      'import { test } from "node:test";',
      "async function work(): Promise<number> {",
      "  return 1;",
      "}",
      "export function floating(): void {",
      "  work();",
      "}",
      "export function misused(): boolean {",
      "  return work() ? true : false;",
      "}",
      'test("run by the runner", () => {});',
      "",
    ].join("\n"),
  });
  // node's own types, for node:test
  mkdirSync(join(root, "node_modules"));
  symlinkSync(join(repoRoot, "node_modules", "@types"), join(root, "node_modules", "@types"), "dir");
  const r = run([OXLINT, "-c", OXLINT_CONFIG, "--type-aware", "--deny-warnings", "-f", "json", "probe.ts"], root, OXLINT_ENV);
  const report = JSON.parse(r.stdout) as { diagnostics: { code: string; labels: { span: { line: number } }[] }[] };
  const found = report.diagnostics.map((d) => `${d.code} line ${d.labels[0]?.span.line}`).sort();
  assert.deepEqual(found, ["typescript(no-floating-promises) line 6", "typescript(no-misused-promises) line 9"]);
  assert.notEqual(r.status, 0);
});
