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
import { parseArgv } from "./argv.js";
import { parseAuthToken } from "./auth-token.js";
import { parseInitialCluster } from "./bootstrap.js";
import type {
  AutoCompactionMode,
  ClusterState,
  DiscoveryFallback,
  EtcdConfig,
  FreelistType,
  LogFormat,
  LogLevel,
  MetricsLevel,
  TlsConfig,
  TlsVersion,
  V2ProxyMode,
} from "./config.js";
import { loadConfigFile, type FileExtras } from "./config-file.js";
import { applyEnv, type Env } from "./env.js";
import { applyExperimentalFlags, EXPERIMENTAL_FLAG_TO_FEATURE, SERVER_FEATURES } from "./feature-gates.js";
import { defaultValue, FlagValues, type FlagValue, type UrlsValue } from "./flag-values.js";
import { EXPERIMENTAL_RENAMES, FLAGS_BY_NAME } from "./flags.js";
import { parseEtcdUrl, type EtcdUrl } from "./go-url.js";
import { goQuote, nsToMs, parseGoDuration } from "./go-value.js";
import { helpText, USAGE, versionText, type RuntimeInfo } from "./help.js";
import { UNIMPLEMENTED_FLAGS } from "./unimplemented.js";
import {
  checkClusterAndTiming,
  checkLogging,
  checkRenamedFlags,
  checkTail,
  checkUrls,
  parseLogLevel,
  type UrlSettings,
} from "./validate.js";

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
const DEFAULT_ADVERTISE_PEER = "http://localhost:2380";
const DEFAULT_ADVERTISE_CLIENT = "http://localhost:2379";
const RECOMMENDED_MAX_REQUEST_BYTES = 10 * 1024 * 1024;
const MIN_RAFT_TIMEOUT_MS = 5000;

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
    checkTail(v, gates, warnings);
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
  const authToken = parseAuthToken(v.string("auth-token"));
  if ("error" in authToken) return failure(authToken.error);

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

    authToken,
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

/** etcd's parseCompactionRetention: a bare non-negative integer is hours (periodic) or revisions; otherwise a duration. */
function parseRetention(mode: AutoCompactionMode, text: string): number | { error: string } {
  const retention = text === "" ? "0" : text;
  if (/^[+-]?[0-9]+$/.test(retention)) {
    const n = Number(retention);
    if (n >= 0 && Number.isSafeInteger(n)) return mode === "revision" ? n : n * 3_600_000;
  }
  const ns = parseGoDuration(retention);
  if (typeof ns !== "bigint") return { error: `error parsing CompactionRetention: ${ns.error}` };
  // In revision mode etcd uses the duration's nanosecond count as the revision count.
  return mode === "revision" ? Number(ns) : nsToMs(ns);
}

/** etcd 3.6: the unary-request warning threshold, from the new flag or (deprecated) the experimental one. */
function unaryRequestWarning(v: FlagValues, explicit: ReadonlySet<string>, warnings: string[]): number | string {
  const current = explicit.has("warning-unary-request-duration") ? v.number("warning-unary-request-duration") : 0;
  const old = v.number("experimental-warning-unary-request-duration");
  if (current !== 0 && old !== 0) {
    return (
      "both --experimental-warning-unary-request-duration and --warning-unary-request-duration flags are set. " +
      "Use only --warning-unary-request-duration"
    );
  }
  if (current !== 0) return current;
  if (old !== 0) {
    warnings.push(
      "--experimental-warning-unary-request-duration is deprecated, and will be decommissioned in v3.7. " +
        "Use --warning-unary-request-duration instead.",
    );
    return old;
  }
  return 300;
}

const LEGACY_FLAGS = [
  "enable-v2",
  "experimental-enable-v2v3",
  "proxy",
  "proxy-failure-wait",
  "proxy-refresh-interval",
  "proxy-dial-timeout",
  "proxy-write-timeout",
  "proxy-read-timeout",
  "debug",
  "log-package-levels",
];

