import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { USAGE } from "./help.js";
import { err, hrefs, LOCAL, ok, parse } from "./test-support.js";

describe("command-line syntax (Go flag package)", () => {
  const forms: [string, string[]][] = [
    ["--x=v", ["--name=a"]],
    ["--x v", ["--name", "a"]],
    ["-x v", ["-name", "a"]],
    ["-x=v", ["-name=a"]],
  ];
  for (const [form, argv] of forms) {
    it(`accepts ${form}`, () => assert.equal(ok(argv).config.name, "a"));
  }

  it("boolean flags: bare means true, =false/=0/=F set false", () => {
    assert.equal(ok(["--enable-pprof"]).config.enablePprof, true);
    assert.equal(ok(["-enable-pprof"]).config.enablePprof, true);
    for (const f of ["false", "0", "F", "FALSE", "False", "f"]) assert.equal(ok([`--pre-vote=${f}`]).config.preVote, false, f);
    for (const t of ["true", "1", "T", "TRUE", "True", "t"]) assert.equal(ok([`--enable-pprof=${t}`]).config.enablePprof, true, t);
  });

  it("a boolean does not take the next argument (real etcd: '--pre-vote false' → \"false\" is not a valid flag)", () => {
    assert.deepEqual(err(["--pre-vote", "false"]), { kind: "error", message: '"false" is not a valid flag', exitCode: 1 });
  });

  it("a value may start with a dash when given as the next argument", () => {
    assert.equal(ok(["--name", "-x"]).config.name, "-x");
    assert.equal(ok(["--name=--y"]).config.name, "--y");
  });

  it("a value may contain '='", () => assert.equal(ok(["--initial-cluster-token=a=b"]).config.initialClusterToken, "a=b"));

  it("the last occurrence of a repeated flag wins", () => {
    assert.equal(ok(["--name=a", "--name=b"]).config.name, "b");
    assert.deepEqual(hrefs(ok(["--listen-client-urls=http://127.0.0.1:1", "--listen-client-urls=http://127.0.0.1:2", "--advertise-client-urls=http://127.0.0.1:2"]).config.listenClientUrls), ["http://127.0.0.1:2"]);
  });

  it("repeated --feature-gates accumulate (etcd's featuregate.Set)", () => {
    const { config } = ok(["--feature-gates=InitialCorruptCheck=true", "--feature-gates=CompactHashCheck=true"]);
    assert.equal(config.featureGates.InitialCorruptCheck, true);
    assert.equal(config.featureGates.CompactHashCheck, true);
  });

  it("'--' ends the flags; anything after it is a positional argument (real etcd: 'extra' is not a valid flag)", () => {
    assert.equal(ok(["--name=a", "--"]).config.name, "a");
    assert.deepEqual(err(["--", "extra"]), { kind: "error", message: '"extra" is not a valid flag', exitCode: 1 });
    assert.deepEqual(err(["--", "--name=a"]), { kind: "error", message: '"--name=a" is not a valid flag', exitCode: 1 });
  });

  it("parsing stops at the first positional argument (real etcd: 'foo', '-')", () => {
    assert.equal(err(["foo", "--name=a"]).message, '"foo" is not a valid flag');
    assert.equal(err(["--name", "x", "extra"]).message, '"extra" is not a valid flag');
    assert.equal(err(["-"]).message, '"-" is not a valid flag');
    assert.equal(err(["foo", "-h"]).message, '"foo" is not a valid flag');
  });

  // Every message and exit code below was compared with /usr/bin/etcd 3.4.23.
  const syntaxErrors: [string[], string][] = [
    [["--foo"], "flag provided but not defined: -foo"],
    [["-foo=1"], "flag provided but not defined: -foo"],
    [["--Name=a"], "flag provided but not defined: -Name"],
    [["--name"], "flag needs an argument: -name"],
    [["--initial-cluster-state"], "flag needs an argument: -initial-cluster-state"],
    [["---x"], "bad flag syntax: ---x"],
    [["-=x"], "bad flag syntax: -=x"],
    [["--=x"], "bad flag syntax: --=x"],
    [["--snapshot-count=abc"], 'invalid value "abc" for flag -snapshot-count: parse error'],
    [["--snapshot-count=-1"], 'invalid value "-1" for flag -snapshot-count: parse error'],
    [["--heartbeat-interval=-1"], 'invalid value "-1" for flag -heartbeat-interval: parse error'],
    [["--max-txn-ops=0x"], 'invalid value "0x" for flag -max-txn-ops: parse error'],
    [["--max-txn-ops=1__0"], 'invalid value "1__0" for flag -max-txn-ops: parse error'],
    [["--backend-batch-limit=9223372036854775808"], 'invalid value "9223372036854775808" for flag -backend-batch-limit: value out of range'],
    [["--max-concurrent-streams=99999999999"], 'invalid value "99999999999" for flag -max-concurrent-streams: strconv.ParseUint: parsing "99999999999": value out of range'],
    [["--max-concurrent-streams=x"], 'invalid value "x" for flag -max-concurrent-streams: strconv.ParseUint: parsing "x": invalid syntax'],
    [["--pre-vote=maybe"], 'invalid boolean value "maybe" for -pre-vote: parse error'],
    [["--initial-cluster-state=bogus"], 'invalid value "bogus" for flag -initial-cluster-state: invalid value'],
    [["--discovery-fallback=bogus"], 'invalid value "bogus" for flag -discovery-fallback: invalid value'],
    [["--proxy=bogus"], 'invalid value "bogus" for flag -proxy: invalid value'],
    [["--v2-deprecation=not-yet"], 'invalid value "not-yet" for flag -v2-deprecation: invalid value "not-yet"'],
    [["--backend-batch-interval=10"], 'invalid value "10" for flag -backend-batch-interval: parse error'],
    [["--grpc-keepalive-timeout=5x"], 'invalid value "5x" for flag -grpc-keepalive-timeout: parse error'],
    [["--listen-client-urls=ftp://127.0.0.1:42379"], 'invalid value "ftp://127.0.0.1:42379" for flag -listen-client-urls: URL scheme must be http, https, unix, or unixs: ftp://127.0.0.1:42379'],
    [["--listen-client-urls=http://127.0.0.1:42379/x"], 'invalid value "http://127.0.0.1:42379/x" for flag -listen-client-urls: URL must not contain a path: http://127.0.0.1:42379/x'],
    [["--listen-client-urls=http://127.0.0.1"], 'invalid value "http://127.0.0.1" for flag -listen-client-urls: URL address does not have the form "host:port": http://127.0.0.1'],
    [["--listen-client-urls=127.0.0.1:42379"], 'invalid value "127.0.0.1:42379" for flag -listen-client-urls: parse "127.0.0.1:42379": first path segment in URL cannot contain colon'],
    [["--advertise-client-urls=localhost:2379"], 'invalid value "localhost:2379" for flag -advertise-client-urls: URL scheme must be http, https, unix, or unixs: localhost:2379'],
    [["--cors="], 'invalid value "" for flag -cors: URL scheme must be http, https, unix, or unixs: '],
    [["--cors=https://example.com"], 'invalid value "https://example.com" for flag -cors: URL address does not have the form "host:port": https://example.com'],
    [["--feature-gates=Foo=true"], 'invalid value "Foo=true" for flag -feature-gates: unrecognized feature gate: Foo'],
    [["--feature-gates=InitialCorruptCheck"], 'invalid value "InitialCorruptCheck" for flag -feature-gates: missing bool value for InitialCorruptCheck'],
    [["--feature-gates=InitialCorruptCheck=maybe"], 'invalid value "InitialCorruptCheck=maybe" for flag -feature-gates: invalid value of InitialCorruptCheck=maybe, err: strconv.ParseBool: parsing "maybe": invalid syntax'],
    [["--foo", "-h"], "flag provided but not defined: -foo"],
  ];
  for (const [argv, message] of syntaxErrors) {
    it(`${argv.join(" ")} → exit 2 with usage: ${message}`, () => {
      assert.deepEqual(err(argv), { kind: "error", message, exitCode: 2, usage: USAGE });
    });
  }

  it("help: -h, --help, -help, --h and --help=false all print help (real etcd: exit 0)", () => {
    for (const h of ["-h", "--help", "-help", "--h", "--help=false"]) assert.equal(parse([h]).kind, "help", h);
    assert.equal(parse(["-h", "--foo"]).kind, "help");
    assert.equal(parse(["--name=a", "-h"]).kind, "help");
  });

  it("etcd 2 flags are accepted as booleans and ignored with etcd's warning (real etcd: --snapshot, --v=3)", () => {
    const { warnings, config } = ok(["--snapshot", "--v=3", "--peer-election-timeout", ...LOCAL]);
    assert.ok(warnings.includes('flag "-snapshot" is no longer supported - ignoring.'));
    assert.ok(warnings.includes('flag "-v" is no longer supported - ignoring.'));
    assert.ok(warnings.includes('flag "-peer-election-timeout" is no longer supported - ignoring.'));
    assert.ok(config.explicitlySet.has("snapshot"));
  });

  it("numbers take Go's syntax: hex, octal, binary, underscores", () => {
    assert.equal(ok(["--max-txn-ops=0x80"]).config.maxTxnOps, 128);
    assert.equal(ok(["--max-txn-ops=0200"]).config.maxTxnOps, 128);
    assert.equal(ok(["--max-txn-ops=0b10000000"]).config.maxTxnOps, 128);
    assert.equal(ok(["--max-request-bytes=1_048_576"]).config.maxRequestBytes, 1048576);
    assert.equal(ok(["--quota-backend-bytes=-1"]).config.quotaBackendBytes, -1);
  });

  it("durations take Go's syntax and come out in milliseconds", () => {
    assert.equal(ok(["--backend-batch-interval=10ms"]).config.backendBatchIntervalMs, 10);
    assert.equal(ok(["--backend-batch-interval=500us"]).config.backendBatchIntervalMs, 0.5);
    assert.equal(ok(["--grpc-keepalive-interval=1h30m"]).config.grpcKeepaliveIntervalMs, 5_400_000);
    assert.equal(ok(["--grpc-keepalive-timeout=0"]).config.grpcKeepaliveTimeoutMs, 0);
  });

  it("--version prints the version, but only after the whole line parsed (real etcd: --version extra → error)", () => {
    assert.equal(parse(["--version"]).kind, "version");
    assert.equal(parse(["--name=x", "--version=true"]).kind, "version");
    assert.equal(parse(["--version=false"]).kind, "run");
    assert.equal(err(["--version", "extra"]).message, '"extra" is not a valid flag');
    assert.equal(err(["--version", "--foo"]).exitCode, 2);
  });
});
