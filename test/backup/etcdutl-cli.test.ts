/**
 * etcdutl's command line as etcd 3.6's cobra-built etcdutl has it: help
 * texts, `version`, and the answers to mistakes (unknown flag or command,
 * missing required flag or argument) with their exit codes. The texts
 * were compared with etcd 3.6.16's etcdutl built from source (not needed
 * here: CI has no Go module proxy).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { etcdutl } from "./etcdutl-harness.js";

const GLOBAL_FLAGS =
  "Global Flags:\n" +
  "      --timeout duration   time to wait to obtain a file lock on db file, 0 to block indefinitely (default 10s)\n" +
  '  -w, --write-out string   set the output format (fields, json, protobuf, simple, table) (default "simple")\n';

const DEFRAG_USAGE =
  "Usage:\n  etcdutl defrag [flags]\n\nFlags:\n" +
  "      --data-dir string   Required. Defragments a data directory not in use by etcd.\n" +
  "  -h, --help              help for defrag\n\n" +
  GLOBAL_FLAGS;

test("etcdutl alone and -h print the command list on stdout, exit 0", async () => {
  for (const args of [[], ["-h"], ["--help"], ["help"]]) {
    const r = await etcdutl(args);
    assert.equal(r.code, 0);
    assert.equal(r.stderr, "");
    assert.ok(r.stdout.startsWith("Usage:\n  etcdutl [command]\n\nAvailable Commands:\n  defrag "), r.stdout);
    for (const name of ["defrag", "hashkv", "help", "migrate-from-etcd", "snapshot", "version"]) assert.match(r.stdout, new RegExp(`\\n  ${name} +\\S`));
    assert.ok(r.stdout.endsWith('Use "etcdutl [command] --help" for more information about a command.\n'));
  }
});

test("a command's help, also through `help <command>` and a unique prefix", async () => {
  for (const args of [["defrag", "-h"], ["help", "defrag"], ["defr", "--help"]]) {
    const r = await etcdutl(args);
    assert.deepEqual([r.code, r.stdout], [0, DEFRAG_USAGE], args.join(" "));
  }
  const snapshot = await etcdutl(["snapshot"]);
  assert.equal(snapshot.code, 0);
  assert.match(snapshot.stdout, /^Usage:\n  etcdutl snapshot \[command\]\n\nAvailable Commands:\n  restore     Restores an etcd member snapshot to an etcd directory\n  status      Gets backend snapshot status of a given file\n/);
  const restore = await etcdutl(["snapshot", "restore", "-h"]);
  assert.match(restore.stdout, /^Usage:\n  etcdutl snapshot restore <filename> --data-dir \{output dir\} \[options\] \[flags\]\n/);
  assert.match(restore.stdout, /\n      --initial-cluster string               Initial cluster configuration for restore bootstrap \(default "default=http:\/\/localhost:2380"\)\n/);
  assert.match(restore.stdout, /\n      --bump-revision uint                   How much to increase the latest revision after restore\n/);
  const migrate = await etcdutl(["migrate-from-etcd", "-h"]);
  assert.match(migrate.stdout, /not in etcd's etcdutl/);
});

test("version: etcd's two lines, then ours", async () => {
  const r = await etcdutl(["version"]);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^etcdutl version: 3\.\d+\.\d+\nAPI version: 3\.\d+\netcd-ts version: \d+\.\d+\.\d+\n$/);
});

test("an unknown flag: cobra's error and usage on stderr, then cobrautl's error, exit 1", async () => {
  const r = await etcdutl(["defrag", "--data-dir", "x", "--bogus"]);
  assert.equal(r.code, 1);
  assert.equal(r.stdout, "");
  assert.equal(r.stderr, `Error: unknown flag: --bogus\n${DEFRAG_USAGE}\nError: unknown flag: --bogus\n`);
  const short = await etcdutl(["-x"]);
  assert.equal(short.code, 1);
  assert.match(short.stderr, /^Error: unknown shorthand flag: 'x' in -x\nUsage:\n/);
});

test("an unknown command, a missing required flag, a missing argument, a bad value", async () => {
  const unknown = await etcdutl(["frobnicate"]);
  assert.deepEqual([unknown.code, unknown.stderr], [1, 'Error: unknown command "frobnicate" for "etcdutl"\nRun \'etcdutl --help\' for usage.\nError: unknown command "frobnicate" for "etcdutl"\n']);
  const required = await etcdutl(["defrag"]);
  assert.deepEqual([required.code, required.stderr], [1, `Error: required flag(s) "data-dir" not set\n${DEFRAG_USAGE}\nError: required flag(s) "data-dir" not set\n`]);
  const noFile = await etcdutl(["hashkv"]);
  assert.equal(noFile.code, 1);
  assert.match(noFile.stderr, /^Error: accepts 1 arg\(s\), received 0\nUsage:\n  etcdutl hashkv <filename> \[flags\]\n/);
  const status = await etcdutl(["snapshot", "status"]);
  assert.deepEqual([status.code, status.stderr], [128, "Error: snapshot status requires exactly one argument\n"]);
  const badRev = await etcdutl(["hashkv", "f.db", "--rev", "abc"]);
  assert.equal(badRev.code, 1);
  assert.match(badRev.stderr, /^Error: invalid argument "abc" for "--rev" flag: strconv\.ParseInt: parsing "abc": invalid syntax\n/);
});
