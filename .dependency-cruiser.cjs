// The layering of src/, checked by dependency-cruiser on every `npm run lint`
// (and so on every `npm test`). A dependency that breaks a rule fails the run.
//
// Layers, lowest first; a module may import only its own layer and layers
// below it (docs/architecture.md, "Modules and their boundaries"):
//   pkg, gen, version.ts  leaf helpers, generated protobuf code
//   tls                   certificates, keys, CRLs, TLS policy (on pkg only)
//   raft                  the pure state machine
//   wal, snap             files on disk
//   storage               backend, consistent index, mvcc
//   lease                 the lessor (beside mvcc, never on top of it)
//   server                the etcd server
//   api, client           the gRPC/HTTP edge; a client library (none yet)
//   cli, main             flags and the composition root: may import anything
//
// Parser: swc (@swc/core), not TypeScript. dependency-cruiser's own TypeScript
// extractor calls the TypeScript 2–6 JavaScript compiler API; TypeScript 7 (the
// Go compiler we build with) no longer has one, so with it dependency-cruiser
// would fall back to acorn, which cannot read .ts. Cruising the compiled dist/
// instead would lose `import type`, which tsc erases. swc parses our sources
// as they are and reports `import type` like any import, so a cycle or an
// upward dependency made only of types fails the check too.
const { readdirSync, statSync } = require("node:fs");
const { join, relative } = require("node:path");

