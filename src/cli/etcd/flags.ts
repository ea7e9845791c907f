/**
 * The table of every `etcd` server flag: name, value syntax, default, help
 * group and text, and how the flag is spelled in a `--config-file`.
 *
 * Names, value syntax and defaults are etcd's (3.6 where it differs from 3.4,
 * with the 3.4-only flags kept so old command lines still parse); the help
 * sentences are ours. Everything else (argv, environment, YAML, help) is
 * driven from this one table.
 * @module
 */

export type HelpGroup =
  | "Member"
  | "Clustering"
  | "Security"
  | "Auth"
  | "Profiling and monitoring"
  | "Logging"
  | "Distributed tracing"
  | "Tuning and feature gates"
  | "Experimental (deprecated names of the tuning flags)"
  | "Unsafe"
  | "etcd 3.4 flags (accepted for compatibility, no effect)";

/** How a flag's text value is read: one kind per Go flag.Value type etcd uses. */
export type FlagKind =
  | { readonly type: "string" }
  | { readonly type: "bool" }
  | { readonly type: "int"; readonly goType: "uint" | "uint64" | "int" | "int64" }
  | { readonly type: "uint32" }
  | { readonly type: "duration" }
  | { readonly type: "urls"; readonly exceptions: readonly string[] }
  | { readonly type: "strings" }
  | { readonly type: "uniqueStrings" }
  | { readonly type: "select"; readonly valid: readonly string[] }
  | { readonly type: "selectMulti"; readonly valid: readonly string[] }
  | { readonly type: "featureGates" }
  | { readonly type: "ignored" };

/**
 * How a key is written in the YAML config file (etcd decodes YAML as JSON
 * into Go types, so the Go type decides what is accepted):
 * "urls" and "cors" are comma-separated strings parsed as URLs,
 * "uniqueStringsText" a comma-separated string, "featureGatesText" a
 * `--feature-gates` string, "selectText" a string checked against the choices.
 */
export type YamlType =
  | "string"
  | "bool"
  | "uint"
  | "uint64"
  | "uint32"
  | "int"
  | "int64"
  | "time.Duration"
  | "[]string"
  | "urls"
  | "cors"
  | "uniqueStringsText"
  | "featureGatesText"
  | "selectText";

export interface FlagSpec {
  readonly name: string;
  readonly kind: FlagKind;
  /** Default, written as the flag's own text syntax. */
  readonly def: string;
  /** Shown in help instead of `def` when they differ (e.g. `${name}.etcd`). */
  readonly helpDefault?: string;
  /** Undefined: not listed in `--help` (the long-gone flags etcd silently ignores). */
  readonly group: HelpGroup | undefined;
  readonly help: string;
  /** YAML spelling; null when the key does not exist in etcd's config file. */
  readonly yaml: YamlType | null;
}

const STR = { type: "string" } as const;
const BOOL = { type: "bool" } as const;
const DUR = { type: "duration" } as const;
const UINT = { type: "int", goType: "uint" } as const;
const UINT64 = { type: "int", goType: "uint64" } as const;
const INT = { type: "int", goType: "int" } as const;
const INT64 = { type: "int", goType: "int64" } as const;
const URLS = { type: "urls", exceptions: [""] } as const;
const LIST = { type: "strings" } as const;
const IGNORED = { type: "ignored" } as const;

type Row = [name: string, kind: FlagKind, def: string, help: string, extra?: Partial<FlagSpec>];

function group(g: HelpGroup | undefined, rows: Row[]): FlagSpec[] {
  return rows.map(([name, kind, def, help, extra]) => ({
    name,
    kind,
    def,
    group: g,
    help,
    yaml: defaultYaml(kind),
    ...extra,
  }));
}

function defaultYaml(kind: FlagKind): YamlType | null {
  switch (kind.type) {
    case "string":
      return "string";
    case "bool":
      return "bool";
    case "int":
      return kind.goType;
    case "uint32":
      return "uint32";
    case "duration":
      return "time.Duration";
    case "urls":
      return "urls";
    case "strings":
    case "uniqueStrings":
      return "[]string";
    case "select":
      return "selectText";
    case "selectMulti":
      return "string";
    case "featureGates":
      return "featureGatesText";
    case "ignored":
      return null;
  }
}

const NO_YAML = { yaml: null } as const;

