/**
 * etcd's checks on a complete set of settings, in etcd's order so that the
 * first error reported is the one etcd reports (embed.Config.Validate and the
 * logging set-up it starts with). Each function returns etcd's message or
 * undefined; warnings are appended to the array passed in.
 * @module
 */
import type { FeatureGateSet } from "./feature-gates.js";
import type { FlagValues } from "./flag-values.js";
import { isBindableUrl, type EtcdUrl } from "../../pkg/go-url.js";
import { formatGoDuration, goQuoteList } from "./go-value.js";
import { EXPERIMENTAL_RENAMES } from "./flags.js";
import type { LogLevel } from "./config.js";
import { policyFromFlags } from "../../tls/index.js";

/** URL lists after etcd's adjustments (advertise-client-urls may have been cleared). */
export interface UrlSettings {
  readonly listenPeer: readonly EtcdUrl[];
  readonly listenClient: readonly EtcdUrl[];
  readonly listenClientHttp: readonly EtcdUrl[];
  readonly listenMetrics: readonly EtcdUrl[];
  readonly advertisePeer: readonly EtcdUrl[];
  readonly advertiseClient: readonly EtcdUrl[];
}

export const ERR_UNSET_ADVERTISE_CLIENT_URLS = "--advertise-client-urls is required when --listen-client-urls is set explicitly";
export const ERR_CONFLICT_BOOTSTRAP_FLAGS =
  'multiple discovery or bootstrap flags are set. Choose one of "initial-cluster", "discovery", "discovery-endpoints" or "discovery-srv"';
export const ERR_LOG_ROTATION_INVALID_OUTPUT = "--log-outputs requires a single file path when --log-rotate-config-json is defined";

const MAX_ELECTION_MS = 50000;

/** Renamed experimental flags for which etcd refuses old and new together. */
const CONFLICT_CHECKED = [...EXPERIMENTAL_RENAMES].filter(
  ([old]) => old !== "experimental-max-learners" && old !== "experimental-backend-bbolt-freelist-type",
);

export function checkRenamedFlags(explicit: ReadonlySet<string>): string | undefined {
  for (const [old, renamed] of CONFLICT_CHECKED) {
    if (explicit.has(old) && explicit.has(renamed)) {
      return `cannot set --${old} and --${renamed} at the same time, please use --${renamed} only`;
    }
  }
  return undefined;
}

const ZAP_LEVELS: ReadonlyMap<string, LogLevel> = new Map([
  ["debug", "debug"],
  ["DEBUG", "debug"],
  ["", "info"],
  ["info", "info"],
  ["INFO", "info"],
  ["warn", "warn"],
  ["WARN", "warn"],
  ["error", "error"],
  ["ERROR", "error"],
  ["dpanic", "dpanic"],
  ["DPANIC", "dpanic"],
  ["panic", "panic"],
  ["PANIC", "panic"],
  ["fatal", "fatal"],
  ["FATAL", "fatal"],
]);

/** The log level as zap reads it; etcd panics on anything else, we report zap's error. */
export function parseLogLevel(text: string): LogLevel | { error: string } {
  return ZAP_LEVELS.get(text) ?? { error: `unrecognized level: "${text}"` };
}

const STD_OUTPUTS = new Set(["default", "stderr", "stdout"]);

/** etcd's setupLogging checks (logger, outputs, rotation, level, format). */
export function checkLogging(v: FlagValues): string | undefined {
  const logger = v.string("logger");
  if (logger === "capnslog") return "--logger=capnslog is removed in v3.5";
  if (logger !== "zap") return `unknown logger option "${logger}"`;
  const outputs = v.list("log-outputs").length === 0 ? ["default"] : v.list("log-outputs");
  if (outputs.length > 1 && outputs.includes("default")) return `multi logoutput for "default" is not supported yet`;
  if (v.bool("enable-log-rotation")) {
    const files = outputs.filter((o) => !STD_OUTPUTS.has(o)).length;
    if ((outputs.length === 1 && files === 0) || files > 1) return ERR_LOG_ROTATION_INVALID_OUTPUT;
    const rotationError = checkRotationJson(v.string("log-rotation-config-json"));
    if (rotationError !== undefined) return rotationError;
  }
  if (outputs.includes("systemd/journal") && outputs.length > 1) {
    return (
      `running with systemd/journal but other '--log-outputs' values (${goQuoteList(outputs)}) ` +
      `are configured with 'default'; override 'default' value with something else`
    );
  }
  const level = parseLogLevel(v.string("log-level"));
  if (typeof level !== "string") return level.error;
  const format = v.string("log-format");
  if (format !== "" && format !== "json" && format !== "console") {
    return `unknown log format: ${format}, supported values json, console`;
  }
  return undefined;
}

