import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { EtcdConfig } from "./config.js";
import { FLAG_SPECS, flagToEnv } from "./flags.js";
import { helpText } from "./help.js";
import { hrefs, ok } from "./test-support.js";

/**
 * Every field of the config produced by a bare `etcd`, with etcd's defaults
 * (3.6 values where 3.6 changed them: snapshot-count 10000, pre-vote true,
 * logger zap, freelist map).
 */
const EXPECTED: Record<string, unknown> = {
  name: "default",
  dataDir: "default.etcd",
  walDir: "",
  snapshotCount: 10000,
  snapshotCatchupEntries: 5000,
  heartbeatIntervalMs: 100,
  electionTimeoutMs: 1000,
  initialElectionTickAdvance: true,
  listenPeerUrls: ["http://localhost:2380"],
  listenClientUrls: ["http://localhost:2379"],
  listenClientHttpUrls: [],
  maxSnapshots: 5,
  maxWals: 5,
  quotaBackendBytes: 0,
  backendBboltFreelistType: "map",
  backendBatchIntervalMs: 0,
  backendBatchLimit: 0,
  maxTxnOps: 128,
  maxRequestBytes: 1572864,
  maxConcurrentStreams: 4294967295,
  maxClientConnections: 10000,
  grpcKeepaliveMinTimeMs: 5000,
  grpcKeepaliveIntervalMs: 7_200_000,
  grpcKeepaliveTimeoutMs: 20_000,
  socketReusePort: false,
  socketReuseAddress: false,
  raftReadTimeoutMs: 5000,
  raftWriteTimeoutMs: 5000,
  enableGrpcGateway: true,
  initialAdvertisePeerUrls: ["http://localhost:2380"],
  advertiseClientUrls: ["http://localhost:2379"],
  initialCluster: [{ name: "default", peerUrls: ["http://localhost:2380"] }],
  initialClusterText: "default=http://localhost:2380",
  initialClusterToken: "etcd-cluster",
  initialClusterState: "new",
  discovery: "",
  discoveryFallback: "exit",
  discoveryProxy: "",
  discoverySrv: "",
  discoverySrvName: "",
  discoveryEndpoints: [],
  discoveryToken: "",
  discoveryDialTimeoutMs: 2000,
  discoveryRequestTimeoutMs: 5000,
  discoveryKeepaliveTimeMs: 2000,
  discoveryKeepaliveTimeoutMs: 6000,
  discoveryInsecureTransport: true,
  discoveryInsecureSkipTlsVerify: false,
  discoveryCert: "",
  discoveryKey: "",
  discoveryCacert: "",
  discoveryUser: "",
  discoveryPassword: "",
  strictReconfigCheck: true,
  preVote: true,
  maxLearners: 1,
  autoCompactionMode: "periodic",
  autoCompactionRetention: "0",
  autoCompactionRetentionValue: 0,
  v2Deprecation: "write-only",
  clientTls: {
    certFile: "",
    keyFile: "",
    clientCertFile: "",
    clientKeyFile: "",
    clientCertAuth: false,
    trustedCaFile: "",
    crlFile: "",
    allowedCns: [],
    allowedHostnames: [],
    autoTls: false,
    skipClientSanVerify: false,
  },
  peerTls: {
    certFile: "",
    keyFile: "",
    clientCertFile: "",
    clientKeyFile: "",
    clientCertAuth: false,
    trustedCaFile: "",
    crlFile: "",
    allowedCns: [],
    allowedHostnames: [],
    autoTls: false,
    skipClientSanVerify: false,
  },
  cipherSuites: [],
  tlsMinVersion: "TLS1.2",
  tlsMaxVersion: undefined,
  selfSignedCertValidityYears: 1,
  cors: ["*"],
  hostWhitelist: ["*"],
  authToken: "simple",
  bcryptCost: 10,
  authTokenTtlSeconds: 300,
  enablePprof: false,
  metrics: "basic",
  listenMetricsUrls: [],
  enableDistributedTracing: false,
  distributedTracingAddress: "localhost:4317",
  distributedTracingServiceName: "etcd",
  distributedTracingInstanceId: "",
  distributedTracingSamplingRatePerMillion: 0,
  logger: "zap",
  logLevel: "info",
  logFormat: "json",
  logOutputs: ["default"],
  enableLogRotation: false,
  logRotationConfigJson: '{"maxsize": 100, "maxage": 0, "maxbackups": 0, "localtime": false, "compress": false}',
  corruptCheckTimeMs: 0,
  compactHashCheckTimeMs: 60_000,
  compactionBatchLimit: 1000,
  compactionSleepIntervalMs: 10,
  watchProgressNotifyIntervalMs: 600_000,
  warningApplyDurationMs: 100,
  warningUnaryRequestDurationMs: 300,
  downgradeCheckTimeMs: 5000,
  memoryMlock: false,
  bootstrapDefragThresholdMegabytes: 0,
  featureGates: {
    StopGRPCServiceOnDefrag: false,
    TxnModeWriteWithSharedBuffer: true,
    InitialCorruptCheck: false,
    CompactHashCheck: false,
    LeaseCheckpoint: false,
    LeaseCheckpointPersist: false,
    SetMemberLocalAddr: false,
  },
  forceNewCluster: false,
  unsafeNoFsync: false,
  enableV2: false,
  experimentalEnableV2v3: "",
  v2Proxy: { mode: "off", failureWaitMs: 5000, refreshIntervalMs: 30000, dialTimeoutMs: 1000, writeTimeoutMs: 5000, readTimeoutMs: 0 },
  debug: false,
  logPackageLevels: "",
  configFile: "",
};