const member = group("Member", [
  ["name", STR, "default", "Human-readable name of this member; also the default for --data-dir."],
  ["data-dir", STR, "", "Directory holding this member's data.", { helpDefault: "${name}.etcd" }],
  ["wal-dir", STR, "", "Separate directory for the write-ahead log (default: inside --data-dir)."],
  ["snapshot-count", UINT64, "10000", "Applied entries between two raft snapshots (deprecated in etcd 3.6)."],
  ["heartbeat-interval", UINT, "100", "Milliseconds between leader heartbeats."],
  ["election-timeout", UINT, "1000", "Milliseconds without a heartbeat before a follower campaigns (at least 5x the heartbeat)."],
  ["initial-election-tick-advance", BOOL, "true", "Skip most of the first election timeout after start for a faster first election."],
  ["listen-peer-urls", URLS, "http://localhost:2380", "Comma-separated URLs to accept peer (raft) traffic on."],
  ["listen-client-urls", URLS, "http://localhost:2379", "Comma-separated URLs to serve clients on (gRPC, and HTTP unless --listen-client-http-urls is set)."],
  ["listen-client-http-urls", URLS, "", "Comma-separated URLs that serve only the HTTP endpoints; moves HTTP off --listen-client-urls."],
  ["max-snapshots", UINT, "5", "Snapshot files to keep; 0 keeps all (deprecated in etcd 3.6)."],
  ["max-wals", UINT, "5", "WAL files to keep; 0 keeps all."],
  ["quota-backend-bytes", INT64, "0", "Backend size that raises the NOSPACE alarm; 0 means 2 GiB."],
  ["backend-bbolt-freelist-type", STR, "map", "Free-page list layout of the backend file (map or array)."],
  ["backend-batch-interval", DUR, "0s", "Longest time a backend write batch stays open; 0 means 100ms.", { helpDefault: "" }],
  ["backend-batch-limit", INT, "0", "Most operations in one backend write batch; 0 means 10000."],
  ["max-txn-ops", UINT, "128", "Most operations allowed in one transaction."],
  ["max-request-bytes", UINT, "1572864", "Largest client request accepted, in bytes."],
  ["max-concurrent-streams", { type: "uint32" }, "4294967295", "Most concurrent gRPC streams per client connection; the default (or 0, or 2^31 and more) means 1000 here (ours: etcd serves it as unlimited)."],
  ["max-client-connections", UINT, "10000", "Most open client connections across all client URLs (gRPC and HTTP); more are closed on accept; 0 means no limit. Ours: etcd has no such flag."],
  ["grpc-keepalive-min-time", DUR, "5s", "Shortest interval a client may ping at while a call is open (with none open: 2h); a client that keeps pinging faster gets GOAWAY too_many_pings. 0 means 5m."],
  ["grpc-keepalive-interval", DUR, "2h0m0s", "Interval of server-to-client pings; 0 disables them."],
  ["grpc-keepalive-timeout", DUR, "20s", "Time to wait for a ping answer before closing the connection; 0 disables."],
  ["socket-reuse-port", BOOL, "false", "Set SO_REUSEPORT on listeners.", NO_YAML],
  ["socket-reuse-address", BOOL, "false", "Set SO_REUSEADDR on listeners.", NO_YAML],
  ["raft-read-timeout", DUR, "5s", "Read timeout of peer connections (never below 5s).", NO_YAML],
  ["raft-write-timeout", DUR, "5s", "Write timeout of peer connections (never below 5s).", NO_YAML],
  ["enable-grpc-gateway", BOOL, "true", "Serve the JSON/HTTP gateway to the gRPC API."],
  ["snapshot-catchup-entries", UINT64, "5000", "Entries kept after a snapshot so slow followers can catch up."],
]);