/** The modules scripts/gen-proto.mjs writes: src/gen/<path of a .proto>.ts, and descriptors.ts (all of them, as descriptors). */
function generatedModules() {
  const protoDir = join(__dirname, "proto");
  const found = [];
  const walk = (dir) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith(".proto")) found.push(relative(protoDir, path).replace(/\.proto$/, ""));
    }
  };
  walk(protoDir);
  return [...found.sort(), "descriptors"];
}

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const GENERATED = `^src/gen/(${generatedModules().map(escape).join("|")})\\.ts$`;
const LAYERS = "pkg|gen|tls|raft|wal|snap|storage|lease|auth|server|api|client|cli|main";
// Test code: tests, test helpers, and the program the WAL crash test kills.
const TEST_CODE = "(\\.test\\.ts|/test-support\\.ts|^src/wal/crash-child\\.ts)$";

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment: "A cycle ties its modules into one unit that can be neither tested nor replaced alone. Type-only imports count.",
      from: { path: "^(src|test|bench)/" },
      to: { circular: true },
    },
    {
      name: "in-a-layer",
      severity: "error",
      comment: "Every module under src/ belongs to a layer of this config; a new top-level folder needs its place in the rules first.",
      from: { path: "^src/", pathNot: [`^src/(${LAYERS})/`, "^src/version\\.ts$"] },
      to: {},
    },
    {
      name: "pkg-is-a-leaf",
      severity: "error",
      comment: "src/pkg holds leaf helpers: it imports nothing of ours (not even generated code).",
      from: { path: "^src/pkg/" },
      to: { path: "^(src|test|bench)/", pathNot: "^src/pkg/" },
    },
    {
      name: "gen-is-a-leaf",
      severity: "error",
      comment: "Generated code imports only generated code and its runtime packages.",
      from: { path: "^src/gen/" },
      to: { path: "^(src|test|bench)/", pathNot: "^src/gen/" },
    },
    {
      name: "version-is-a-leaf",
      severity: "error",
      from: { path: "^src/version\\.ts$" },
      to: { path: "^(src|test|bench)/" },
    },
    {
      name: "tls-on-pkg-only",
      severity: "error",
      comment: "src/tls loads and checks certificates for the server, the edge and the CLI; it imports only src/pkg.",
      from: { path: "^src/tls/" },
      to: { path: "^(src|test|bench)/", pathNot: "^src/(tls|pkg)/" },
    },
    {
      name: "x509-through-one-door",
      severity: "error",
      comment: "src/ loads @peculiar/x509 only through src/tls/x509.ts, which installs its Reflect polyfill and crypto provider first.",
      from: { path: "^src/", pathNot: "^src/tls/x509\\.ts$" },
      to: { path: "(^|/)node_modules/@peculiar/x509/" },
    },
    {
      name: "tls-for-server-and-above",
      severity: "error",
      comment: "Only the parts that listen or dial (server, api, client, cli, main) use TLS material; the cores below them never do.",
      from: { path: "^src/(raft|wal|snap|storage|lease)/" },
      to: { path: "^src/tls/" },
    },
    {
      name: "raft-is-pure",
      severity: "error",
      comment: "src/raft imports only src/pkg and its own generated types (raftpb): no storage, no server.",
      from: { path: "^src/raft/" },
      to: { path: "^(src|test|bench)/", pathNot: ["^src/(raft|pkg)/", "^src/gen/raftpb/"] },
    },
    {
      name: "wal-snap-below-storage",
      severity: "error",
      comment: "src/wal and src/snap import only src/pkg, generated code and raft's value types; not each other.",
      from: { path: "^src/(wal|snap)/" },
      to: { path: "^(src|test|bench)/", pathNot: ["^src/$1/", "^src/(pkg|gen)/", "^src/raft/types\\.ts$"] },
    },
    {
      name: "storage-below-lease-and-server",
      severity: "error",
      comment: "src/storage never imports the lessor, the server or anything above it.",
      from: { path: "^src/storage/" },
      to: { path: "^src/(lease|server|api|client|cli|main)/" },
    },
    {
      name: "bbolt-is-a-file-format",
      severity: "error",
      comment: "src/storage/bbolt reads and writes bbolt's file format and nothing else: it knows no backend, mvcc or server.",
      from: { path: "^src/storage/bbolt/" },
      to: { path: "^(src|test|bench)/", pathNot: ["^src/storage/bbolt/", "^src/pkg/"] },
    },
    {
      name: "mvcc-without-auth-and-lease",
      severity: "error",
      comment: "mvcc stores keys; leases and permissions are applied on top of it (etcd: mvcc imports neither auth nor lease).",
      from: { path: "^src/storage/mvcc/" },
      to: { path: "^src/(auth|lease|server/auth|server/lease)/" },
    },
    {
      name: "auth-below-server",
      severity: "error",
      comment: "src/auth (users, roles, permissions, tokens) keeps its state in the backend and knows nothing of mvcc, leases, raft or the server; the server applies requests to it (etcd: auth imports only the backend).",
      from: { path: "^src/auth/" },
      to: { path: "^(src|test|bench)/", pathNot: ["^src/(auth|pkg|gen)/", "^src/storage/backend/"] },
    },
    {
      name: "auth-for-server-and-main",
      severity: "error",
      comment: "Only the server (which applies and checks) and the composition root use the auth store; the API edge reaches it through src/server/api.ts.",
      from: { path: "^src/(raft|wal|snap|storage|lease|tls|api|cli|client)/" },
      to: { path: "^src/auth/" },
    },
    {
      name: "lease-beside-mvcc",
      severity: "error",
      comment:
        "The lessor never imports mvcc: key deletion on revoke is injected (etcd: lease.RangeDeleter). Its tests may pair it with a real store to show that a revoke deletes the attached keys.",
      from: { path: "^src/lease/", pathNot: TEST_CODE },
      to: { path: "^src/storage/mvcc/" },
    },
    {
      name: "lease-below-server",
      severity: "error",
      from: { path: "^src/lease/" },
      to: { path: "^src/(server|api|client|cli|main)/" },
    },
    {
      name: "server-below-api",
      severity: "error",
      comment: "src/server sees no gRPC: the API layer calls the narrow interfaces of src/server/api.ts.",
      from: { path: "^src/server/" },
      to: { path: "^src/(api|client|cli|main)/" },
    },
    {
      name: "server-without-grpc-js",
      severity: "error",
      comment: "gRPC (grpc-js included) belongs to src/api; the server speaks to peers over its own transport.",
      from: { path: "^src/server/" },
      to: { path: "(^|/)node_modules/@grpc/grpc-js/" },
    },
    {
      name: "api-below-cli-and-main",
      severity: "error",
      from: { path: "^src/api/" },
      to: { path: "^src/(client|cli|main)/" },
    },
    {
      name: "client-apart-from-server",
      severity: "error",
      comment: "A client library shares only helpers and generated types with the server (etcd: client/v3 may not import server).",
      from: { path: "^src/client/" },
      to: { path: "^src/(raft|wal|snap|storage|lease|server|api|cli|main)/" },
    },
    {
      name: "cli-only-from-main",
      severity: "error",
      comment: "Only the composition root uses the command line layer.",
      from: { path: "^src/", pathNot: "^src/(cli|main)/" },
      to: { path: "^src/cli/" },
    },
    {
      name: "main-is-the-root",
      severity: "error",
      comment: "Nothing in src/ imports the composition root (tests may start it).",
      from: { path: "^src/", pathNot: "^src/main/" },
      to: { path: "^src/main/" },
    },
    {
      name: "production-without-test-code",
      severity: "error",
      comment: "Production code never imports a test helper (test-support.ts) or a test.",
      from: { path: "^src/", pathNot: TEST_CODE },
      to: { path: TEST_CODE },
    },
    {
      name: "no-test-imports",
      severity: "error",
      comment: "A *.test.ts is run by the test runner, never imported: its tests would run twice.",
      from: {},
      to: { path: "\\.test\\.ts$" },
    },
    {
      name: "src-without-test-and-bench",
      severity: "error",
      from: { path: "^src/" },
      to: { path: "^(test|bench)/" },
    },
    {
      name: "test-without-bench",
      severity: "error",
      from: { path: "^test/" },
      to: { path: "^bench/" },
    },
    {
      name: "gen-by-generated-path",
      severity: "error",
      comment: "src/gen is rewritten by scripts/gen-proto.mjs: import only the module of a .proto under proto/, or descriptors.ts.",
      from: {},
      to: { path: "^src/gen/", pathNot: GENERATED },
    },
    {
      name: "not-to-unresolvable",
      severity: "error",
      comment: "An import that resolves to nothing (run `npm run gen` first for src/gen).",
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    parser: "swc",
    moduleSystems: ["es6"],
    doNotFollow: { path: "node_modules" },
    exclude: { path: "^dist/" },
    enhancedResolveOptions: {
      extensions: [".ts", ".js", ".mjs", ".json"],
      conditionNames: ["import", "node", "default"],
      exportsFields: ["exports"],
      mainFields: ["module", "main", "types"],
    },
    reporterOptions: {
      text: { highlightFocused: true },
    },
  },
};
