/**
 * parseEtcdConfig: argv + environment + config file → an EtcdConfig, or the
 * help/version text, or etcd's error. Pure: the environment and file reads
 * come in as arguments, nothing exits the process.
 *
 * The steps follow etcd (etcdmain/config.go, embed/config.go, etcdmain/etcd.go):
 * parse flags (syntax errors exit 2 with the usage text); reject positional
 * arguments; `--version`; then either the config file (when `--config-file`
 * or ETCD_CONFIG_FILE is set: every other flag and variable is ignored) or
 * the ETCD_* variables; then Validate; then the defaulting etcd does before
 * starting (initial cluster from the name, data dir from the name) and the
 * parsing it does while starting (initial cluster, compaction retention,
 * auth token), so that every configuration error surfaces here.
 * @module
 */
import {
  applyDefaultHost,
  bcryptCost,
  clientTls,
  deprecationWarnings,
  freelistType,
  logLevel,
  logOutputs,
  maxRequestBytes,
  metricsLevel,
  parseRetention,
  peerTls,
  positiveOrDefault,
  raftTimeout,
  unaryRequestWarning,
  unimplementedWarnings,
} from "./adjust.js";
import { parseArgv } from "./argv.js";
import { parseInitialCluster } from "./bootstrap.js";
import type { AutoCompactionMode, ClusterState, DiscoveryFallback, EtcdConfig, LogFormat, TlsVersion, V2ProxyMode } from "./config.js";
import { loadConfigFile, type FileExtras } from "./config-file.js";
import { applyEnv, type Env } from "./env.js";
import { applyExperimentalFlags, EXPERIMENTAL_FLAG_TO_FEATURE } from "./feature-gates.js";
import { FlagValues } from "./flag-values.js";
import { EXPERIMENTAL_RENAMES } from "./flags.js";
import { goQuote } from "./go-value.js";
import { helpText, USAGE, versionText, type RuntimeInfo } from "./help.js";
import { checkClusterAndTiming, checkLogging, checkRenamedFlags, checkTail, checkTlsListeners, checkUrls, type UrlSettings } from "./validate.js";

export type ParseOutcome =
  | { readonly kind: "run"; readonly config: EtcdConfig; readonly warnings: string[] }
  | { readonly kind: "help"; readonly text: string }
  | { readonly kind: "version"; readonly text: string }
  /**
   * etcd's error and exit code. `usage` is set for flag syntax errors (exit 2):
   * etcd prints `message`, then the usage text, both to stderr. Other errors
   * (exit 1) etcd logs as "failed to verify flags" with the message.
   */
  | { readonly kind: "error"; readonly message: string; readonly exitCode: number; readonly usage?: string };

export interface ParseOptions {
  /** Shown by `--version`; defaults to this process's. */
  readonly runtime?: RuntimeInfo;
  /**
   * The machine's default-route address. When given, etcd's rule applies: a
   * default advertise URL paired with a 0.0.0.0 listen URL is rewritten to it.
   */
  readonly defaultHost?: string;
}

const DEFAULT_INITIAL_CLUSTER = "default=http://localhost:2380";

function failure(message: string): ParseOutcome {
  return { kind: "error", message, exitCode: 1 };
}

/** Go's os.ReadFile error text for the usual failures. */
function readErrorMessage(path: string, e: unknown): string {
  const code = (e as { code?: unknown } | null)?.code;
  switch (code) {
    case "ENOENT":
      return `open ${path}: no such file or directory`;
    case "EACCES":
      return `open ${path}: permission denied`;
    case "EISDIR":
      return `read ${path}: is a directory`;
    case "ENOTDIR":
      return `open ${path}: not a directory`;
    default:
      return `open ${path}: ${e instanceof Error ? e.message : String(e)}`;
  }
}

/**
 * Parses etcd's command line. `argv` excludes the program name; `env` is the
 * process environment; `readFile` reads the config file (throwing Node's
 * errors).
 */
