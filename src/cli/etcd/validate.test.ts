import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { err, hrefs, LOCAL, ok } from "./test-support.js";

const C = ["--listen-client-urls=http://127.0.0.1:42379", "--advertise-client-urls=http://127.0.0.1:42379"];
const P = ["--listen-peer-urls=http://127.0.0.1:42380", "--initial-advertise-peer-urls=http://127.0.0.1:42380", "--initial-cluster=default=http://127.0.0.1:42380"];

/**
 * [description, argv, message]. Rows marked "real" were run against
 * /usr/bin/etcd 3.4.23 and give the same text (etcd prints them as
 * "error verifying flags, <message>. See 'etcd --help'." and exits 1);
 * the others come from etcd 3.5/3.6 source.
 */
const ERRORS: [string, string[], string | RegExp][] = [
  ["real: listen-client-urls without advertise-client-urls", [...P, "--listen-client-urls=http://127.0.0.1:42379"], "--advertise-client-urls is required when --listen-client-urls is set explicitly"],
  ["real: an empty --listen-client-urls still counts as given", [...P, "--listen-client-urls="], "--advertise-client-urls is required when --listen-client-urls is set explicitly"],
  ["real: a host name in a listen URL", [...P, "--listen-client-urls=http://example.com:42379", "--advertise-client-urls=http://127.0.0.1:42379"], "expected IP in URL for binding (http://example.com:42379)"],
  ["a host name in a listen peer URL", [...C, "--listen-peer-urls=http://example.com:2380"], "expected IP in URL for binding (http://example.com:2380)"],
  ["a host name in a metrics URL", ["--listen-metrics-urls=http://metrics.local:2381"], "expected IP in URL for binding (http://metrics.local:2381)"],
  ["a host name in a client HTTP URL", ["--listen-client-http-urls=http://web.local:8080"], "expected IP in URL for binding (http://web.local:8080)"],
  ["real: an empty advertise peer host", [...C, "--listen-peer-urls=http://127.0.0.1:42380", "--initial-advertise-peer-urls=http://:42380"], '--initial-advertise-peer-urls "http://:42380" must be "host:port" (unexpected empty host (http://:42380))'],
  ["an empty advertise client host", ["--advertise-client-urls=http://:2379"], '--advertise-client-urls "http://:2379" must be "host:port" (unexpected empty host (http://:2379))'],
  ["real: election timeout under 5 heartbeats", [...C, ...P, "--election-timeout=400"], "--election-timeout[400ms] should be at least as 5 times as --heartbeat-interval[100ms]"],
  ["real: election timeout over 50s", [...C, ...P, "--election-timeout=60000", "--heartbeat-interval=200"], "--election-timeout[60000ms] is too long, and should be set less than 50000ms"],
  ["real: zero heartbeat", [...C, ...P, "--heartbeat-interval=0"], "--heartbeat-interval must be >0 (set to 0ms)"],
  ["real: zero election timeout", [...C, ...P, "--election-timeout=0"], "--election-timeout must be >0 (set to 0ms)"],
  ["real (3.6 wording): initial-cluster plus discovery", [...C, ...P, "--discovery=http://x"], 'multiple discovery or bootstrap flags are set. Choose one of "initial-cluster", "discovery", "discovery-endpoints" or "discovery-srv"'],
  ["real (3.6 wording): initial-cluster plus discovery-srv", [...C, ...P, "--discovery-srv=x.com"], 'multiple discovery or bootstrap flags are set. Choose one of "initial-cluster", "discovery", "discovery-endpoints" or "discovery-srv"'],
  ["discovery plus v3 discovery endpoints", ["--discovery=http://x", "--discovery-endpoints=h:1", "--discovery-token=t"], 'multiple discovery or bootstrap flags are set. Choose one of "initial-cluster", "discovery", "discovery-endpoints" or "discovery-srv"'],
  ["discovery-proxy plus v3 discovery", ["--discovery-proxy=http://p:1", "--discovery-token=t", "--discovery-endpoints=h:1"], "both v2 discovery settings (discovery, discovery-proxy) and v3 discovery settings (discovery-token, discovery-endpoints, discovery-cert, discovery-key, discovery-cacert, discovery-user, discovery-password) are set"],
  ["discovery token without endpoints", ["--discovery-token=t"], "both --discovery-token and --discovery-endpoints must be set"],
  ["discovery endpoints without token", ["--discovery-endpoints=h:1"], "both --discovery-token and --discovery-endpoints must be set"],
  ["an empty discovery endpoint", ["--discovery-endpoints=h:1,", "--discovery-token=t"], "--discovery-endpoints must not contain empty endpoints"],
  ["real: unknown auto-compaction mode", [...C, ...P, "--auto-compaction-mode=foo"], 'unknown auto-compaction-mode "foo"'],
  ["empty auto-compaction mode (3.6; 3.4 accepted it)", ["--auto-compaction-mode="], "undefined auto-compaction-mode"],
  ["real: unknown logger", [...C, ...P, "--logger=bogus"], 'unknown logger option "bogus"'],
  ["capnslog (removed in 3.5)", ["--logger=capnslog"], "--logger=capnslog is removed in v3.5"],
  ["real: default mixed with other log outputs", [...C, ...P, "--logger=zap", "--log-outputs=default,stderr"], 'multi logoutput for "default" is not supported yet'],
  ["journal mixed with other log outputs", ["--log-outputs=systemd/journal,stderr"], `running with systemd/journal but other '--log-outputs' values (["stderr" "systemd/journal"]) are configured with 'default'; override 'default' value with something else`],
  ["a bad log level (etcd panics; we report zap's error)", ["--log-level=bogus"], 'unrecognized level: "bogus"'],
  ["a bad log format", ["--log-format=xml"], "unknown log format: xml, supported values json, console"],
  ["log rotation without a file", ["--enable-log-rotation"], "--log-outputs requires a single file path when --log-rotate-config-json is defined"],
  ["log rotation with two files", ["--enable-log-rotation", "--log-outputs=/a.log,/b.log"], "--log-outputs requires a single file path when --log-rotate-config-json is defined"],
  ["log rotation with broken JSON", ["--enable-log-rotation", "--log-outputs=/a.log", "--log-rotation-config-json={"], /^improperly formatted log rotation config: /],
  ["log rotation with a mistyped field", ["--enable-log-rotation", "--log-outputs=/a.log", '--log-rotation-config-json={"maxsize":"big"}'], "invalid log rotation config: json: cannot unmarshal string into Go struct field logRotationConfig.maxsize of type int"],
  ["real (3.6 wording): lease checkpoint persist without checkpoint", [...C, ...P, "--experimental-enable-lease-checkpoint-persist"], "enabling feature gate LeaseCheckpointPersist requires enabling feature gate LeaseCheckpoint"],
  ["the same via feature gates", ["--feature-gates=LeaseCheckpointPersist=true"], "enabling feature gate LeaseCheckpointPersist requires enabling feature gate LeaseCheckpoint"],
  ["an experimental flag and its gate together", ["--experimental-initial-corrupt-check", "--feature-gates=InitialCorruptCheck=false"], "cannot specify both flags: --experimental-initial-corrupt-check=true and --feature-gates=InitialCorruptCheck=false at the same time, please just use --feature-gates=InitialCorruptCheck=false"],
  ["an experimental name and its new name together", ["--experimental-compaction-batch-limit=5", "--compaction-batch-limit=6"], "cannot set --experimental-compaction-batch-limit and --compaction-batch-limit at the same time, please use --compaction-batch-limit only"],
  ["both unary-request warning flags", ["--experimental-warning-unary-request-duration=1s", "--warning-unary-request-duration=2s"], "both --experimental-warning-unary-request-duration and --warning-unary-request-duration flags are set. Use only --warning-unary-request-duration"],
  ["a zero compact-hash-check time", ["--compact-hash-check-time=0"], "--compact-hash-check-time must be >0 (set to 0s)"],
  ["a negative experimental compact-hash-check time", ["--experimental-compact-hash-check-time=-1m"], "--experimental-compact-hash-check-time must be >0 (set to -1m0s)"],
  ["a tracing sampling rate below 0", ["--enable-distributed-tracing", "--distributed-tracing-sampling-rate=-1"], "distributed tracing configurition is not valid: (tracing sampling rate must be positive)"],
  ["a tracing sampling rate above a million", ["--enable-distributed-tracing", "--distributed-tracing-sampling-rate=1000001"], "distributed tracing configurition is not valid: (tracing sampling rate must be less than 1000000)"],
  ["an unknown TLS version", ["--tls-min-version=TLS1.1"], 'unexpected TLS version "TLS1.1" (must be one of: TLS1.2, TLS1.3)'],
  ["min TLS version above max", ["--tls-min-version=TLS1.3", "--tls-max-version=TLS1.2"], "min version (TLS1.3) is greater than max version (TLS1.2)"],
  ["cipher suites with TLS 1.3 only", ["--tls-min-version=TLS1.3", "--cipher-suites=TLS_AES_128_GCM_SHA256"], "cipher suites cannot be configured when only TLS1.3 is enabled"],
  ["real: an unknown cipher suite", [...C, ...P, "--cipher-suites=TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,FOO"], 'unexpected TLS cipher suite "FOO"'],
  ["real: an https client URL without a certificate", [...P, "--listen-client-urls=https://127.0.0.1:42379", "--advertise-client-urls=https://127.0.0.1:42379"], "TLS key/cert (--cert-file, --key-file) must be provided for client url https://127.0.0.1:42379 with HTTPS scheme"],
  ["a unixs client URL without a certificate", ["--listen-client-urls=unixs://localhost:42379", "--advertise-client-urls=https://127.0.0.1:42379"], "TLS key/cert (--cert-file, --key-file) must be provided for client url unixs://localhost:42379 with HTTPS scheme"],
  ["an https client HTTP URL without a certificate", ["--listen-client-http-urls=https://127.0.0.1:42381"], "TLS key/cert (--cert-file, --key-file) must be provided for client url https://127.0.0.1:42381 with HTTPS scheme"],
  ["real: an https peer URL without a certificate", [...C, "--listen-peer-urls=https://127.0.0.1:42380", "--initial-advertise-peer-urls=https://127.0.0.1:42380", "--initial-cluster=default=https://127.0.0.1:42380"], "cannot listen on TLS for 127.0.0.1:42380: KeyFile and CertFile are not presented"],
  ["real: an https metrics URL without a certificate", [...C, ...P, "--listen-metrics-urls=https://127.0.0.1:42382"], "cannot listen on TLS for 127.0.0.1:42382: KeyFile and CertFile are not presented"],
  ["real: a certificate without its key on an https URL", [...P, "--listen-client-urls=https://127.0.0.1:42379", "--advertise-client-urls=https://127.0.0.1:42379", "--cert-file=srv.pem"], "KeyFile and CertFile must both be present[key: , cert: srv.pem]"],
  ["allowed CNs and host names together (3.5)", ["--listen-peer-urls=https://127.0.0.1:2380", "--peer-auto-tls", "--peer-cert-allowed-cn=a,b", "--peer-cert-allowed-hostname=h"], 'AllowedCNs and AllowedHostnames are mutually exclusive (cns=["a" "b"], hostnames=["h"])'],
  ["auto-TLS with a zero validity (3.5)", ["--listen-client-urls=https://127.0.0.1:2379", "--advertise-client-urls=https://127.0.0.1:2379", "--auto-tls", "--self-signed-cert-validity=0"], "selfSignedCertValidity is invalid,it should be greater than 0"],
  ["discovery-fallback=proxy (3.6)", ["--discovery-fallback=proxy"], `v2 proxy is deprecated, and --discovery-fallback can't be configured as "proxy"`],
  ["real: a bad initial-cluster URL", [...C, "--initial-cluster=default=ftp://127.0.0.1:42380"], "error setting up initial cluster: URL scheme must be http, https, unix, or unixs: ftp://127.0.0.1:42380"],
  ["an initial-cluster entry without a URL", ["--initial-cluster=default"], "error setting up initial cluster: URL scheme must be http, https, unix, or unixs: "],
  ["a bad compaction retention", ["--auto-compaction-retention=1x"], 'error parsing CompactionRetention: time: unknown unit "x" in duration "1x"'],
  ["a negative compaction retention", ["--auto-compaction-retention=-1"], 'error parsing CompactionRetention: time: missing unit in duration "-1"'],
];

