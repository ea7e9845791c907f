import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { FLAG_SPECS, IGNORED_FLAGS } from "./flags.js";
import { ok } from "./test-support.js";

/** Reads a dotted path out of the config, printing URLs as text. */
function pick(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const part of path.split(".")) cur = (cur as Record<string, unknown>)[part];
  const plain = (v: unknown): unknown =>
    Array.isArray(v) ? v.map(plain) : v !== null && typeof v === "object" && "href" in v ? (v as { href: string }).href : v;
  return plain(cur);
}

const C = ["--listen-client-urls=http://127.0.0.1:2379", "--advertise-client-urls=http://127.0.0.1:2379"];

/**
 * One row per flag: the arguments, the config field they land in, and the
 * value. Together with the check below, no flag can be left unmapped.
 */
const ROWS: [flag: string, argv: string[], path: string, want: unknown][] = [
  ["name", ["--name=n1"], "name", "n1"],
  ["data-dir", ["--data-dir=/var/lib/etcd"], "dataDir", "/var/lib/etcd"],
  ["wal-dir", ["--wal-dir=/wal"], "walDir", "/wal"],
  ["snapshot-count", ["--snapshot-count=5"], "snapshotCount", 5],
  ["heartbeat-interval", ["--heartbeat-interval=50"], "heartbeatIntervalMs", 50],
  ["election-timeout", ["--election-timeout=500"], "electionTimeoutMs", 500],
  ["initial-election-tick-advance", ["--initial-election-tick-advance=false"], "initialElectionTickAdvance", false],
  ["listen-peer-urls", ["--listen-peer-urls=http://127.0.0.1:3380"], "listenPeerUrls", ["http://127.0.0.1:3380"]],
  ["listen-client-urls", C, "listenClientUrls", ["http://127.0.0.1:2379"]],
  ["listen-client-http-urls", ["--listen-client-http-urls=http://127.0.0.1:8080"], "listenClientHttpUrls", ["http://127.0.0.1:8080"]],
  ["max-snapshots", ["--max-snapshots=0"], "maxSnapshots", 0],
  ["max-wals", ["--max-wals=9"], "maxWals", 9],
  ["quota-backend-bytes", ["--quota-backend-bytes=8589934592"], "quotaBackendBytes", 8589934592],
  ["backend-bbolt-freelist-type", ["--backend-bbolt-freelist-type=array"], "backendBboltFreelistType", "array"],
  ["backend-batch-interval", ["--backend-batch-interval=20ms"], "backendBatchIntervalMs", 20],
  ["backend-batch-limit", ["--backend-batch-limit=100"], "backendBatchLimit", 100],
  ["max-txn-ops", ["--max-txn-ops=256"], "maxTxnOps", 256],
  ["max-request-bytes", ["--max-request-bytes=2097152"], "maxRequestBytes", 2097152],
  ["max-concurrent-streams", ["--max-concurrent-streams=100"], "maxConcurrentStreams", 100],
  ["max-client-connections", ["--max-client-connections=500"], "maxClientConnections", 500],
  ["grpc-keepalive-min-time", ["--grpc-keepalive-min-time=1s"], "grpcKeepaliveMinTimeMs", 1000],
  ["grpc-keepalive-interval", ["--grpc-keepalive-interval=1m"], "grpcKeepaliveIntervalMs", 60000],
  ["grpc-keepalive-timeout", ["--grpc-keepalive-timeout=2s"], "grpcKeepaliveTimeoutMs", 2000],
  ["socket-reuse-port", ["--socket-reuse-port"], "socketReusePort", true],
  ["socket-reuse-address", ["--socket-reuse-address"], "socketReuseAddress", true],
  ["raft-read-timeout", ["--raft-read-timeout=7s"], "raftReadTimeoutMs", 7000],
  ["raft-write-timeout", ["--raft-write-timeout=8s"], "raftWriteTimeoutMs", 8000],
  ["enable-grpc-gateway", ["--enable-grpc-gateway=false"], "enableGrpcGateway", false],
  ["snapshot-catchup-entries", ["--snapshot-catchup-entries=10"], "snapshotCatchupEntries", 10],
  ["initial-advertise-peer-urls", ["--initial-advertise-peer-urls=http://127.0.0.1:2380", "--initial-cluster=default=http://127.0.0.1:2380"], "initialAdvertisePeerUrls", ["http://127.0.0.1:2380"]],
  ["advertise-client-urls", ["--advertise-client-urls=http://10.0.0.1:2379"], "advertiseClientUrls", ["http://10.0.0.1:2379"]],
  ["initial-cluster", ["--initial-cluster=default=http://localhost:2380,b=http://10.0.0.2:2380"], "initialClusterText", "default=http://localhost:2380,b=http://10.0.0.2:2380"],
  ["initial-cluster-token", ["--initial-cluster-token=tok"], "initialClusterToken", "tok"],
  ["initial-cluster-state", ["--initial-cluster-state=existing"], "initialClusterState", "existing"],
  ["discovery", ["--discovery=https://discovery.etcd.io/x"], "discovery", "https://discovery.etcd.io/x"],
  ["discovery-fallback", ["--discovery-fallback=exit"], "discoveryFallback", "exit"],
  ["discovery-proxy", ["--discovery-proxy=http://proxy:1"], "discoveryProxy", "http://proxy:1"],
  ["discovery-srv", ["--discovery-srv=example.com"], "discoverySrv", "example.com"],
  ["discovery-srv-name", ["--discovery-srv-name=x"], "discoverySrvName", "x"],
  ["discovery-endpoints", ["--discovery-endpoints=h2:1,h1:1", "--discovery-token=t"], "discoveryEndpoints", ["h1:1", "h2:1"]],
  ["discovery-token", ["--discovery-endpoints=h:1", "--discovery-token=t"], "discoveryToken", "t"],
  ["discovery-dial-timeout", ["--discovery-dial-timeout=3s"], "discoveryDialTimeoutMs", 3000],
  ["discovery-request-timeout", ["--discovery-request-timeout=4s"], "discoveryRequestTimeoutMs", 4000],
  ["discovery-keepalive-time", ["--discovery-keepalive-time=1s"], "discoveryKeepaliveTimeMs", 1000],
  ["discovery-keepalive-timeout", ["--discovery-keepalive-timeout=1s"], "discoveryKeepaliveTimeoutMs", 1000],
  ["discovery-insecure-transport", ["--discovery-insecure-transport=false"], "discoveryInsecureTransport", false],
  ["discovery-insecure-skip-tls-verify", ["--discovery-insecure-skip-tls-verify"], "discoveryInsecureSkipTlsVerify", true],
  ["discovery-cert", ["--discovery-cert=c", "--discovery-endpoints=h:1", "--discovery-token=t"], "discoveryCert", "c"],
  ["discovery-key", ["--discovery-key=k", "--discovery-endpoints=h:1", "--discovery-token=t"], "discoveryKey", "k"],
  ["discovery-cacert", ["--discovery-cacert=ca", "--discovery-endpoints=h:1", "--discovery-token=t"], "discoveryCacert", "ca"],
  ["discovery-user", ["--discovery-user=u", "--discovery-endpoints=h:1", "--discovery-token=t"], "discoveryUser", "u"],
  ["discovery-password", ["--discovery-password=p", "--discovery-endpoints=h:1", "--discovery-token=t"], "discoveryPassword", "p"],
  ["strict-reconfig-check", ["--strict-reconfig-check=false"], "strictReconfigCheck", false],
  ["pre-vote", ["--pre-vote=false"], "preVote", false],
  ["max-learners", ["--max-learners=3"], "maxLearners", 3],
  ["auto-compaction-retention", ["--auto-compaction-retention=2"], "autoCompactionRetentionValue", 7_200_000],
  ["auto-compaction-mode", ["--auto-compaction-mode=revision", "--auto-compaction-retention=1000"], "autoCompactionRetentionValue", 1000],
  ["v2-deprecation", ["--v2-deprecation=gone"], "v2Deprecation", "write-only"],
  ["cert-file", ["--cert-file=c.pem"], "clientTls.certFile", "c.pem"],
  ["key-file", ["--key-file=k.pem"], "clientTls.keyFile", "k.pem"],
  ["client-cert-file", ["--client-cert-file=cc.pem"], "clientTls.clientCertFile", "cc.pem"],
  ["client-key-file", ["--client-key-file=ck.pem"], "clientTls.clientKeyFile", "ck.pem"],
  ["client-cert-auth", ["--client-cert-auth"], "clientTls.clientCertAuth", true],
  ["client-crl-file", ["--client-crl-file=crl"], "clientTls.crlFile", "crl"],
  ["client-cert-allowed-hostname", ["--client-cert-allowed-hostname=a,b"], "clientTls.allowedHostnames", ["a", "b"]],
  ["trusted-ca-file", ["--trusted-ca-file=ca.pem"], "clientTls.trustedCaFile", "ca.pem"],
  ["auto-tls", ["--auto-tls"], "clientTls.autoTls", true],
  ["peer-cert-file", ["--peer-cert-file=p.pem"], "peerTls.certFile", "p.pem"],
  ["peer-key-file", ["--peer-key-file=pk.pem"], "peerTls.keyFile", "pk.pem"],
  ["peer-client-cert-file", ["--peer-client-cert-file=pc.pem"], "peerTls.clientCertFile", "pc.pem"],
  ["peer-client-key-file", ["--peer-client-key-file=pck.pem"], "peerTls.clientKeyFile", "pck.pem"],
  ["peer-client-cert-auth", ["--peer-client-cert-auth"], "peerTls.clientCertAuth", true],
  ["peer-trusted-ca-file", ["--peer-trusted-ca-file=pca.pem"], "peerTls.trustedCaFile", "pca.pem"],
  ["peer-auto-tls", ["--peer-auto-tls"], "peerTls.autoTls", true],
  ["peer-crl-file", ["--peer-crl-file=pcrl"], "peerTls.crlFile", "pcrl"],
  ["peer-cert-allowed-cn", ["--peer-cert-allowed-cn=cn1,cn2"], "peerTls.allowedCns", ["cn1", "cn2"]],
  ["peer-cert-allowed-hostname", ["--peer-cert-allowed-hostname=h1"], "peerTls.allowedHostnames", ["h1"]],
  ["peer-skip-client-san-verification", ["--peer-skip-client-san-verification"], "peerTls.skipClientSanVerify", true],
  ["self-signed-cert-validity", ["--self-signed-cert-validity=3"], "selfSignedCertValidityYears", 3],
  ["cipher-suites", ["--cipher-suites=TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"], "cipherSuites", ["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"]],
  ["tls-min-version", ["--tls-min-version=TLS1.3"], "tlsMinVersion", "TLS1.3"],
  ["tls-max-version", ["--tls-max-version=TLS1.3"], "tlsMaxVersion", "TLS1.3"],
  ["cors", ["--cors=http://b.example:80,http://a.example:443"], "cors", ["http://a.example:443", "http://b.example:80"]],
  ["host-whitelist", ["--host-whitelist=b,a,b"], "hostWhitelist", ["a", "b"]],
  ["auth-token", ["--auth-token=jwt,pub-key=p.pem,priv-key=k.pem,sign-method=RS256,ttl=10m"], "authToken", "jwt,pub-key=p.pem,priv-key=k.pem,sign-method=RS256,ttl=10m"],
  ["bcrypt-cost", ["--bcrypt-cost=4"], "bcryptCost", 4],
  ["auth-token-ttl", ["--auth-token-ttl=60"], "authTokenTtlSeconds", 60],
  ["enable-pprof", ["--enable-pprof"], "enablePprof", true],
  ["metrics", ["--metrics=extensive"], "metrics", "extensive"],
  ["listen-metrics-urls", ["--listen-metrics-urls=http://0.0.0.0:2381"], "listenMetricsUrls", ["http://0.0.0.0:2381"]],
  ["enable-distributed-tracing", ["--enable-distributed-tracing"], "enableDistributedTracing", true],
  ["distributed-tracing-address", ["--distributed-tracing-address=otel:4317"], "distributedTracingAddress", "otel:4317"],
  ["distributed-tracing-service-name", ["--distributed-tracing-service-name=e"], "distributedTracingServiceName", "e"],
  ["distributed-tracing-instance-id", ["--distributed-tracing-instance-id=i1"], "distributedTracingInstanceId", "i1"],
  ["distributed-tracing-sampling-rate", ["--distributed-tracing-sampling-rate=100"], "distributedTracingSamplingRatePerMillion", 100],
  ["logger", ["--logger=zap"], "logger", "zap"],
  ["log-outputs", ["--log-outputs=stdout,stderr"], "logOutputs", ["stderr", "stdout"]],
  ["log-level", ["--log-level=debug"], "logLevel", "debug"],
  ["log-format", ["--log-format=console"], "logFormat", "console"],
  ["enable-log-rotation", ["--enable-log-rotation", "--log-outputs=/var/log/etcd.log"], "enableLogRotation", true],
  ["log-rotation-config-json", ['--log-rotation-config-json={"maxsize":1}'], "logRotationConfigJson", '{"maxsize":1}'],
  ["corrupt-check-time", ["--corrupt-check-time=1m"], "corruptCheckTimeMs", 60000],
  ["compact-hash-check-time", ["--compact-hash-check-time=2m"], "compactHashCheckTimeMs", 120000],
  ["compaction-batch-limit", ["--compaction-batch-limit=50"], "compactionBatchLimit", 50],
  ["compaction-sleep-interval", ["--compaction-sleep-interval=1ms"], "compactionSleepIntervalMs", 1],
  ["watch-progress-notify-interval", ["--watch-progress-notify-interval=5s"], "watchProgressNotifyIntervalMs", 5000],
  ["warning-apply-duration", ["--warning-apply-duration=1s"], "warningApplyDurationMs", 1000],
  ["warning-unary-request-duration", ["--warning-unary-request-duration=2s"], "warningUnaryRequestDurationMs", 2000],
  ["downgrade-check-time", ["--downgrade-check-time=1s"], "downgradeCheckTimeMs", 1000],
  ["memory-mlock", ["--memory-mlock"], "memoryMlock", true],
  ["bootstrap-defrag-threshold-megabytes", ["--bootstrap-defrag-threshold-megabytes=100"], "bootstrapDefragThresholdMegabytes", 100],
  ["feature-gates", ["--feature-gates=StopGRPCServiceOnDefrag=true,TxnModeWriteWithSharedBuffer=false"], "featureGates.TxnModeWriteWithSharedBuffer", false],
  ["experimental-initial-corrupt-check", ["--experimental-initial-corrupt-check"], "featureGates.InitialCorruptCheck", true],
  ["experimental-corrupt-check-time", ["--experimental-corrupt-check-time=3m"], "corruptCheckTimeMs", 180000],
  ["experimental-compact-hash-check-enabled", ["--experimental-compact-hash-check-enabled"], "featureGates.CompactHashCheck", true],
  ["experimental-compact-hash-check-time", ["--experimental-compact-hash-check-time=3m"], "compactHashCheckTimeMs", 180000],
  ["experimental-enable-lease-checkpoint", ["--experimental-enable-lease-checkpoint"], "featureGates.LeaseCheckpoint", true],
  ["experimental-enable-lease-checkpoint-persist", ["--experimental-enable-lease-checkpoint", "--experimental-enable-lease-checkpoint-persist"], "featureGates.LeaseCheckpointPersist", true],
  ["experimental-compaction-batch-limit", ["--experimental-compaction-batch-limit=7"], "compactionBatchLimit", 7],
  ["experimental-compaction-sleep-interval", ["--experimental-compaction-sleep-interval=2ms"], "compactionSleepIntervalMs", 2],
  ["experimental-watch-progress-notify-interval", ["--experimental-watch-progress-notify-interval=1m"], "watchProgressNotifyIntervalMs", 60000],
  ["experimental-warning-apply-duration", ["--experimental-warning-apply-duration=1s"], "warningApplyDurationMs", 1000],
  ["experimental-warning-unary-request-duration", ["--experimental-warning-unary-request-duration=1s"], "warningUnaryRequestDurationMs", 1000],
  ["experimental-downgrade-check-time", ["--experimental-downgrade-check-time=9s"], "downgradeCheckTimeMs", 9000],
  ["experimental-memory-mlock", ["--experimental-memory-mlock"], "memoryMlock", true],
  ["experimental-txn-mode-write-with-shared-buffer", ["--experimental-txn-mode-write-with-shared-buffer=false"], "featureGates.TxnModeWriteWithSharedBuffer", false],
  ["experimental-stop-grpc-service-on-defrag", ["--experimental-stop-grpc-service-on-defrag"], "featureGates.StopGRPCServiceOnDefrag", true],
  ["experimental-bootstrap-defrag-threshold-megabytes", ["--experimental-bootstrap-defrag-threshold-megabytes=5"], "bootstrapDefragThresholdMegabytes", 5],
  ["experimental-max-learners", ["--experimental-max-learners=2"], "maxLearners", 2],
  ["experimental-snapshot-catchup-entries", ["--experimental-snapshot-catchup-entries=9"], "snapshotCatchupEntries", 9],
  ["experimental-peer-skip-client-san-verification", ["--experimental-peer-skip-client-san-verification"], "peerTls.skipClientSanVerify", true],
  ["experimental-enable-distributed-tracing", ["--experimental-enable-distributed-tracing"], "enableDistributedTracing", true],
  ["experimental-distributed-tracing-address", ["--experimental-distributed-tracing-address=a:1"], "distributedTracingAddress", "a:1"],
  ["experimental-distributed-tracing-service-name", ["--experimental-distributed-tracing-service-name=s"], "distributedTracingServiceName", "s"],
  ["experimental-distributed-tracing-instance-id", ["--experimental-distributed-tracing-instance-id=i"], "distributedTracingInstanceId", "i"],
  ["experimental-distributed-tracing-sampling-rate", ["--experimental-distributed-tracing-sampling-rate=5"], "distributedTracingSamplingRatePerMillion", 5],
  ["experimental-backend-bbolt-freelist-type", ["--experimental-backend-bbolt-freelist-type=array"], "backendBboltFreelistType", "array"],
  ["experimental-enable-v2v3", ["--experimental-enable-v2v3=/v2"], "experimentalEnableV2v3", "/v2"],
  ["force-new-cluster", ["--force-new-cluster"], "forceNewCluster", true],
  ["unsafe-no-fsync", ["--unsafe-no-fsync"], "unsafeNoFsync", true],
  ["enable-v2", ["--enable-v2"], "enableV2", true],
  ["proxy", ["--proxy=readonly"], "v2Proxy.mode", "readonly"],
  ["proxy-failure-wait", ["--proxy-failure-wait=1"], "v2Proxy.failureWaitMs", 1],
  ["proxy-refresh-interval", ["--proxy-refresh-interval=2"], "v2Proxy.refreshIntervalMs", 2],
  ["proxy-dial-timeout", ["--proxy-dial-timeout=3"], "v2Proxy.dialTimeoutMs", 3],
  ["proxy-write-timeout", ["--proxy-write-timeout=4"], "v2Proxy.writeTimeoutMs", 4],
  ["proxy-read-timeout", ["--proxy-read-timeout=5"], "v2Proxy.readTimeoutMs", 5],
  ["log-output", ["--log-output=stdout"], "logOutputs", ["stdout"]],
  ["debug", ["--debug"], "debug", true],
  ["log-package-levels", ["--log-package-levels=etcdmain=DEBUG"], "logPackageLevels", "etcdmain=DEBUG"],
];

describe("every flag reaches its config field", () => {
  for (const [flag, argv, path, want] of ROWS) {
    it(`--${flag} → ${path}`, () => {
      const { config } = ok(argv);
      assert.deepEqual(pick(config, path), want);
      assert.ok(config.explicitlySet.has(flag), `${flag} recorded as explicitly set`);
    });
  }

  it("the table covers every flag except config-file, version and the ignored etcd 2 flags", () => {
    const covered = new Set(ROWS.map((r) => r[0]));
    const missing = FLAG_SPECS.map((f) => f.name).filter(
      (n) => !covered.has(n) && n !== "config-file" && n !== "version" && !IGNORED_FLAGS.includes(n),
    );
    assert.deepEqual(missing, []);
  });
});