const clustering = group("Clustering", [
  ["initial-advertise-peer-urls", URLS, "http://localhost:2380", "This member's peer URLs, as announced to the rest of the cluster."],
  ["advertise-client-urls", URLS, "http://localhost:2379", "This member's client URLs, as announced to clients; required with --listen-client-urls."],
  ["initial-cluster", STR, "default=http://localhost:2380", "Members at bootstrap: name=peer-url,name=peer-url,..."],
  ["initial-cluster-token", STR, "etcd-cluster", "Token that keeps separately bootstrapped clusters apart."],
  ["initial-cluster-state", { type: "select", valid: ["new", "existing"] }, "new", "'new' to bootstrap a cluster, 'existing' to join one; ignored once initialized."],
  ["discovery", STR, "", "v2 discovery service URL used to bootstrap."],
  ["discovery-fallback", { type: "select", valid: ["exit", "proxy"] }, "exit", "What to do when discovery fails ('exit'; 'proxy' is no longer supported)."],
  ["discovery-proxy", STR, "", "HTTP proxy for the v2 discovery service."],
  ["discovery-srv", STR, "", "DNS domain whose SRV records list the bootstrap members."],
  ["discovery-srv-name", STR, "", "Suffix of the SRV service names queried for --discovery-srv."],
  ["discovery-endpoints", { type: "uniqueStrings" }, "", "v3 discovery: gRPC endpoints of the discovery cluster.", NO_YAML],
  ["discovery-token", STR, "", "v3 discovery: token naming the cluster being bootstrapped.", NO_YAML],
  ["discovery-dial-timeout", DUR, "2s", "v3 discovery: dial timeout.", NO_YAML],
  ["discovery-request-timeout", DUR, "5s", "v3 discovery: per-request timeout.", NO_YAML],
  ["discovery-keepalive-time", DUR, "2s", "v3 discovery: keepalive interval.", NO_YAML],
  ["discovery-keepalive-timeout", DUR, "6s", "v3 discovery: keepalive timeout.", NO_YAML],
  ["discovery-insecure-transport", BOOL, "true", "v3 discovery: connect without TLS.", NO_YAML],
  ["discovery-insecure-skip-tls-verify", BOOL, "false", "v3 discovery: do not verify the server certificate (testing only).", NO_YAML],
  ["discovery-cert", STR, "", "v3 discovery: client certificate file.", NO_YAML],
  ["discovery-key", STR, "", "v3 discovery: client key file.", NO_YAML],
  ["discovery-cacert", STR, "", "v3 discovery: CA bundle to verify the server.", NO_YAML],
  ["discovery-user", STR, "", "v3 discovery: user[:password].", NO_YAML],
  ["discovery-password", STR, "", "v3 discovery: password.", NO_YAML],
  ["strict-reconfig-check", BOOL, "true", "Refuse membership changes that would lose quorum."],
  ["pre-vote", BOOL, "true", "Run raft's pre-vote phase so a rejoining member cannot disrupt the leader."],
  ["max-learners", INT, "1", "Most learner members the cluster may have."],
  ["auto-compaction-retention", STR, "0", "History to keep when auto-compacting: a duration or hours (periodic) or a revision count (revision); 0 disables."],
  ["auto-compaction-mode", STR, "periodic", "How to read --auto-compaction-retention: periodic or revision."],
  ["v2-deprecation", { type: "selectMulti", valid: ["write-only", "write-only-drop-data", "gone"] }, "", "v2 store deprecation stage; etcd 3.6 always uses write-only.", { helpDefault: "write-only" }],
]);

const security = group("Security", [
  ["cert-file", STR, "", "TLS certificate served to clients.", NO_YAML],
  ["key-file", STR, "", "TLS key for --cert-file.", NO_YAML],
  ["client-cert-file", STR, "", "Certificate this member uses as a client (default: --cert-file).", NO_YAML],
  ["client-key-file", STR, "", "Key for --client-cert-file.", NO_YAML],
  ["client-cert-auth", BOOL, "false", "Require clients to present a certificate signed by --trusted-ca-file.", NO_YAML],
  ["client-crl-file", STR, "", "Revocation list checked for client certificates.", NO_YAML],
  ["client-cert-allowed-hostname", LIST, "", "Comma-separated SAN host names accepted in client certificates.", NO_YAML],
  ["trusted-ca-file", STR, "", "CA bundle that signs client certificates.", NO_YAML],
  ["auto-tls", BOOL, "false", "Serve clients with a generated self-signed certificate.", NO_YAML],
  ["peer-cert-file", STR, "", "TLS certificate served to peers.", NO_YAML],
  ["peer-key-file", STR, "", "TLS key for --peer-cert-file.", NO_YAML],
  ["peer-client-cert-file", STR, "", "Certificate used when connecting to peers (default: --peer-cert-file).", NO_YAML],
  ["peer-client-key-file", STR, "", "Key for --peer-client-cert-file.", NO_YAML],
  ["peer-client-cert-auth", BOOL, "false", "Require peers to present a certificate signed by --peer-trusted-ca-file.", NO_YAML],
  ["peer-trusted-ca-file", STR, "", "CA bundle that signs peer certificates.", NO_YAML],
  ["peer-auto-tls", BOOL, "false", "Talk to peers with a generated self-signed certificate when none is given.", NO_YAML],
  ["peer-crl-file", STR, "", "Revocation list checked for peer certificates.", NO_YAML],
  ["peer-cert-allowed-cn", LIST, "", "Comma-separated CNs accepted in peer certificates.", NO_YAML],
  ["peer-cert-allowed-hostname", LIST, "", "Comma-separated SAN host names accepted in peer certificates.", NO_YAML],
  ["peer-skip-client-san-verification", BOOL, "false", "Do not check the SAN of peer client certificates.", NO_YAML],
  ["self-signed-cert-validity", UINT, "1", "Validity in years of certificates made by --auto-tls / --peer-auto-tls."],
  ["cipher-suites", LIST, "", "Comma-separated TLS cipher suites for clients and peers (empty: library default)."],
  ["tls-min-version", STR, "TLS1.2", "Lowest TLS version accepted: TLS1.2 or TLS1.3."],
  ["tls-max-version", STR, "", "Highest TLS version accepted: TLS1.2 or TLS1.3 (empty: library default)."],
  ["cors", { type: "urls", exceptions: ["*"] }, "*", "Comma-separated origins allowed by CORS; * allows all.", { yaml: "cors" }],
  ["host-whitelist", { type: "uniqueStrings" }, "*", "Comma-separated Host headers accepted on insecure HTTP; * allows all.", { yaml: "uniqueStringsText" }],
]);