export function parseEtcdConfig(
  argv: readonly string[],
  env: Env,
  readFile: (path: string) => string,
  options: ParseOptions = {},
): ParseOutcome {
  const values = new FlagValues();
  const actual = new Set<string>();
  const warnings: string[] = [];
  const parsed = parseArgv(argv, values, actual, warnings);
  if (parsed.kind === "help") return { kind: "help", text: helpText() };
  if (parsed.kind === "error") return { kind: "error", message: parsed.message, exitCode: 2, usage: USAGE };
  const extra = parsed.positional[0];
  if (extra !== undefined) return failure(`${goQuote(extra)} is not a valid flag`);
  if (values.bool("version")) {
    const runtime = options.runtime ?? { nodeVersion: process.version, platform: process.platform, arch: process.arch };
    return { kind: "version", text: versionText(runtime) };
  }

  let configFile = values.string("config-file");
  if (configFile === "") configFile = env["ETCD_CONFIG_FILE"] ?? "";
  if (configFile !== "") {
    let text: string;
    try {
      text = readFile(configFile);
    } catch (e) {
      return failure(readErrorMessage(configFile, e));
    }
    const fileValues = new FlagValues();
    const loaded = loadConfigFile(text, fileValues, warnings);
    if (!loaded.ok) return failure(loaded.message);
    const ignoredVars = Object.keys(env).filter((k) => k.startsWith("ETCD_") && k !== "ETCD_CONFIG_FILE" && env[k] !== undefined);
    if ([...actual].some((f) => f !== "config-file") || ignoredVars.length > 0) {
      warnings.push(`configuration loaded from ${configFile}; other command-line flags and ETCD_* environment variables are ignored`);
    }
    return build(fileValues, loaded.explicit, "file", loaded.extras, configFile, options, warnings);
  }

  const envError = applyEnv(env, values, actual, warnings);
  if (envError !== undefined) return failure(envError);
  return build(values, actual, "flags", { clientAllowedCns: [], clientSkipClientSanVerify: false }, "", options, warnings);
}

function urlSettings(v: FlagValues): UrlSettings {
  return {
    listenPeer: v.urls("listen-peer-urls").urls,
    listenClient: v.urls("listen-client-urls").urls,
    listenClientHttp: v.urls("listen-client-http-urls").urls,
    listenMetrics: v.urls("listen-metrics-urls").urls,
    advertisePeer: v.urls("initial-advertise-peer-urls").urls,
    advertiseClient: v.urls("advertise-client-urls").urls,
  };
}

type Mode = "flags" | "file";

