/**
 * The adjustments etcd makes to validated settings (defaults for zeros,
 * minimum raft timeouts, the default-host rule, compaction retention) and
 * the warnings it logs about them, plus our "not implemented yet" warnings.
 * Split from parse.ts, which sequences these steps.
 * @module
 */
import type { FileExtras } from "./config-file.js";
import type { AutoCompactionMode, FreelistType, LogLevel, MetricsLevel, TlsConfig } from "./config.js";
import { EXPERIMENTAL_FLAG_TO_FEATURE, SERVER_FEATURES } from "./feature-gates.js";
import { defaultValue, type FlagValue, type FlagValues, type UrlsValue } from "./flag-values.js";
import { EXPERIMENTAL_RENAMES, FLAGS_BY_NAME } from "./flags.js";
import { parseEtcdUrl, type EtcdUrl } from "../../pkg/go-url.js";
import { goQuote, nsToMs, parseGoDuration } from "./go-value.js";
import { UNIMPLEMENTED_FLAGS } from "./unimplemented.js";
import { parseLogLevel, type UrlSettings } from "./validate.js";

const DEFAULT_ADVERTISE_PEER = "http://localhost:2380";
const DEFAULT_ADVERTISE_CLIENT = "http://localhost:2379";
const RECOMMENDED_MAX_REQUEST_BYTES = 10 * 1024 * 1024;
const MIN_RAFT_TIMEOUT_MS = 5000;

/** etcd's parseCompactionRetention: a bare non-negative integer is hours (periodic) or revisions; otherwise a duration. */
export function parseRetention(mode: AutoCompactionMode, text: string): number | { error: string } {
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
export function unaryRequestWarning(v: FlagValues, explicit: ReadonlySet<string>, warnings: string[]): number | string {
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

export function deprecationWarnings(explicit: ReadonlySet<string>, warnings: string[]): void {
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
export function applyDefaultHost(urls: UrlSettings, defaultHost: string | undefined): UrlSettings {
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

export function logLevel(text: string): LogLevel {
  const level = parseLogLevel(text);
  return typeof level === "string" ? level : "info"; // validated earlier
}

export function positiveOrDefault(v: FlagValues, flag: string, dflt: number, warnings: string[]): number {
  const n = v.number(flag);
  if (n !== 0) return n;
  warnings.push(`--${flag} is 0; using the default ${dflt}`);
  return dflt;
}

export function maxRequestBytes(v: FlagValues, warnings: string[]): number {
  const n = v.number("max-request-bytes");
  if (n > RECOMMENDED_MAX_REQUEST_BYTES) {
    warnings.push(`--max-request-bytes ${n} exceeds the recommended maximum of ${RECOMMENDED_MAX_REQUEST_BYTES} bytes`);
  }
  return n;
}

export function raftTimeout(v: FlagValues, flag: string, warnings: string[]): number {
  const ms = v.number(flag);
  if (ms >= MIN_RAFT_TIMEOUT_MS) return ms;
  warnings.push(`${flag} increased to minimum value: 5s`);
  return MIN_RAFT_TIMEOUT_MS;
}

const MIN_BCRYPT_COST = 4;
const MAX_BCRYPT_COST = 31;
const DEFAULT_BCRYPT_COST = 10;

/** etcd's rule (auth.NewAuthStore): a cost outside bcrypt's range is replaced by the default, with a warning. */
export function bcryptCost(v: FlagValues, warnings: string[]): number {
  const n = v.number("bcrypt-cost");
  if (n >= MIN_BCRYPT_COST && n <= MAX_BCRYPT_COST) return n;
  warnings.push(
    `use default bcrypt cost instead of the invalid given cost (min-cost ${MIN_BCRYPT_COST}, max-cost ${MAX_BCRYPT_COST}, default-cost ${DEFAULT_BCRYPT_COST}, given-cost ${n})`,
  );
  return DEFAULT_BCRYPT_COST;
}

export function metricsLevel(text: string, warnings: string[]): MetricsLevel {
  if (text === "basic" || text === "extensive") return text;
  warnings.push(`--metrics ${goQuote(text)} is not basic or extensive; using basic`);
  return "basic";
}

export function freelistType(text: string, warnings: string[]): FreelistType {
  if (text === "array") return "array";
  if (text !== "map") warnings.push(`--backend-bbolt-freelist-type ${goQuote(text)} is not map or array; using map`);
  return "map";
}

export function logOutputs(v: FlagValues, explicit: ReadonlySet<string>): readonly string[] {
  // etcd 3.4 still honoured the old --log-output when --log-outputs was not given.
  const source = explicit.has("log-output") && !explicit.has("log-outputs") ? "log-output" : "log-outputs";
  const list = v.list(source);
  return list.length === 0 ? ["default"] : list;
}

export function clientTls(v: FlagValues, extras: FileExtras): TlsConfig {
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

export function peerTls(v: FlagValues): TlsConfig {
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

export function unimplementedWarnings(
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
        .filter(([feature, s]) => s.implemented !== true && gates[feature] !== s.default)
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
