import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { FLAG_SPECS, flagToEnv } from "./flags.js";
import { err, hrefs, LOCAL, ok } from "./test-support.js";

const CONFLICT = (key: string): string =>
  `conflicting environment variable "${key}" is shadowed by corresponding command-line flag (either unset environment variable or disable flag)`;

describe("ETCD_* environment variables", () => {
  it("ETCD_<FLAG> sets the flag", () => {
    const { config } = ok([], {
      ETCD_NAME: "envname",
      ETCD_DATA_DIR: "/d",
      ETCD_SNAPSHOT_COUNT: "77",
      ETCD_PRE_VOTE: "false",
      ETCD_BACKEND_BATCH_INTERVAL: "15ms",
      ETCD_LISTEN_CLIENT_URLS: "http://127.0.0.1:3379",
      ETCD_ADVERTISE_CLIENT_URLS: "http://127.0.0.1:3379",
      ETCD_LOG_OUTPUTS: "stdout",
      ETCD_FEATURE_GATES: "InitialCorruptCheck=true",
    });
    assert.equal(config.name, "envname");
    assert.equal(config.dataDir, "/d");
    assert.equal(config.snapshotCount, 77);
    assert.equal(config.preVote, false);
    assert.equal(config.backendBatchIntervalMs, 15);
    assert.deepEqual(hrefs(config.listenClientUrls), ["http://127.0.0.1:3379"]);
    assert.deepEqual(config.logOutputs, ["stdout"]);
    assert.equal(config.featureGates.InitialCorruptCheck, true);
    assert.ok(config.explicitlySet.has("name") && config.explicitlySet.has("pre-vote"));
  });

  it("every flag has its variable (ETCD_ + upper snake case)", () => {
    for (const spec of FLAG_SPECS) {
      if (spec.kind.type !== "string" || spec.name === "config-file") continue;
      // Every string flag accepts an arbitrary value from its variable, unless validation rejects it later.
      const key = flagToEnv(spec.name);
      const r = ok([], { [key]: spec.def === "" ? "" : spec.def });
      assert.equal(r.config.explicitlySet.has(spec.name), spec.def !== "", key);
    }
  });

  it("a flag given both ways is fatal, with etcd's message (real etcd 3.4.23: exit 1)", () => {
    assert.deepEqual(err(["--name=y", ...LOCAL], { ETCD_NAME: "x" }), { kind: "error", message: CONFLICT("ETCD_NAME"), exitCode: 1 });
  });

  it("…even when the variable is empty (real etcd: ETCD_NAME= etcd --name y)", () => {
    assert.equal(err(["--name=y"], { ETCD_NAME: "" }).message, CONFLICT("ETCD_NAME"));
  });

  it("the conflict wins over an invalid value elsewhere", () => {
    assert.equal(err(["--name=y"], { ETCD_SNAPSHOT_COUNT: "abc", ETCD_NAME: "x" }).message, CONFLICT("ETCD_NAME"));
  });

  it("invalid values name the variable (real etcd: ETCD_SNAPSHOT_COUNT=abc, ETCD_PRE_VOTE=maybe, ETCD_MAX_CONCURRENT_STREAMS=x, ETCD_INITIAL_CLUSTER_STATE=x)", () => {
    const cases: [Record<string, string>, string][] = [
      [{ ETCD_SNAPSHOT_COUNT: "abc" }, 'invalid value "abc" for ETCD_SNAPSHOT_COUNT: parse error'],
      [{ ETCD_PRE_VOTE: "maybe" }, 'invalid value "maybe" for ETCD_PRE_VOTE: parse error'],
      [{ ETCD_MAX_CONCURRENT_STREAMS: "x" }, 'invalid value "x" for ETCD_MAX_CONCURRENT_STREAMS: strconv.ParseUint: parsing "x": invalid syntax'],
      [{ ETCD_INITIAL_CLUSTER_STATE: "x" }, 'invalid value "x" for ETCD_INITIAL_CLUSTER_STATE: invalid value'],
      [{ ETCD_LISTEN_PEER_URLS: "ftp://a:1" }, 'invalid value "ftp://a:1" for ETCD_LISTEN_PEER_URLS: URL scheme must be http, https, unix, or unixs: ftp://a:1'],
    ];
    for (const [env, message] of cases) assert.deepEqual(err([], env), { kind: "error", message, exitCode: 1 });
  });

  it("when several values are invalid, the last flag in name order is reported (etcd keeps the last error)", () => {
    assert.equal(err([], { ETCD_MAX_TXN_OPS: "x", ETCD_SNAPSHOT_COUNT: "abc" }).message, 'invalid value "abc" for ETCD_SNAPSHOT_COUNT: parse error');
  });

  it("unknown ETCD_* variables and empty known ones are reported as unrecognized (real etcd: ETCD_FOO=bar ETCD_NAME=)", () => {
    const { warnings } = ok(LOCAL.slice(), { ETCD_FOO: "bar", ETCD_NAME: "", PATH: "/bin", ETCDCTL_API: "3" });
    assert.ok(warnings.includes("unrecognized environment variable ETCD_FOO=bar"));
    assert.ok(warnings.includes("unrecognized environment variable ETCD_NAME="));
    assert.ok(!warnings.some((w) => w.includes("PATH") || w.includes("ETCDCTL_API")));
  });

  it("a variable counts as setting the flag (real etcd: ETCD_LISTEN_CLIENT_URLS alone → advertise URLs required)", () => {
    assert.equal(
      err([], { ETCD_LISTEN_CLIENT_URLS: "http://127.0.0.1:42379" }).message,
      "--advertise-client-urls is required when --listen-client-urls is set explicitly",
    );
  });

  it("ETCD_MAX_CLIENT_CONNECTIONS sets our connection cap; a bad value names the variable", () => {
    assert.equal(ok([], { ETCD_MAX_CLIENT_CONNECTIONS: "0" }).config.maxClientConnections, 0);
    assert.equal(ok([], { ETCD_MAX_CLIENT_CONNECTIONS: "250" }).config.maxClientConnections, 250);
    assert.equal(
      err([], { ETCD_MAX_CLIENT_CONNECTIONS: "-1" }).message,
      'invalid value "-1" for ETCD_MAX_CLIENT_CONNECTIONS: parse error',
    );
  });

  it("ETCD_VERSION is never applied (etcd 3.5+ warns and drops it)", () => {
    const { warnings } = ok([], { ETCD_VERSION: "true" });
    assert.ok(warnings.includes("cannot set special environment variable ETCD_VERSION=true"));
    assert.ok(!warnings.some((w) => w.startsWith("unrecognized environment variable ETCD_VERSION")));
  });

  it("ETCD_ variables of the ignored etcd 2 flags are accepted with etcd's warning", () => {
    const { warnings } = ok([], { ETCD_SNAPSHOT: "true" });
    assert.ok(warnings.includes('flag "-snapshot" is no longer supported - ignoring.'));
  });

  it("undefined entries (as in a copied process.env) are treated as absent", () => {
    assert.equal(ok([], { ETCD_NAME: undefined as unknown as string }).config.name, "default");
  });
});
