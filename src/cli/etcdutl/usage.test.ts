import { test } from "node:test";
import assert from "node:assert/strict";
import { ROOT } from "./commands.js";
import { FlagError, parseFlags } from "./flags.js";
import { flagUsages, usageText } from "./usage.js";

const hashkv = ROOT.subcommands.find((c) => c.name === "hashkv")!;

test("pflag's column layout: shorthands, type names, defaults", () => {
  assert.equal(
    flagUsages(ROOT.flags),
    "      --timeout duration   time to wait to obtain a file lock on db file, 0 to block indefinitely (default 10s)\n" +
      '  -w, --write-out string   set the output format (fields, json, protobuf, simple, table) (default "simple")\n',
  );
});

test("cobra's usage of a command with global flags", () => {
  const text = usageText([ROOT, hashkv]);
  assert.ok(text.startsWith("Usage:\n  etcdutl hashkv <filename> [flags]\n\nFlags:\n  -h, --help      help for hashkv\n      --rev int   maximum revision to hash (default: latest revision)\n\nGlobal Flags:\n"));
  assert.ok(text.endsWith('(default "simple")\n'));
});

test("flags: Go syntax for integers, bools and durations; pflag's errors", () => {
  const specs = [...ROOT.flags, ...hashkv.flags];
  const p = parseFlags(["f.db", "--rev=0x10", "-wjson", "--timeout", "1m30s"], specs);
  assert.deepEqual(p.args, ["f.db"]);
  assert.equal(p.values.get("rev"), 16n);
  assert.equal(p.values.get("write-out"), "json");
  assert.equal(p.values.get("timeout"), 90_000_000_000n);
  assert.equal(parseFlags([], specs).values.get("timeout"), 10_000_000_000n);
  assert.deepEqual(parseFlags(["--", "-x"], specs).args, ["-x"]);
  assert.throws(() => parseFlags(["--rev", "abc"], specs), new FlagError('invalid argument "abc" for "--rev" flag: strconv.ParseInt: parsing "abc": invalid syntax'));
  assert.throws(() => parseFlags(["--rev"], specs), new FlagError("flag needs an argument: --rev"));
  assert.throws(() => parseFlags(["--nope"], specs), new FlagError("unknown flag: --nope"));
  assert.throws(() => parseFlags(["-x"], specs), new FlagError("unknown shorthand flag: 'x' in -x"));
  assert.throws(() => parseFlags(["--rev", "9223372036854775808"], specs), /value out of range/);
});