/** Converts URL objects to their printed form so the table above can stay readable. */
function plain(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(plain);
  if (value instanceof Set) return [...value];
  if (value !== null && typeof value === "object") {
    if ("href" in value && "scheme" in value) return (value as { href: string }).href;
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  }
  return value;
}

describe("defaults", () => {
  const { config, warnings } = ok([]);
  for (const [field, want] of Object.entries(EXPECTED)) {
    it(`${field} defaults like etcd`, () => assert.deepEqual(plain(config[field as keyof EtcdConfig]), want));
  }

  it("the table above covers every config field", () => {
    const fields = Object.keys(config).filter((k) => k !== "explicitlySet");
    assert.deepEqual(fields.sort(), Object.keys(EXPECTED).sort());
    assert.equal(config.explicitlySet.size, 0);
  });

  it("a bare start only warns about the default name (as etcd 3.6 does)", () => {
    assert.deepEqual(warnings, [
      "it isn't recommended to use default name, please set a value for --name. Note that etcd might run into issue when multiple members have the same default name",
    ]);
  });

  it("URL defaults carry the host name and port", () => {
    assert.deepEqual(
      config.listenClientUrls.map((u) => [u.hostname, u.port]),
      [["localhost", 2379]],
    );
    assert.deepEqual(hrefs(config.initialAdvertisePeerUrls), ["http://localhost:2380"]);
  });

  it("the config is frozen", () => assert.ok(Object.isFrozen(config)));
});

describe("flag table", () => {
  it("flag names are unique and valid", () => {
    const names = FLAG_SPECS.map((f) => f.name);
    assert.equal(new Set(names).size, names.length);
    for (const n of names) assert.match(n, /^[a-z0-9][a-z0-9.-]*$/);
  });

  it("every listed flag appears in -h with its default", () => {
    const help = helpText();
    for (const f of FLAG_SPECS) {
      if (f.group === undefined) continue;
      assert.ok(help.includes(`  --${f.name} '${f.helpDefault ?? f.def}'\n`), f.name);
    }
  });

  it("every default parses with the flag's own syntax, and bare etcd leaves all flags unset", () => {
    // defaultValue() throws on a bad default; a full parse exercises all of them.
    assert.equal(ok([]).config.explicitlySet.size, 0);
  });

  it("flagToEnv upper-cases and replaces dashes", () => {
    assert.equal(flagToEnv("listen-client-urls"), "ETCD_LISTEN_CLIENT_URLS");
    assert.equal(flagToEnv("test.coverprofile"), "ETCD_TEST.COVERPROFILE");
  });

  it("each of the issue's required flags is accepted", () => {
    const required = [
      "name", "data-dir", "wal-dir", "listen-client-urls", "advertise-client-urls", "listen-peer-urls",
      "initial-advertise-peer-urls", "initial-cluster", "initial-cluster-token", "initial-cluster-state",
      "snapshot-count", "quota-backend-bytes", "max-request-bytes", "max-txn-ops", "backend-batch-interval",
      "backend-batch-limit", "logger", "log-level", "log-outputs", "config-file", "version",
    ];
    const names = new Set(FLAG_SPECS.map((f) => f.name));
    for (const r of required) assert.ok(names.has(r), r);
  });
});