const auth = group("Auth", [
  [
    "auth-token",
    STR,
    "simple",
    "Tokens issued to authenticated users: 'simple' (random, kept by every member), or 'jwt,pub-key=<file>,priv-key=<file>,sign-method=<alg>,ttl=<duration>' (signed; alg RS256/384/512, PS256/384/512, ES256/384/512, HS256/384/512; ttl default 5m).",
  ],
  ["bcrypt-cost", UINT, "10", "bcrypt cost of stored password hashes, 4 to 31 (another value: 10, with a warning)."],
  ["auth-token-ttl", UINT, "300", "Seconds a simple token stays valid after its last use."],
]);

const monitoring = group("Profiling and monitoring", [
  ["enable-pprof", BOOL, "false", "Serve runtime profiles under <client-url>/debug/pprof/."],
  ["metrics", STR, "basic", "Metrics detail: basic, or extensive to add gRPC latency histograms."],
  ["listen-metrics-urls", URLS, "", "Extra URLs serving only /metrics and /health."],
]);

const logging = group("Logging", [
  ["logger", STR, "zap", "Logger implementation; only 'zap' (structured JSON) is supported."],
  ["log-outputs", { type: "uniqueStrings" }, "default", "Comma-separated log targets: default, stderr, stdout, systemd/journal or file paths."],
  ["log-level", STR, "info", "Lowest level logged: debug, info, warn, error, panic or fatal."],
  ["log-format", STR, "json", "Log encoding: json or console."],
  ["enable-log-rotation", BOOL, "false", "Rotate the (single) file named in --log-outputs."],
  ["log-rotation-config-json", STR, '{"maxsize": 100, "maxage": 0, "maxbackups": 0, "localtime": false, "compress": false}', "Rotation settings as JSON: maxsize (MB), maxage (days), maxbackups, localtime, compress."],
]);

const tracing = group("Distributed tracing", [
  ["enable-distributed-tracing", BOOL, "false", "Export OpenTelemetry traces."],
  ["distributed-tracing-address", STR, "localhost:4317", "OpenTelemetry collector address."],
  ["distributed-tracing-service-name", STR, "etcd", "Service name on exported spans; use the same on every member."],
  ["distributed-tracing-instance-id", STR, "", "Instance ID on exported spans; unique per member."],
  ["distributed-tracing-sampling-rate", INT, "0", "Spans sampled per million (0 to 1000000)."],
]);

const tuning = group("Tuning and feature gates", [
  ["corrupt-check-time", DUR, "0s", "Interval between cluster-wide corruption checks; 0 disables them."],
  ["compact-hash-check-time", DUR, "1m0s", "Interval at which the leader compares followers' compaction hashes."],
  ["compaction-batch-limit", INT, "1000", "Revisions deleted per compaction batch (0 also means 1000)."],
  ["compaction-sleep-interval", DUR, "10ms", "Pause between compaction batches (0 also means 10ms)."],
  ["watch-progress-notify-interval", DUR, "10m0s", "Interval of progress notifications on watches that asked for them (0 also means 10m)."],
  ["warning-apply-duration", DUR, "100ms", "Log a warning when applying one request takes longer."],
  ["warning-unary-request-duration", DUR, "300ms", "Log a warning when a unary request takes longer."],
  ["downgrade-check-time", DUR, "5s", "Interval between downgrade status checks."],
  ["memory-mlock", BOOL, "false", "Lock the process memory (notably the backend file) in RAM."],
  ["bootstrap-defrag-threshold-megabytes", UINT, "0", "Defragment at start when that frees at least this many MB; 0 never."],
  ["feature-gates", { type: "featureGates" }, "", "Comma-separated Name=true|false settings of server features (see below)."],
]);