describe("validation", () => {
  for (const [what, argv, message] of ERRORS) {
    it(`${what}`, () => {
      const e = err(argv);
      assert.equal(e.exitCode, 1);
      assert.equal(e.usage, undefined);
      if (typeof message === "string") assert.equal(e.message, message);
      else assert.match(e.message, message);
    });
  }

  it("accepts what etcd accepts at the edges", () => {
    ok(["--election-timeout=500", "--heartbeat-interval=100"]);
    ok(["--election-timeout=50000", "--heartbeat-interval=100"]);
    ok([...LOCAL, "--listen-client-urls=unix://localhost:1,http://[::1]:2379", "--listen-peer-urls=http://0.0.0.0:2380"]);
    ok(["--enable-log-rotation", "--log-outputs=stderr,/var/log/etcd.log"]);
    ok(["--log-outputs=systemd/journal"]);
    ok(["--log-level=WARN", "--log-format=console"]);
    ok(["--tls-min-version=TLS1.2", "--tls-max-version=TLS1.3", "--cipher-suites=TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_AES_128_GCM_SHA256"]);
    ok(["--listen-client-urls=https://127.0.0.1:2379,unixs://localhost:1", "--advertise-client-urls=https://127.0.0.1:2379", "--auto-tls"]);
    ok(["--listen-client-urls=https://127.0.0.1:2379", "--advertise-client-urls=https://127.0.0.1:2379", "--cert-file=c.pem", "--key-file=k.pem", "--listen-metrics-urls=https://127.0.0.1:2381"]);
    ok(["--listen-peer-urls=https://127.0.0.1:2380", "--initial-advertise-peer-urls=https://127.0.0.1:2380", "--initial-cluster=default=https://127.0.0.1:2380", "--peer-auto-tls"]);
    // Plain peers: etcd never builds the TLS configuration that refuses both.
    ok(["--peer-cert-allowed-cn=a", "--peer-cert-allowed-hostname=h"]);
    ok(["--auth-token=jwt,pub-key=p.pem,sign-method=ES256", "--auth-token-ttl=1"]);
    ok(["--feature-gates=LeaseCheckpoint=true,LeaseCheckpointPersist=true"]);
    ok(["--discovery-srv=example.com"]);
  });

  it("advertise URLs may use host names; listen URLs may use localhost (hostname kept for the binder)", () => {
    const { config } = ok(["--listen-client-urls=http://localhost:2379", "--advertise-client-urls=http://etcd-0.example.com:2379"]);
    assert.equal(config.listenClientUrls[0]?.hostname, "localhost");
    assert.deepEqual(hrefs(config.advertiseClientUrls), ["http://etcd-0.example.com:2379"]);
  });

  it("URL lists are de-duplicated and sorted, as etcd's unique URL flags", () => {
    const { config } = ok(["--listen-client-urls=http://127.0.0.1:2,http://127.0.0.1:1,http://127.0.0.1:2", "--advertise-client-urls=http://a:1"]);
    assert.deepEqual(hrefs(config.listenClientUrls), ["http://127.0.0.1:1", "http://127.0.0.1:2"]);
  });

  it("a log level is read case-insensitively like zap's (DEBUG)", () => {
    assert.equal(ok(["--log-level=DEBUG"]).config.logLevel, "debug");
  });
});

