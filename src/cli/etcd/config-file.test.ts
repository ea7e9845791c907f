import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { err, hrefs, ok } from "./test-support.js";

const PATH = "/etc/etcd/etcd.conf.yml";
const file = (text: string) => ({ [PATH]: text });
const PREFIX = "error unmarshaling JSON: while decoding JSON: json: ";

describe("--config-file", () => {
  it("reads etcd's keys", () => {
    const yaml = `
name: infra1
data-dir: /var/lib/etcd
wal-dir: /var/lib/etcd-wal
snapshot-count: 5000
heartbeat-interval: 50
election-timeout: 500
quota-backend-bytes: 8589934592
max-request-bytes: 2097152
max-txn-ops: 256
backend-batch-interval: 20000000
backend-batch-limit: 500
listen-peer-urls: http://10.0.0.1:2380
listen-client-urls: http://10.0.0.1:2379,http://127.0.0.1:2379
initial-advertise-peer-urls: http://10.0.0.1:2380
advertise-client-urls: http://10.0.0.1:2379
initial-cluster: infra1=http://10.0.0.1:2380,infra2=http://10.0.0.2:2380
initial-cluster-token: tok
initial-cluster-state: existing
logger: zap
log-level: warn
log-outputs: [stderr, /var/log/etcd.log]
auto-compaction-mode: revision
auto-compaction-retention: "1000"
pre-vote: false
enable-pprof: yes
cors: "*"
host-whitelist: b.example,a.example
cipher-suites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256]
feature-gates: CompactHashCheck=true
`;
    const { config } = ok(["--config-file", PATH], {}, file(yaml));
    assert.equal(config.configFile, PATH);
    assert.equal(config.name, "infra1");
    assert.equal(config.dataDir, "/var/lib/etcd");
    assert.equal(config.walDir, "/var/lib/etcd-wal");
    assert.equal(config.snapshotCount, 5000);
    assert.equal(config.heartbeatIntervalMs, 50);
    assert.equal(config.electionTimeoutMs, 500);
    assert.equal(config.quotaBackendBytes, 8589934592);
    assert.equal(config.maxRequestBytes, 2097152);
    assert.equal(config.maxTxnOps, 256);
    assert.equal(config.backendBatchIntervalMs, 20, "durations are integer nanoseconds in the file");
    assert.equal(config.backendBatchLimit, 500);
    assert.deepEqual(hrefs(config.listenClientUrls), ["http://10.0.0.1:2379", "http://127.0.0.1:2379"]);
    assert.deepEqual(hrefs(config.advertiseClientUrls), ["http://10.0.0.1:2379"]);
    assert.deepEqual(
      config.initialCluster.map((m) => [m.name, hrefs(m.peerUrls)]),
      [["infra1", ["http://10.0.0.1:2380"]], ["infra2", ["http://10.0.0.2:2380"]]],
    );
    assert.equal(config.initialClusterToken, "tok");
    assert.equal(config.initialClusterState, "existing");
    assert.equal(config.logLevel, "warn");
    assert.deepEqual(config.logOutputs, ["stderr", "/var/log/etcd.log"]);
    assert.equal(config.autoCompactionMode, "revision");
    assert.equal(config.autoCompactionRetentionValue, 1000);
    assert.equal(config.preVote, false);
    assert.equal(config.enablePprof, true, "YAML 1.1: yes is true");
    assert.deepEqual(config.cors, ["*"]);
    assert.deepEqual(config.hostWhitelist, ["a.example", "b.example"]);
    assert.deepEqual(config.cipherSuites, ["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"]);
    assert.equal(config.featureGates.CompactHashCheck, true);
  });

  it("TLS comes from client-transport-security / peer-transport-security", () => {
    const yaml = `
client-transport-security:
  cert-file: /c.pem
  key-file: /c.key
  client-cert-file: /cc.pem
  client-key-file: /cc.key
  client-cert-auth: true
  trusted-ca-file: /ca.pem
  auto-tls: true
  allowed-cn: [cn1]
  allowed-hostname: [h1]
  skip-client-san-verification: true
peer-transport-security:
  cert-file: /p.pem
  key-file: /p.key
  client-cert-auth: true
  trusted-ca-file: /pca.pem
  auto-tls: true
  allowed-cn: [pcn]
  allowed-hostname: [ph]
  skip-client-san-verification: true
cert-file: /ignored.pem
`;
    const { config, warnings } = ok(["--config-file", PATH], {}, file(yaml));
    assert.deepEqual({ ...config.clientTls }, {
      certFile: "/c.pem",
      keyFile: "/c.key",
      clientCertFile: "/cc.pem",
      clientKeyFile: "/cc.key",
      clientCertAuth: true,
      trustedCaFile: "/ca.pem",
      crlFile: "",
      allowedCns: ["cn1"],
      allowedHostnames: ["h1"],
      autoTls: true,
      skipClientSanVerify: true,
    });
    assert.deepEqual({ ...config.peerTls }, {
      certFile: "/p.pem",
      keyFile: "/p.key",
      clientCertFile: "",
      clientKeyFile: "",
      clientCertAuth: true,
      trustedCaFile: "/pca.pem",
      crlFile: "",
      allowedCns: ["pcn"],
      allowedHostnames: ["ph"],
      autoTls: true,
      skipClientSanVerify: true,
    });
    assert.ok(warnings.includes('unrecognized key "cert-file" in the config file is ignored'), "top-level cert-file is not an etcd key");
    assert.ok(config.explicitlySet.has("peer-client-cert-auth"));
  });

  it("max-client-connections is a uint key like every flag's", () => {
    assert.equal(ok([`--config-file=${PATH}`], {}, file("max-client-connections: 64\n")).config.maxClientConnections, 64);
    assert.equal(err([`--config-file=${PATH}`], {}, file("max-client-connections: -1\n")).message, PREFIX + "cannot unmarshal number -1 into Go struct field configYAML.max-client-connections of type uint");
  });

  it("socket-options block and the 3.6 spelling experimental-snapshot-catch-up-entries", () => {
    const { config } = ok(["--config-file", PATH], {}, file("socket-options:\n  reuse-port: true\n  reuse-address: true\nexperimental-snapshot-catch-up-entries: 42\n"));
    assert.equal(config.socketReusePort, true);
    assert.equal(config.socketReuseAddress, true);
    assert.equal(config.snapshotCatchupEntries, 42);
  });

  it("other flags and ETCD_* variables are ignored when a file is given", () => {
    const { config, warnings } = ok(["--name=fromflag", "--config-file", PATH], { ETCD_SNAPSHOT_COUNT: "abc", ETCD_NAME: "x" }, file("name: fromfile\n"));
    assert.equal(config.name, "fromfile");
    assert.equal(config.snapshotCount, 10000, "env ignored, no conflict, no parse error");
    assert.ok(warnings.some((w) => w.startsWith(`configuration loaded from ${PATH}`)));
    assert.ok(!warnings.some((w) => w.startsWith("unrecognized environment variable")));
  });

  it("ETCD_CONFIG_FILE selects the file when --config-file is absent; the flag wins over it", () => {
    const files = { "/a.yml": "name: a\n", "/b.yml": "name: b\n" };
    assert.equal(ok([], { ETCD_CONFIG_FILE: "/a.yml" }, files).config.name, "a");
    assert.equal(ok(["--config-file=/b.yml"], { ETCD_CONFIG_FILE: "/a.yml" }, files).config.name, "b");
    assert.equal(ok(["--config-file="], { ETCD_CONFIG_FILE: "/a.yml" }, files).config.name, "a");
  });

  it("an empty file gives the defaults; duplicate keys: the last wins (as etcd's YAML library)", () => {
    assert.equal(ok(["--config-file", PATH], {}, file("")).config.name, "default");
    assert.equal(ok(["--config-file", PATH], {}, file("name: a\nname: b\n")).config.name, "b");
  });

  it("the file path keeps etcd's defaults when a URL key is empty, and derives the initial cluster from the name", () => {
    const { config } = ok(["--config-file", PATH], {}, file("name: n2\nlisten-client-urls: ''\n"));
    assert.deepEqual(hrefs(config.listenClientUrls), ["http://localhost:2379"]);
    assert.equal(config.initialClusterText, "n2=http://localhost:2380");
    assert.equal(config.dataDir, "n2.etcd");
  });

  it("listen-client-urls in a file keeps the default advertise URL (no flag-style clearing)", () => {
    const { config } = ok(["--config-file", PATH], {}, file("listen-client-urls: http://127.0.0.1:2379\n"));
    assert.deepEqual(hrefs(config.advertiseClientUrls), ["http://localhost:2379"]);
  });

  it("discovery clears the default initial cluster", () => {
    const { config } = ok(["--config-file", PATH], {}, file("discovery-srv: example.com\n"));
    assert.equal(config.initialClusterText, "");
    assert.deepEqual(config.initialCluster, []);
  });

  it("self-signed-cert-validity 0 becomes 1, as etcd does for files", () => {
    assert.equal(ok(["--config-file", PATH], {}, file("self-signed-cert-validity: 0\n")).config.selfSignedCertValidityYears, 1);
  });

  it("experimental booleans in the file set feature gates", () => {
    const { config } = ok(["--config-file", PATH], {}, file("experimental-initial-corrupt-check: true\n"));
    assert.equal(config.featureGates.InitialCorruptCheck, true);
  });

  // Messages compared against real etcd 3.4.23 run with each file.
  const errors: [string, string, string][] = [
    ["a string for a number", "name: a\nsnapshot-count: abc\n", PREFIX + "cannot unmarshal string into Go struct field configYAML.snapshot-count of type uint64"],
    ["a negative number for an unsigned field", "snapshot-count: -1\n", PREFIX + "cannot unmarshal number -1 into Go struct field configYAML.snapshot-count of type uint64"],
    ["a duration written with units", "backend-batch-interval: 10ms\n", PREFIX + "cannot unmarshal string into Go struct field configYAML.backend-batch-interval of type time.Duration"],
    ["a number in a TLS block string", "client-transport-security:\n  cert-file: 3\n", PREFIX + "cannot unmarshal number into Go struct field securityConfig.client-transport-security.cert-file of type string"],
    ["a string for log-outputs", "log-outputs: stderr\n", PREFIX + "cannot unmarshal string into Go struct field configYAML.log-outputs of type []string"],
    ["a number inside log-outputs", "log-outputs: [stderr, 5]\n", PREFIX + "cannot unmarshal number into Go struct field configYAML.log-outputs of type string"],
    ["a top-level list", "- a\n- b\n", PREFIX + "cannot unmarshal array into Go value of type embed.configYAML"],
    ["a fraction for an integer", "heartbeat-interval: 1.5\n", PREFIX + "cannot unmarshal number 1.5 into Go struct field configYAML.heartbeat-interval of type uint"],
    ["a quoted number", 'heartbeat-interval: "100"\n', PREFIX + "cannot unmarshal string into Go struct field configYAML.heartbeat-interval of type uint"],
    ["a number for a bool", "pre-vote: 1\n", PREFIX + "cannot unmarshal number into Go struct field configYAML.pre-vote of type bool"],
    ["a number for a string (first key in order wins)", "name: 123\nauto-compaction-retention: 1\n", PREFIX + "cannot unmarshal number into Go struct field configYAML.auto-compaction-retention of type string"],
    ["a scalar TLS block", "client-transport-security: 5\n", PREFIX + "cannot unmarshal number into Go struct field configYAML.client-transport-security of type embed.securityConfig"],
    ["a bad URL", "listen-client-urls: ftp://1.2.3.4:1\n", "unexpected error setting up listen-client-urls: URL scheme must be http, https, unix, or unixs: ftp://1.2.3.4:1"],
    ["a bad advertise URL (etcd's message names advertise-peer-urls)", "advertise-client-urls: http://1.2.3.4\n", 'unexpected error setting up advertise-peer-urls: URL address does not have the form "host:port": http://1.2.3.4'],
    ["a bad cluster state", "initial-cluster-state: bogus\n", 'unexpected clusterState "bogus"'],
    ["an empty peer TLS block", "peer-transport-security:\n", "invalid peer-transport-security"],
    ["an unknown feature gate", "feature-gates: Nope=true\n", "unrecognized feature gate: Nope"],
    ["a bad discovery-fallback (etcd 3.4 key)", "discovery-fallback: maybe\n", "unexpected error setting up discovery-fallback flag: invalid value"],
    ["a bad cors URL", "cors: example.com\n", "unexpected error setting up cors: URL scheme must be http, https, unix, or unixs: example.com"],
  ];
  for (const [what, yaml, message] of errors) {
    it(`rejects ${what} with etcd's message`, () => {
      assert.deepEqual(err(["--config-file", PATH], {}, file(yaml)), { kind: "error", message, exitCode: 1 });
    });
  }

  it("bad YAML syntax is reported as etcd does (error converting YAML to JSON: yaml: line N: …)", () => {
    const { message, exitCode } = err(["--config-file", PATH], {}, file("name: a\n  bad: : x\n"));
    assert.equal(exitCode, 1);
    assert.match(message, /^error converting YAML to JSON: yaml: line \d+: /);
  });

  it("unreadable files give Go's os.ReadFile text (real etcd: missing file, a directory)", () => {
    assert.equal(err(["--config-file", "/nonexistent.yaml"]).message, "open /nonexistent.yaml: no such file or directory");
    const dir = (p: string): string => {
      throw Object.assign(new Error(`EISDIR: illegal operation on a directory, read`), { code: "EISDIR", path: p });
    };
    const r = parseEtcdConfigWith(dir);
    assert.deepEqual(r, { kind: "error", message: "read /tmp: is a directory", exitCode: 1 });
  });

  it("validation applies to file settings too", () => {
    assert.equal(err(["--config-file", PATH], {}, file("election-timeout: 400\n")).message, "--election-timeout[400ms] should be at least as 5 times as --heartbeat-interval[100ms]");
  });

  it("the TLS listener checks read the transport-security blocks", () => {
    const https = "listen-client-urls: https://127.0.0.1:2379\nadvertise-client-urls: https://127.0.0.1:2379\n";
    assert.equal(err(["--config-file", PATH], {}, file(https)).message, "TLS key/cert (--cert-file, --key-file) must be provided for client url https://127.0.0.1:2379 with HTTPS scheme");
    const certs = "client-transport-security:\n  cert-file: c.pem\n  key-file: k.pem\n";
    ok(["--config-file", PATH], {}, file(https + certs));
    assert.equal(
      err(["--config-file", PATH], {}, file(https + certs + "  allowed-cn: [a]\n  allowed-hostname: [h]\n")).message,
      'AllowedCNs and AllowedHostnames are mutually exclusive (cns=["a"], hostnames=["h"])',
    );
  });
});

import { parseEtcdConfig } from "./parse.js";
function parseEtcdConfigWith(readFile: (p: string) => string) {
  return parseEtcdConfig(["--config-file=/tmp"], {}, readFile);
}