const ROTATION_FIELDS: Readonly<Record<string, "int" | "bool">> = {
  maxsize: "int",
  maxage: "int",
  maxbackups: "int",
  localtime: "bool",
  compress: "bool",
};

function checkRotationJson(text: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    return `improperly formatted log rotation config: ${(e as Error).message}`;
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    return `invalid log rotation config: json: cannot unmarshal ${Array.isArray(parsed) ? "array" : typeof parsed} into Go value of type embed.logRotationConfig`;
  }
  for (const [key, value] of Object.entries(parsed)) {
    const want = ROTATION_FIELDS[key.toLowerCase()];
    if (want === undefined || value === null) continue;
    const okType = want === "bool" ? typeof value === "boolean" : typeof value === "number" && Number.isInteger(value);
    if (!okType) {
      const got = typeof value === "boolean" ? "bool" : typeof value === "number" ? `number ${value}` : Array.isArray(value) ? "array" : typeof value;
      return `invalid log rotation config: json: cannot unmarshal ${got} into Go struct field logRotationConfig.${key} of type ${want}`;
    }
  }
  return undefined;
}

/** Listen URLs must be IPs, `localhost` or unix sockets; advertise URLs need a host. */
export function checkUrls(urls: UrlSettings): string | undefined {
  for (const list of [urls.listenPeer, urls.listenClient, urls.listenClientHttp, urls.listenMetrics]) {
    const bad = list.find((u) => !isBindableUrl(u));
    if (bad !== undefined) return `expected IP in URL for binding (${bad.href})`;
  }
  const emptyHost = (list: readonly EtcdUrl[]): EtcdUrl | undefined =>
    list.find((u) => u.scheme !== "unix" && u.scheme !== "unixs" && u.hostname === "");
  const ap = emptyHost(urls.advertisePeer);
  if (ap !== undefined) {
    const all = urls.advertisePeer.map((u) => u.href).join(",");
    return `--initial-advertise-peer-urls "${all}" must be "host:port" (unexpected empty host (${ap.href}))`;
  }
  const ac = emptyHost(urls.advertiseClient);
  if (ac !== undefined) {
    const all = urls.advertiseClient.map((u) => u.href).join(",");
    return `--advertise-client-urls "${all}" must be "host:port" (unexpected empty host (${ac.href}))`;
  }
  return undefined;
}