function deprecationWarnings(explicit: ReadonlySet<string>, warnings: string[]): void {
  for (const flag of ["snapshot-count", "max-snapshots"]) {
    if (explicit.has(flag)) warnings.push(`--${flag} is deprecated in 3.6 and will be decommissioned in 3.7.`);
  }
  if (explicit.has("v2-deprecation")) {
    warnings.push("--v2-deprecation is deprecated and scheduled for removal in v3.8. The default value is enforced, ignoring user input.");
  }
  for (const [old, renamed] of EXPERIMENTAL_RENAMES) {
    if (explicit.has(old)) warnings.push(`--${old} is deprecated in v3.6 and will be decommissioned in v3.7. Use '--${renamed}' instead.`);
  }
  for (const [old, feature] of EXPERIMENTAL_FLAG_TO_FEATURE) {
    if (explicit.has(old)) {
      warnings.push(`--${old} is deprecated in v3.6 and will be decommissioned in v3.7. Use '--feature-gates=${feature}=true' instead.`);
    }
  }
  for (const flag of LEGACY_FLAGS) {
    if (explicit.has(flag)) warnings.push(`--${flag} was removed after etcd 3.4; it is accepted and has no effect`);
  }
  if (explicit.has("log-output")) warnings.push("--log-output is deprecated; use --log-outputs");
}

/** etcd's UpdateDefaultClusterFromName host rule (only with a known default host). */
function applyDefaultHost(urls: UrlSettings, defaultHost: string | undefined): UrlSettings {
  if (defaultHost === undefined || defaultHost === "") return urls;
  const host = defaultHost.includes(":") ? `[${defaultHost}]` : defaultHost;
  const rewrite = (advertise: readonly EtcdUrl[], listen: readonly EtcdUrl[], dflt: string): readonly EtcdUrl[] => {
    const first = listen[0];
    const only = advertise[0];
    if (advertise.length !== 1 || only === undefined || only.href !== dflt || first === undefined) return advertise;
    if (first.hostname !== "0.0.0.0") return advertise;
    const port = first.host.slice(first.host.lastIndexOf(":") + 1);
    return [parseEtcdUrl(`${only.scheme}://${host}:${port}`)];
  };
  return {
    ...urls,
    advertisePeer: rewrite(urls.advertisePeer, urls.listenPeer, DEFAULT_ADVERTISE_PEER),
    advertiseClient: rewrite(urls.advertiseClient, urls.listenClient, DEFAULT_ADVERTISE_CLIENT),
  };
}

function logLevel(text: string): LogLevel {
  const level = parseLogLevel(text);
  return typeof level === "string" ? level : "info"; // validated earlier
}

function positiveOrDefault(v: FlagValues, flag: string, dflt: number, warnings: string[]): number {
  const n = v.number(flag);
  if (n !== 0) return n;
  warnings.push(`--${flag} is 0; using the default ${dflt}`);
  return dflt;
}

function maxRequestBytes(v: FlagValues, warnings: string[]): number {
  const n = v.number("max-request-bytes");
  if (n > RECOMMENDED_MAX_REQUEST_BYTES) {
    warnings.push(`--max-request-bytes ${n} exceeds the recommended maximum of ${RECOMMENDED_MAX_REQUEST_BYTES} bytes`);
  }
  return n;
}

function raftTimeout(v: FlagValues, flag: string, warnings: string[]): number {
  const ms = v.number(flag);
  if (ms >= MIN_RAFT_TIMEOUT_MS) return ms;
  warnings.push(`${flag} increased to minimum value: 5s`);
  return MIN_RAFT_TIMEOUT_MS;
}

function bcryptCost(v: FlagValues, warnings: string[]): number {
  const n = v.number("bcrypt-cost");
  if (n >= 4 && n <= 31) return n;
  warnings.push(`--bcrypt-cost ${n} is outside 4..31; using the default 10`);
  return 10;
}