const experimental = group("Experimental (deprecated names of the tuning flags)", [
  ["experimental-initial-corrupt-check", BOOL, "false", "Use --feature-gates=InitialCorruptCheck=true."],
  ["experimental-corrupt-check-time", DUR, "0s", "Use --corrupt-check-time."],
  ["experimental-compact-hash-check-enabled", BOOL, "false", "Use --feature-gates=CompactHashCheck=true."],
  ["experimental-compact-hash-check-time", DUR, "1m0s", "Use --compact-hash-check-time."],
  ["experimental-enable-lease-checkpoint", BOOL, "false", "Use --feature-gates=LeaseCheckpoint=true."],
  ["experimental-enable-lease-checkpoint-persist", BOOL, "false", "Use --feature-gates=LeaseCheckpointPersist=true."],
  ["experimental-compaction-batch-limit", INT, "1000", "Use --compaction-batch-limit."],
  ["experimental-compaction-sleep-interval", DUR, "10ms", "Use --compaction-sleep-interval."],
  ["experimental-watch-progress-notify-interval", DUR, "10m0s", "Use --watch-progress-notify-interval."],
  ["experimental-warning-apply-duration", DUR, "100ms", "Use --warning-apply-duration."],
  ["experimental-warning-unary-request-duration", DUR, "0s", "Use --warning-unary-request-duration."],
  ["experimental-downgrade-check-time", DUR, "5s", "Use --downgrade-check-time."],
  ["experimental-memory-mlock", BOOL, "false", "Use --memory-mlock."],
  ["experimental-txn-mode-write-with-shared-buffer", BOOL, "true", "Use --feature-gates=TxnModeWriteWithSharedBuffer=true."],
  ["experimental-stop-grpc-service-on-defrag", BOOL, "false", "Use --feature-gates=StopGRPCServiceOnDefrag=true."],
  ["experimental-bootstrap-defrag-threshold-megabytes", UINT, "0", "Use --bootstrap-defrag-threshold-megabytes."],
  ["experimental-max-learners", INT, "1", "Use --max-learners."],
  ["experimental-snapshot-catchup-entries", UINT64, "5000", "Use --snapshot-catchup-entries."],
  ["experimental-peer-skip-client-san-verification", BOOL, "false", "Use --peer-skip-client-san-verification."],
  ["experimental-enable-distributed-tracing", BOOL, "false", "Use --enable-distributed-tracing."],
  ["experimental-distributed-tracing-address", STR, "localhost:4317", "Use --distributed-tracing-address."],
  ["experimental-distributed-tracing-service-name", STR, "etcd", "Use --distributed-tracing-service-name."],
  ["experimental-distributed-tracing-instance-id", STR, "", "Use --distributed-tracing-instance-id."],
  ["experimental-distributed-tracing-sampling-rate", INT, "0", "Use --distributed-tracing-sampling-rate."],
  ["experimental-backend-bbolt-freelist-type", STR, "map", "Use --backend-bbolt-freelist-type."],
  ["experimental-enable-v2v3", STR, "", "Served v2 through v3 in etcd 3.4/3.5; no effect."],
]);

const unsafe = group("Unsafe", [
  ["force-new-cluster", BOOL, "false", "Restart as a one-member cluster, discarding the others (recovery only)."],
  ["unsafe-no-fsync", BOOL, "false", "Never fsync: fast, and loses data on a crash (testing only)."],
]);

const legacy = group("etcd 3.4 flags (accepted for compatibility, no effect)", [
  ["enable-v2", BOOL, "false", "Served the v2 API in etcd 3.4; v2 is gone."],
  ["proxy", { type: "select", valid: ["off", "readonly", "on"] }, "off", "v2 proxy mode (off, readonly, on); the v2 proxy is gone."],
  ["proxy-failure-wait", UINT, "5000", "v2 proxy: ms an endpoint stays marked failed."],
  ["proxy-refresh-interval", UINT, "30000", "v2 proxy: ms between endpoint refreshes."],
  ["proxy-dial-timeout", UINT, "1000", "v2 proxy: dial timeout in ms."],
  ["proxy-write-timeout", UINT, "5000", "v2 proxy: write timeout in ms."],
  ["proxy-read-timeout", UINT, "0", "v2 proxy: read timeout in ms."],
  ["log-output", { type: "uniqueStrings" }, "default", "Old name of --log-outputs."],
  ["debug", BOOL, "false", "Old switch for debug logging; use --log-level=debug."],
  ["log-package-levels", STR, "", "Per-package levels of the removed capnslog logger."],
]);