/** Bootstrap source, discovery, timing and compaction checks (the middle of Validate). */
export function checkClusterAndTiming(v: FlagValues, initialClusterText: string, urls: UrlSettings): string | undefined {
  const state = v.string("initial-cluster-state");
  if (state !== "new" && state !== "existing") return `unexpected clusterState "${state}"`;
  const endpoints = v.list("discovery-endpoints");
  const sources = [v.string("discovery") !== "", initialClusterText !== "", v.string("discovery-srv") !== "", endpoints.length > 0];
  if (sources.filter(Boolean).length > 1) return ERR_CONFLICT_BOOTSTRAP_FLAGS;
  const v3Discovery =
    endpoints.length > 0 ||
    ["discovery-token", "discovery-cert", "discovery-key", "discovery-cacert", "discovery-user", "discovery-password"].some(
      (f) => v.string(f) !== "",
    );
  if (v.string("discovery-proxy") !== "" && v3Discovery) {
    return (
      "both v2 discovery settings (discovery, discovery-proxy) and v3 discovery settings (discovery-token, " +
      "discovery-endpoints, discovery-cert, discovery-key, discovery-cacert, discovery-user, discovery-password) are set"
    );
  }
  if ((v.string("discovery-token") !== "") !== endpoints.length > 0) return "both --discovery-token and --discovery-endpoints must be set";
  if (endpoints.some((e) => e.trim() === "")) return "--discovery-endpoints must not contain empty endpoints";
  const tick = v.number("heartbeat-interval");
  const election = v.number("election-timeout");
  if (tick === 0) return `--heartbeat-interval must be >0 (set to ${tick}ms)`;
  if (election === 0) return `--election-timeout must be >0 (set to ${election}ms)`;
  if (5 * tick > election) {
    return `--election-timeout[${election}ms] should be at least as 5 times as --heartbeat-interval[${tick}ms]`;
  }
  if (election > MAX_ELECTION_MS) return `--election-timeout[${election}ms] is too long, and should be set less than ${MAX_ELECTION_MS}ms`;
  if (urls.listenClient.length > 0 && urls.advertiseClient.length === 0) return ERR_UNSET_ADVERTISE_CLIENT_URLS;
  const mode = v.string("auto-compaction-mode");
  if (mode === "") return "undefined auto-compaction-mode";
  if (mode !== "periodic" && mode !== "revision") return `unknown auto-compaction-mode "${mode}"`;
  return undefined;
}

/** Tracing, lease-checkpoint gates, hash-check interval and TLS policy checks (the end of Validate, then the cipher suites). */
export function checkTail(v: FlagValues, gates: FeatureGateSet, warnings: string[]): string | undefined {
  if (v.bool("enable-distributed-tracing")) {
    const rate = v.number("distributed-tracing-sampling-rate");
    if (rate < 0) return "distributed tracing configurition is not valid: (tracing sampling rate must be positive)";
    if (rate > 1_000_000) return "distributed tracing configurition is not valid: (tracing sampling rate must be less than 1000000)";
  }
  const checkpoint = gates.enabled("LeaseCheckpoint");
  const persist = gates.enabled("LeaseCheckpointPersist");
  if (checkpoint && !persist) {
    warnings.push("Detected that checkpointing is enabled without persistence. Consider enabling feature gate LeaseCheckpointPersist");
  }
  if (persist && !checkpoint) return "enabling feature gate LeaseCheckpointPersist requires enabling feature gate LeaseCheckpoint";
  for (const name of ["experimental-compact-hash-check-time", "compact-hash-check-time"]) {
    const ms = v.number(name);
    if (ms <= 0) return `--${name} must be >0 (set to ${formatGoDuration(ms)})`;
  }
  // The TLS versions end Validate; the cipher suites are the first thing StartEtcd checks.
  const policy = policyFromFlags(v.list("cipher-suites"), v.string("tls-min-version"), v.string("tls-max-version"));
  if ("error" in policy) return policy.error;
  return undefined;
}

/** The flags of one side's TLS files, as etcd's TLSInfo holds them. */
interface TlsSide {
  readonly certFile: string;
  readonly keyFile: string;
  readonly autoTls: boolean;
  readonly allowedCns: readonly string[];
  readonly allowedHostnames: readonly string[];
}

const isTlsUrl = (u: EtcdUrl): boolean => u.scheme === "https" || u.scheme === "unixs";

/** etcd's TLSInfo.Empty after SelfCert: no cert and key given, and no auto-TLS to make them. */
const noCertificate = (side: TlsSide): boolean => side.certFile === "" && side.keyFile === "" && !side.autoTls;

/** What etcd's listener set-up refuses for one side once it has a TLS URL (transport's baseConfig and SelfCert). */
function checkTlsSide(side: TlsSide, selfSignedCertValidity: number): string | undefined {
  if (side.certFile === "" && side.keyFile === "" && side.autoTls && selfSignedCertValidity === 0) {
    return "selfSignedCertValidity is invalid,it should be greater than 0";
  }
  if ((side.certFile === "") !== (side.keyFile === "")) {
    return `KeyFile and CertFile must both be present[key: ${side.keyFile}, cert: ${side.certFile}]`;
  }
  if (side.allowedCns.length > 0 && side.allowedHostnames.length > 0) {
    return `AllowedCNs and AllowedHostnames are mutually exclusive (cns=${goQuoteList(side.allowedCns)}, hostnames=${goQuoteList(side.allowedHostnames)})`;
  }
  return undefined;
}