describe("defaulting etcd does before starting", () => {
  it("--name alone derives the initial cluster and data dir (etcd --name abc)", () => {
    const { config } = ok(["--name=abc"]);
    assert.equal(config.initialClusterText, "abc=http://localhost:2380");
    assert.equal(config.dataDir, "abc.etcd");
    assert.deepEqual(config.initialCluster.map((m) => m.name), ["abc"]);
  });

  it("the derived initial cluster uses the advertised peer URLs", () => {
    const { config } = ok(["--name=n1", "--initial-advertise-peer-urls=http://10.0.0.1:2380,http://10.0.0.2:2380"]);
    assert.equal(config.initialClusterText, "n1=http://10.0.0.1:2380,n1=http://10.0.0.2:2380");
  });

  it("an explicit initial cluster is kept", () => {
    assert.equal(ok(["--name=n1", "--initial-cluster=n1=http://10.0.0.1:2380"]).config.initialClusterText, "n1=http://10.0.0.1:2380");
  });

  it("discovery without --initial-cluster clears the default cluster", () => {
    for (const argv of [["--discovery=https://d/x"], ["--discovery-srv=example.com"], ["--discovery-srv-name=x"], ["--discovery-endpoints=h:1", "--discovery-token=t"]]) {
      assert.equal(ok(argv).config.initialClusterText, "", argv.join(" "));
    }
  });

  it("with a known default host, 0.0.0.0 listeners advertise it (etcd's UpdateDefaultClusterFromName)", async () => {
    const { parseEtcdConfig } = await import("./parse.js");
    const r = parseEtcdConfig(
      ["--name=n1", "--listen-peer-urls=http://0.0.0.0:2380", "--listen-client-urls=http://0.0.0.0:2379", "--advertise-client-urls=http://localhost:2379"],
      {},
      () => "",
      { defaultHost: "10.1.2.3" },
    );
    assert.equal(r.kind, "run");
    if (r.kind !== "run") return;
    assert.deepEqual(hrefs(r.config.initialAdvertisePeerUrls), ["http://10.1.2.3:2380"]);
    assert.deepEqual(hrefs(r.config.advertiseClientUrls), ["http://10.1.2.3:2379"]);
    assert.equal(r.config.initialClusterText, "n1=http://10.1.2.3:2380");
  });

  it("compaction retention: bare numbers are hours (periodic) or revisions; durations are read as such", () => {
    assert.equal(ok(["--auto-compaction-retention=1"]).config.autoCompactionRetentionValue, 3_600_000);
    assert.equal(ok(["--auto-compaction-retention=30m"]).config.autoCompactionRetentionValue, 1_800_000);
    assert.equal(ok(["--auto-compaction-mode=revision", "--auto-compaction-retention=1000"]).config.autoCompactionRetentionValue, 1000);
    assert.equal(ok(["--auto-compaction-retention="]).config.autoCompactionRetentionValue, 0);
  });

  it("auth token: the text as given (src/auth gives it its meaning when the member starts)", () => {
    assert.equal(ok(["--auth-token=simple"]).config.authToken, "simple");
    assert.equal(ok(["--auth-token=jwt,priv-key=k.pem,sign-method=HS256"]).config.authToken, "jwt,priv-key=k.pem,sign-method=HS256");
  });
});