function build(
  v: FlagValues,
  explicit: ReadonlySet<string>,
  mode: Mode,
  extras: FileExtras,
  configFile: string,
  options: ParseOptions,
  warnings: string[],
): ParseOutcome {
  let urls = urlSettings(v);
  let initialClusterText = v.string("initial-cluster");
  const discoveryUsed = v.string("discovery") !== "" || v.string("discovery-srv") !== "" || v.list("discovery-endpoints").length > 0;
  if (mode === "flags") {
    // Listening on chosen addresses makes the default advertise URL wrong, so etcd drops it.
    if (explicit.has("listen-client-urls") && !explicit.has("advertise-client-urls")) urls = { ...urls, advertiseClient: [] };
    if ((discoveryUsed || v.string("discovery-srv-name") !== "") && !explicit.has("initial-cluster")) initialClusterText = "";
    const bools = new Map<string, boolean>();
    for (const flag of EXPERIMENTAL_FLAG_TO_FEATURE.keys()) if (explicit.has(flag)) bools.set(flag, v.bool(flag));
    const gateError = applyExperimentalFlags(v.gates("feature-gates"), bools);
    if (gateError !== undefined) return failure(gateError);
    if (v.string("discovery-fallback") === "proxy") {
      return failure(`v2 proxy is deprecated, and --discovery-fallback can't be configured as "proxy"`);
    }
  } else if (discoveryUsed && initialClusterText === DEFAULT_INITIAL_CLUSTER) {
    initialClusterText = "";
  }

  const gates = v.gates("feature-gates");
  const invalid =
    checkRenamedFlags(explicit) ??
    checkLogging(v) ??
    checkUrls(urls) ??
    checkClusterAndTiming(v, initialClusterText, urls) ??
    checkTail(v, gates, warnings) ??
    checkTlsListeners(v, urls, extras.clientAllowedCns, warnings);
  if (invalid !== undefined) return failure(invalid);

  for (const [old, renamed] of EXPERIMENTAL_RENAMES) if (explicit.has(old)) v.set(renamed, v.get(old));
  const unary = unaryRequestWarning(v, explicit, warnings);
  if (typeof unary === "string") return failure(unary);
  deprecationWarnings(explicit, warnings);

  // What etcd does between parsing and starting the server.
  const adjusted = applyDefaultHost(urls, options.defaultHost);
  urls = adjusted;
  const name = v.string("name");
  if (name !== "default" && initialClusterText === DEFAULT_INITIAL_CLUSTER) {
    initialClusterText = urls.advertisePeer.map((u) => `${name === "" ? "default" : name}=${u.href}`).join(",");
  }

  // What etcd parses while starting: report it now rather than after binding ports.
  let initialCluster;
  try {
    initialCluster = initialClusterText === "" ? [] : parseInitialCluster(initialClusterText);
  } catch (e) {
    return failure(`error setting up initial cluster: ${(e as Error).message}`);
  }
  const mode_ = v.string("auto-compaction-mode") as AutoCompactionMode;
  const retention = parseRetention(mode_, v.string("auto-compaction-retention"));
  if (typeof retention !== "number") return failure(retention.error);

  const config: EtcdConfig = {
    name,
    dataDir: v.string("data-dir") === "" ? `${name}.etcd` : v.string("data-dir"),
    walDir: v.string("wal-dir"),
    snapshotCount: positiveOrDefault(v, "snapshot-count", 10000, warnings),
    snapshotCatchupEntries: positiveOrDefault(v, "snapshot-catchup-entries", 5000, warnings),
    heartbeatIntervalMs: v.number("heartbeat-interval"),
    electionTimeoutMs: v.number("election-timeout"),
    initialElectionTickAdvance: v.bool("initial-election-tick-advance"),
    listenPeerUrls: urls.listenPeer,
    listenClientUrls: urls.listenClient,
    listenClientHttpUrls: urls.listenClientHttp,
    maxSnapshots: v.number("max-snapshots"),
    maxWals: v.number("max-wals"),
    quotaBackendBytes: v.number("quota-backend-bytes"),
    backendBboltFreelistType: freelistType(v.string("backend-bbolt-freelist-type"), warnings),
    backendBatchIntervalMs: v.number("backend-batch-interval"),
    backendBatchLimit: v.number("backend-batch-limit"),
    maxTxnOps: v.number("max-txn-ops"),
    maxRequestBytes: maxRequestBytes(v, warnings),
    maxConcurrentStreams: v.number("max-concurrent-streams"),
    maxClientConnections: v.number("max-client-connections"),
    grpcKeepaliveMinTimeMs: v.number("grpc-keepalive-min-time"),
    grpcKeepaliveIntervalMs: v.number("grpc-keepalive-interval"),
    grpcKeepaliveTimeoutMs: v.number("grpc-keepalive-timeout"),
    socketReusePort: v.bool("socket-reuse-port"),
    socketReuseAddress: v.bool("socket-reuse-address"),
    raftReadTimeoutMs: raftTimeout(v, "raft-read-timeout", warnings),
    raftWriteTimeoutMs: raftTimeout(v, "raft-write-timeout", warnings),
    enableGrpcGateway: v.bool("enable-grpc-gateway"),

    initialAdvertisePeerUrls: urls.advertisePeer,
    advertiseClientUrls: urls.advertiseClient,
    initialCluster,
    initialClusterText,
    initialClusterToken: v.string("initial-cluster-token"),
    initialClusterState: v.string("initial-cluster-state") as ClusterState,
    discovery: v.string("discovery"),
    discoveryFallback: v.string("discovery-fallback") as DiscoveryFallback,
    discoveryProxy: v.string("discovery-proxy"),
    discoverySrv: v.string("discovery-srv"),
    discoverySrvName: v.string("discovery-srv-name"),
    discoveryEndpoints: v.list("discovery-endpoints"),
    discoveryToken: v.string("discovery-token"),
    discoveryDialTimeoutMs: v.number("discovery-dial-timeout"),
    discoveryRequestTimeoutMs: v.number("discovery-request-timeout"),
    discoveryKeepaliveTimeMs: v.number("discovery-keepalive-time"),
    discoveryKeepaliveTimeoutMs: v.number("discovery-keepalive-timeout"),
    discoveryInsecureTransport: v.bool("discovery-insecure-transport"),
    discoveryInsecureSkipTlsVerify: v.bool("discovery-insecure-skip-tls-verify"),
    discoveryCert: v.string("discovery-cert"),
    discoveryKey: v.string("discovery-key"),
    discoveryCacert: v.string("discovery-cacert"),
    discoveryUser: v.string("discovery-user"),
    discoveryPassword: v.string("discovery-password"),
    strictReconfigCheck: v.bool("strict-reconfig-check"),
    preVote: v.bool("pre-vote"),
    maxLearners: v.number("max-learners"),
    autoCompactionMode: mode_,
    autoCompactionRetention: v.string("auto-compaction-retention"),
    autoCompactionRetentionValue: retention,
    v2Deprecation: "write-only",

    clientTls: clientTls(v, extras),
    peerTls: peerTls(v),
    cipherSuites: v.list("cipher-suites"),
    tlsMinVersion: v.string("tls-min-version") === "TLS1.3" ? "TLS1.3" : "TLS1.2",
    tlsMaxVersion: v.string("tls-max-version") === "" ? undefined : (v.string("tls-max-version") as TlsVersion),
    selfSignedCertValidityYears: v.number("self-signed-cert-validity"),
    cors: [...v.urls("cors").texts].sort(),
    hostWhitelist: v.list("host-whitelist"),

    authToken: v.string("auth-token"),
    bcryptCost: bcryptCost(v, warnings),
    authTokenTtlSeconds: v.number("auth-token-ttl"),

    enablePprof: v.bool("enable-pprof"),
    metrics: metricsLevel(v.string("metrics"), warnings),
    listenMetricsUrls: urls.listenMetrics,
    enableDistributedTracing: v.bool("enable-distributed-tracing"),
    distributedTracingAddress: v.string("distributed-tracing-address"),
    distributedTracingServiceName: v.string("distributed-tracing-service-name"),
    distributedTracingInstanceId: v.string("distributed-tracing-instance-id"),
    distributedTracingSamplingRatePerMillion: v.number("distributed-tracing-sampling-rate"),

    logger: "zap",
    logLevel: logLevel(v.string("log-level")),
    logFormat: (v.string("log-format") === "console" ? "console" : "json") as LogFormat,
    logOutputs: logOutputs(v, explicit),
    enableLogRotation: v.bool("enable-log-rotation"),
    logRotationConfigJson: v.string("log-rotation-config-json"),

    corruptCheckTimeMs: v.number("corrupt-check-time"),
    compactHashCheckTimeMs: v.number("compact-hash-check-time"),
    compactionBatchLimit: v.number("compaction-batch-limit"),
    compactionSleepIntervalMs: v.number("compaction-sleep-interval"),
    watchProgressNotifyIntervalMs: v.number("watch-progress-notify-interval"),
    warningApplyDurationMs: v.number("warning-apply-duration"),
    warningUnaryRequestDurationMs: unary,
    downgradeCheckTimeMs: v.number("downgrade-check-time"),
    memoryMlock: v.bool("memory-mlock"),
    bootstrapDefragThresholdMegabytes: v.number("bootstrap-defrag-threshold-megabytes"),
    featureGates: gates.resolve(),

    forceNewCluster: v.bool("force-new-cluster"),
    unsafeNoFsync: v.bool("unsafe-no-fsync"),

    enableV2: v.bool("enable-v2"),
    experimentalEnableV2v3: v.string("experimental-enable-v2v3"),
    v2Proxy: {
      mode: v.string("proxy") as V2ProxyMode,
      failureWaitMs: v.number("proxy-failure-wait"),
      refreshIntervalMs: v.number("proxy-refresh-interval"),
      dialTimeoutMs: v.number("proxy-dial-timeout"),
      writeTimeoutMs: v.number("proxy-write-timeout"),
      readTimeoutMs: v.number("proxy-read-timeout"),
    },
    debug: v.bool("debug"),
    logPackageLevels: v.string("log-package-levels"),

    configFile,
    explicitlySet: new Set(explicit),
  };
  if (name === "default") {
    warnings.push(
      "it isn't recommended to use default name, please set a value for --name. " +
        "Note that etcd might run into issue when multiple members have the same default name",
    );
  }
  unimplementedWarnings(v, explicit, gates.resolve(), warnings);
  return { kind: "run", config: Object.freeze(config), warnings };
}