/**
 * Ours: etcd checks allowed CNs / host names only on certificates it asked
 * for, which it does with client-cert auth or a trusted CA; without either the
 * list silently lets everyone in.
 */
function unusedAllowListWarning(v: FlagValues, prefix: "" | "peer-", lists: readonly string[], warnings: string[]): void {
  if (v.bool(`${prefix}client-cert-auth`) || v.string(`${prefix}trusted-ca-file`) !== "") return;
  for (const flag of lists) {
    if (v.list(flag).length > 0) {
      warnings.push(`--${flag} has no effect without --${prefix}client-cert-auth or --${prefix}trusted-ca-file: no client certificate is asked for`);
    }
  }
}

/**
 * What etcd's StartEtcd refuses or warns about while opening listeners, in
 * its order: peer listeners, client listeners (gRPC and HTTP-only), metrics.
 * A TLS URL needs a certificate and key, or auto-TLS (etcd names the bound
 * address for peers and metrics; we name the URL's host:port, before binding).
 */
export function checkTlsListeners(v: FlagValues, urls: UrlSettings, clientAllowedCns: readonly string[], warnings: string[]): string | undefined {
  const validity = v.number("self-signed-cert-validity");
  const peer: TlsSide = {
    certFile: v.string("peer-cert-file"),
    keyFile: v.string("peer-key-file"),
    autoTls: v.bool("peer-auto-tls"),
    allowedCns: v.list("peer-cert-allowed-cn"),
    allowedHostnames: v.list("peer-cert-allowed-hostname"),
  };
  const client: TlsSide = {
    certFile: v.string("cert-file"),
    keyFile: v.string("key-file"),
    autoTls: v.bool("auto-tls"),
    allowedCns: clientAllowedCns,
    allowedHostnames: v.list("client-cert-allowed-hostname"),
  };
  if (peer.autoTls && (peer.certFile !== "" || peer.keyFile !== "")) warnings.push("ignoring peer auto TLS since certs given");
  unusedAllowListWarning(v, "peer-", ["peer-cert-allowed-cn", "peer-cert-allowed-hostname"], warnings);
  const peerTls = urls.listenPeer.find(isTlsUrl);
  if (peerTls !== undefined) {
    if (noCertificate(peer)) return `cannot listen on TLS for ${peerTls.host}: KeyFile and CertFile are not presented`;
    const problem = checkTlsSide(peer, validity);
    if (problem !== undefined) return problem;
  }

  if (client.autoTls && (client.certFile !== "" || client.keyFile !== "")) warnings.push("ignoring client auto TLS since certs given");
  unusedAllowListWarning(v, "", ["client-cert-allowed-hostname"], warnings);
  for (const u of [...urls.listenClient, ...urls.listenClientHttp]) {
    if (!isTlsUrl(u)) {
      if (client.certFile !== "" || client.keyFile !== "") {
        warnings.push(`scheme is HTTP while key and cert files are present; ignoring key and cert files (client-url ${u.href})`);
      }
      if (v.bool("client-cert-auth")) {
        warnings.push(`scheme is HTTP while --client-cert-auth is enabled; ignoring client cert auth for this URL (client-url ${u.href})`);
      }
      continue;
    }
    if (noCertificate(client)) return `TLS key/cert (--cert-file, --key-file) must be provided for client url ${u.href} with HTTPS scheme`;
  }
  const clientTls = [...urls.listenClient, ...urls.listenClientHttp].some(isTlsUrl);
  const metricsTls = urls.listenMetrics.find(isTlsUrl);
  if (clientTls || metricsTls !== undefined) {
    if (metricsTls !== undefined && noCertificate(client)) {
      return `cannot listen on TLS for ${metricsTls.host}: KeyFile and CertFile are not presented`;
    }
    const problem = checkTlsSide(client, validity);
    if (problem !== undefined) return problem;
  }
  return undefined;
}