const meta = group(undefined, [
  ["config-file", STR, "", "Load every setting from this YAML file; other flags and ETCD_* variables are then ignored.", NO_YAML],
  ["version", BOOL, "false", "Print the version and exit.", NO_YAML],
]);

/** Flag names of long-removed etcd 2 options: accepted as booleans and ignored with a warning, as etcd does. */
export const IGNORED_FLAGS: readonly string[] = [
  "cluster-active-size",
  "cluster-remove-delay",
  "cluster-sync-interval",
  "config",
  "force",
  "max-result-buffer",
  "max-retry-attempts",
  "peer-heartbeat-interval",
  "peer-election-timeout",
  "retry-interval",
  "snapshot",
  "v",
  "vv",
  "test.coverprofile",
  "test.outputdir",
];

const ignored: FlagSpec[] = IGNORED_FLAGS.map((name) => ({
  name,
  kind: IGNORED,
  def: "",
  group: undefined,
  help: "",
  yaml: null,
}));

/** Every flag, in help order. */
export const FLAG_SPECS: readonly FlagSpec[] = [
  ...member,
  ...clustering,
  ...security,
  ...auth,
  ...monitoring,
  ...logging,
  ...tracing,
  ...tuning,
  ...experimental,
  ...unsafe,
  ...legacy,
  ...meta,
  ...ignored,
];

/** Lookup by flag name. */
export const FLAGS_BY_NAME: ReadonlyMap<string, FlagSpec> = new Map(FLAG_SPECS.map((f) => [f.name, f]));

/** Help groups in display order. */
export const HELP_GROUPS: readonly HelpGroup[] = [
  "Member",
  "Clustering",
  "Security",
  "Auth",
  "Profiling and monitoring",
  "Logging",
  "Distributed tracing",
  "Tuning and feature gates",
  "Experimental (deprecated names of the tuning flags)",
  "Unsafe",
  "etcd 3.4 flags (accepted for compatibility, no effect)",
];

/** The ETCD_* variable for a flag: `listen-client-urls` → `ETCD_LISTEN_CLIENT_URLS`. */
export function flagToEnv(name: string): string {
  return "ETCD_" + name.replaceAll("-", "_").toUpperCase();
}

/**
 * 3.6 flags renamed from `--experimental-*` (non-boolean ones): old name → new
 * name. Setting both is an error; setting the old one copies into the new.
 */
export const EXPERIMENTAL_RENAMES: ReadonlyMap<string, string> = new Map([
  ["experimental-compact-hash-check-time", "compact-hash-check-time"],
  ["experimental-corrupt-check-time", "corrupt-check-time"],
  ["experimental-compaction-batch-limit", "compaction-batch-limit"],
  ["experimental-watch-progress-notify-interval", "watch-progress-notify-interval"],
  ["experimental-warning-apply-duration", "warning-apply-duration"],
  ["experimental-bootstrap-defrag-threshold-megabytes", "bootstrap-defrag-threshold-megabytes"],
  ["experimental-memory-mlock", "memory-mlock"],
  ["experimental-snapshot-catchup-entries", "snapshot-catchup-entries"],
  ["experimental-compaction-sleep-interval", "compaction-sleep-interval"],
  ["experimental-downgrade-check-time", "downgrade-check-time"],
  ["experimental-peer-skip-client-san-verification", "peer-skip-client-san-verification"],
  ["experimental-enable-distributed-tracing", "enable-distributed-tracing"],
  ["experimental-distributed-tracing-address", "distributed-tracing-address"],
  ["experimental-distributed-tracing-service-name", "distributed-tracing-service-name"],
  ["experimental-distributed-tracing-instance-id", "distributed-tracing-instance-id"],
  ["experimental-distributed-tracing-sampling-rate", "distributed-tracing-sampling-rate"],
  ["experimental-max-learners", "max-learners"],
  ["experimental-backend-bbolt-freelist-type", "backend-bbolt-freelist-type"],
]);
