#!/usr/bin/env node
// Generates TypeScript codecs and gRPC service definitions from proto/ into
// src/gen/ with ts-proto, through the protoc binary that the `protoc` npm
// package ships. Generated code is build output: never edit it by hand.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { createHash } from "node:crypto";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const protoDir = join(root, "proto");
const outDir = join(root, "src", "gen");
const stampFile = join(outDir, ".stamp");

const tsProtoOptions = [
  "forceLong=bigint",
  "esModuleInterop=true",
  "importSuffix=.js",
  "env=node",
  "outputServices=grpc-js",
  "oneof=unions-value",
  "useExactTypes=false",
  "exportCommonSymbols=false",
  "unrecognizedEnum=false",
  "outputSchema=no-file-descriptor",
].join(",");

function protoFiles(dir) {
  const found = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) found.push(...protoFiles(path));
    else if (name.endsWith(".proto")) found.push(relative(protoDir, path));
  }
  return found.sort();
}

const files = protoFiles(protoDir);
const hash = createHash("sha256");
hash.update(tsProtoOptions);
for (const f of files) hash.update(f).update(readFileSync(join(protoDir, f)));
const stamp = hash.digest("hex");
if (existsSync(stampFile) && readFileSync(stampFile, "utf8") === stamp) process.exit(0);

rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });
const protoc = join(root, "node_modules", "protoc", "protoc.cjs");
const plugin = join(root, "node_modules", ".bin", "protoc-gen-ts_proto");
execFileSync(
  process.execPath,
  [protoc, `--plugin=protoc-gen-ts_proto=${plugin}`, `--ts_proto_out=${outDir}`, `--ts_proto_opt=${tsProtoOptions}`, `-I${protoDir}`, ...files],
  { stdio: "inherit", cwd: root },
);
writeFileSync(stampFile, stamp);
console.error(`generated ${files.length} proto files into src/gen`);