function metricsLevel(text: string, warnings: string[]): MetricsLevel {
  if (text === "basic" || text === "extensive") return text;
  warnings.push(`--metrics ${goQuote(text)} is not basic or extensive; using basic`);
  return "basic";
}

function freelistType(text: string, warnings: string[]): FreelistType {
  if (text === "array") return "array";
  if (text !== "map") warnings.push(`--backend-bbolt-freelist-type ${goQuote(text)} is not map or array; using map`);
  return "map";
}

function logOutputs(v: FlagValues, explicit: ReadonlySet<string>): readonly string[] {
  // etcd 3.4 still honoured the old --log-output when --log-outputs was not given.
  const source = explicit.has("log-output") && !explicit.has("log-outputs") ? "log-output" : "log-outputs";
  const list = v.list(source);
  return list.length === 0 ? ["default"] : list;
}

function clientTls(v: FlagValues, extras: FileExtras): TlsConfig {
  return Object.freeze({
    certFile: v.string("cert-file"),
    keyFile: v.string("key-file"),
    clientCertFile: v.string("client-cert-file"),
    clientKeyFile: v.string("client-key-file"),
    clientCertAuth: v.bool("client-cert-auth"),
    trustedCaFile: v.string("trusted-ca-file"),
    crlFile: v.string("client-crl-file"),
    allowedCns: extras.clientAllowedCns,
    allowedHostnames: v.list("client-cert-allowed-hostname"),
    autoTls: v.bool("auto-tls"),
    skipClientSanVerify: extras.clientSkipClientSanVerify,
  });
}

function peerTls(v: FlagValues): TlsConfig {
  return Object.freeze({
    certFile: v.string("peer-cert-file"),
    keyFile: v.string("peer-key-file"),
    clientCertFile: v.string("peer-client-cert-file"),
    clientKeyFile: v.string("peer-client-key-file"),
    clientCertAuth: v.bool("peer-client-cert-auth"),
    trustedCaFile: v.string("peer-trusted-ca-file"),
    crlFile: v.string("peer-crl-file"),
    allowedCns: v.list("peer-cert-allowed-cn"),
    allowedHostnames: v.list("peer-cert-allowed-hostname"),
    autoTls: v.bool("peer-auto-tls"),
    skipClientSanVerify: v.bool("peer-skip-client-san-verification"),
  });
}

/** A comparable text for a flag value (URL lists by their printed URLs). */
function valueKey(value: FlagValue): string {
  if (typeof value === "object" && value !== null && "urls" in value) {
    const u = value as UrlsValue;
    return [...u.texts].sort().join(",");
  }
  if (Array.isArray(value)) return value.join(",");
  return String(value);
}

function unimplementedWarnings(
  v: FlagValues,
  explicit: ReadonlySet<string>,
  gates: Readonly<Record<string, boolean>>,
  warnings: string[],
): void {
  const oldNames = new Map<string, string>();
  for (const [old, renamed] of EXPERIMENTAL_RENAMES) oldNames.set(renamed, old);
  for (const name of UNIMPLEMENTED_FLAGS) {
    const spec = FLAGS_BY_NAME.get(name);
    if (spec === undefined) continue;
    if (name === "feature-gates") {
      const changed = Object.entries(SERVER_FEATURES)
        .filter(([feature, s]) => gates[feature] !== s.default)
        .map(([feature]) => `${feature}=${gates[feature]}`);
      if (changed.length > 0) warnings.push(`--feature-gates ${changed.join(",")} is accepted but not implemented yet; it has no effect`);
      continue;
    }
    const old = oldNames.get(name);
    if (!explicit.has(name) && !(old !== undefined && explicit.has(old))) continue;
    if (valueKey(v.get(name)) === valueKey(defaultValue(spec))) continue;
    warnings.push(`--${name} is accepted but not implemented yet; it has no effect`);
  }
}