describe("warnings", () => {
  const has = (argv: string[], text: string | RegExp): void => {
    const { warnings } = ok(argv);
    assert.ok(
      warnings.some((w) => (typeof text === "string" ? w === text : text.test(w))),
      `missing ${String(text)} in ${JSON.stringify(warnings)}`,
    );
  };

  it("names each set-but-unimplemented flag", () => {
    has(["--log-format=console"], "--log-format is accepted but not implemented yet; it has no effect");
    has(["--enable-pprof"], "--enable-pprof is accepted but not implemented yet; it has no effect");
    has(["--experimental-memory-mlock"], "--memory-mlock is accepted but not implemented yet; it has no effect");
    has(["--feature-gates=SetMemberLocalAddr=true"], "--feature-gates SetMemberLocalAddr=true is accepted but not implemented yet; it has no effect");
  });

  it("implemented feature gates and their old experimental flags do not warn as unimplemented", () => {
    for (const argv of [
      ["--feature-gates=LeaseCheckpoint=true,LeaseCheckpointPersist=true"],
      ["--experimental-enable-lease-checkpoint", "--experimental-enable-lease-checkpoint-persist"],
      ["--feature-gates=InitialCorruptCheck=true,CompactHashCheck=true", "--corrupt-check-time=5m", "--compact-hash-check-time=2m"],
      ["--experimental-initial-corrupt-check", "--experimental-compact-hash-check-enabled", "--experimental-corrupt-check-time=5m"],
    ]) {
      const { warnings } = ok(argv);
      assert.ok(!warnings.some((w) => w.includes("not implemented")), JSON.stringify(warnings));
    }
    has(["--feature-gates=LeaseCheckpoint=true,SetMemberLocalAddr=true"], "--feature-gates SetMemberLocalAddr=true is accepted but not implemented yet; it has no effect");
  });

  it("stays quiet for unimplemented flags left at (or set to) their default", () => {
    const { warnings } = ok(["--name=n", "--auto-compaction-retention=0", "--client-cert-auth=false"]);
    assert.deepEqual(warnings, []);
  });

  it("implemented flags never warn", () => {
    const { warnings } = ok([
      "--name=n", "--data-dir=/d", "--wal-dir=/w", ...LOCAL.filter((a) => !a.startsWith("--initial-cluster=")), "--initial-cluster=n=http://127.0.0.1:2380",
      "--initial-cluster-token=t", "--initial-cluster-state=new", "--quota-backend-bytes=1024", "--max-request-bytes=1024", "--max-txn-ops=64",
      "--backend-batch-interval=10ms", "--backend-batch-limit=100", "--logger=zap", "--log-level=debug", "--log-outputs=stderr",
    ]);
    assert.deepEqual(warnings, []);
  });

  it("deprecations, as etcd 3.6 words them", () => {
    has(["--snapshot-count=5"], "--snapshot-count is deprecated in 3.6 and will be decommissioned in 3.7.");
    has(["--max-snapshots=2"], "--max-snapshots is deprecated in 3.6 and will be decommissioned in 3.7.");
    has(["--v2-deprecation=gone"], "--v2-deprecation is deprecated and scheduled for removal in v3.8. The default value is enforced, ignoring user input.");
    has(["--experimental-corrupt-check-time=1m"], "--experimental-corrupt-check-time is deprecated in v3.6 and will be decommissioned in v3.7. Use '--corrupt-check-time' instead.");
    has(["--experimental-initial-corrupt-check"], "--experimental-initial-corrupt-check is deprecated in v3.6 and will be decommissioned in v3.7. Use '--feature-gates=InitialCorruptCheck=true' instead.");
    has(["--experimental-warning-unary-request-duration=1s"], /^--experimental-warning-unary-request-duration is deprecated/);
    has(["--enable-v2"], "--enable-v2 was removed after etcd 3.4; it is accepted and has no effect");
    has(["--log-output=stderr"], "--log-output is deprecated; use --log-outputs");
  });

  it("TLS flags are implemented: they never warn as such", () => {
    const { warnings } = ok([
      "--name=m1",
      "--listen-client-urls=https://127.0.0.1:2379", "--advertise-client-urls=https://127.0.0.1:2379", "--cert-file=c.pem", "--key-file=k.pem",
      "--trusted-ca-file=ca.pem", "--client-cert-auth", "--client-crl-file=crl.pem", "--client-cert-allowed-hostname=h", "--client-cert-file=cc.pem",
      "--client-key-file=ck.pem", "--listen-peer-urls=https://127.0.0.1:2380", "--initial-advertise-peer-urls=https://127.0.0.1:2380",
      "--initial-cluster=m1=https://127.0.0.1:2380", "--peer-cert-file=p.pem", "--peer-key-file=pk.pem", "--peer-trusted-ca-file=ca.pem",
      "--peer-client-cert-auth", "--peer-crl-file=crl.pem", "--peer-cert-allowed-cn=m", "--peer-skip-client-san-verification",
      "--peer-client-cert-file=pc.pem", "--peer-client-key-file=pck.pem", "--self-signed-cert-validity=2", "--cipher-suites=TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
      "--tls-min-version=TLS1.2", "--tls-max-version=TLS1.3",
    ]);
    assert.deepEqual(warnings, []);
  });

  it("TLS settings an HTTP URL or given certificates make moot, as etcd warns", () => {
    has(["--cert-file=c.pem", "--key-file=k.pem"], "scheme is HTTP while key and cert files are present; ignoring key and cert files (client-url http://localhost:2379)");
    has(["--client-cert-auth"], "scheme is HTTP while --client-cert-auth is enabled; ignoring client cert auth for this URL (client-url http://localhost:2379)");
    has(["--auto-tls", "--cert-file=c.pem", "--key-file=k.pem"], "ignoring client auto TLS since certs given");
    has(["--peer-auto-tls", "--peer-cert-file=c.pem", "--peer-key-file=k.pem"], "ignoring peer auto TLS since certs given");
    has(["--peer-cert-allowed-cn=m1"], "--peer-cert-allowed-cn has no effect without --peer-client-cert-auth or --peer-trusted-ca-file: no client certificate is asked for");
    has(["--client-cert-allowed-hostname=h"], "--client-cert-allowed-hostname has no effect without --client-cert-auth or --trusted-ca-file: no client certificate is asked for");
    for (const argv of [["--peer-cert-allowed-cn=m1", "--peer-client-cert-auth"], ["--client-cert-allowed-hostname=h", "--trusted-ca-file=ca.pem"]]) {
      assert.ok(!ok(argv).warnings.some((w) => w.includes("has no effect")), argv.join(" "));
    }
  });

  it("etcd's start-up adjustments are reported", () => {
    has(["--snapshot-count=0"], "--snapshot-count is 0; using the default 10000");
    has(["--raft-read-timeout=1s"], "raft-read-timeout increased to minimum value: 5s");
    has(["--max-request-bytes=20000000"], "--max-request-bytes 20000000 exceeds the recommended maximum of 10485760 bytes");
    has(["--bcrypt-cost=50"], "use default bcrypt cost instead of the invalid given cost (min-cost 4, max-cost 31, default-cost 10, given-cost 50)");
    has(["--metrics=verbose"], '--metrics "verbose" is not basic or extensive; using basic');
    has(["--experimental-enable-lease-checkpoint"], "Detected that checkpointing is enabled without persistence. Consider enabling feature gate LeaseCheckpointPersist");
    assert.equal(ok(["--snapshot-count=0"]).config.snapshotCount, 10000);
    assert.equal(ok(["--raft-read-timeout=1s"]).config.raftReadTimeoutMs, 5000);
    assert.equal(ok(["--bcrypt-cost=50"]).config.bcryptCost, 10);
  });
});
