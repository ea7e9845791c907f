/**
 * The typed result of parsing the `etcd` command line, environment and
 * config file. Every etcd 3.4 server flag and the 3.5/3.6 additions has a
 * field here; names follow the flag (camelCase) with the unit last
 * (`heartbeatIntervalMs`). Durations are milliseconds (fractions allowed),
 * sizes are bytes, counts are plain numbers.
 *
 * Where etcd stores 0 to mean "use the built-in default at start-up" (batch
 * interval and limit, quota, compaction batch limit, progress-notify interval)
 * we keep the 0: the component that owns the behaviour owns the default, as in
 * etcd. Each such field says so.
 * @module
 */
import type { EtcdUrl } from "../../pkg/go-url.js";

export type ClusterState = "new" | "existing";
export type LogLevel = "debug" | "info" | "warn" | "error" | "dpanic" | "panic" | "fatal";
export type LogFormat = "json" | "console";
export type AutoCompactionMode = "periodic" | "revision";
export type MetricsLevel = "basic" | "extensive";
export type FreelistType = "map" | "array";
export type TlsVersion = "TLS1.2" | "TLS1.3";
export type DiscoveryFallback = "exit" | "proxy";
export type V2ProxyMode = "off" | "readonly" | "on";
export type V2Deprecation = "write-only" | "write-only-drop-data" | "gone";

/** Server feature gates of etcd 3.6 (`--feature-gates=Name=true,...`). */
export type ServerFeature =
  | "StopGRPCServiceOnDefrag"
  | "TxnModeWriteWithSharedBuffer"
  | "InitialCorruptCheck"
  | "CompactHashCheck"
  | "LeaseCheckpoint"
  | "LeaseCheckpointPersist"
  | "SetMemberLocalAddr";

export type FeatureGates = Readonly<Record<ServerFeature, boolean>>;

/** One member of `--initial-cluster`, URLs sorted as etcd sorts them. */
export interface InitialClusterMember {
  readonly name: string;
  readonly peerUrls: readonly EtcdUrl[];
}

/** TLS settings of one endpoint family (client or peer). */
export interface TlsConfig {
  readonly certFile: string;
  readonly keyFile: string;
  /** Certificate this member presents when it acts as a client (falls back to certFile). */
  readonly clientCertFile: string;
  readonly clientKeyFile: string;
  readonly clientCertAuth: boolean;
  readonly trustedCaFile: string;
  readonly crlFile: string;
  /** Accepted CNs of client certificates (peer: `--peer-cert-allowed-cn`). */
  readonly allowedCns: readonly string[];
  /** Accepted SAN host names of client certificates. */
  readonly allowedHostnames: readonly string[];
  /** Generate a self-signed certificate when no cert/key is given. */
  readonly autoTls: boolean;
  readonly skipClientSanVerify: boolean;
}

/** Settings of the etcd 3.4 v2 proxy (removed in 3.6; accepted so old command lines parse). */
export interface V2ProxyConfig {
  readonly mode: V2ProxyMode;
  readonly failureWaitMs: number;
  readonly refreshIntervalMs: number;
  readonly dialTimeoutMs: number;
  readonly writeTimeoutMs: number;
  readonly readTimeoutMs: number;
}

export interface EtcdConfig {
  // ---- member
  readonly name: string;
  /** Resolved: `${name}.etcd` when not given. */
  readonly dataDir: string;
  /** Empty means `<dataDir>/member/wal`. */
  readonly walDir: string;
  /** Committed entries between snapshots (etcd 3.6 default 10000; 0 is replaced by the default, as etcd does). */
  readonly snapshotCount: number;
  readonly snapshotCatchupEntries: number;
  readonly heartbeatIntervalMs: number;
  readonly electionTimeoutMs: number;
  readonly initialElectionTickAdvance: boolean;
  readonly listenPeerUrls: readonly EtcdUrl[];
  readonly listenClientUrls: readonly EtcdUrl[];
  readonly listenClientHttpUrls: readonly EtcdUrl[];
  readonly maxSnapshots: number;
  readonly maxWals: number;
  /** 0 means the backend default (2 GiB). */
  readonly quotaBackendBytes: number;
  readonly backendBboltFreelistType: FreelistType;
  /** 0 means the backend default (100 ms). */
  readonly backendBatchIntervalMs: number;
  /** 0 means the backend default (10000). */
  readonly backendBatchLimit: number;
  readonly maxTxnOps: number;
  readonly maxRequestBytes: number;
  /** As given; the gRPC server serves the default 4294967295 (and 0, and 2^31 or more) as 1000. */
  readonly maxConcurrentStreams: number;
  /** Ours, not etcd's: open client connections allowed across all client URLs; 0 means no limit. */
  readonly maxClientConnections: number;
  readonly grpcKeepaliveMinTimeMs: number;
  readonly grpcKeepaliveIntervalMs: number;
  readonly grpcKeepaliveTimeoutMs: number;
  readonly socketReusePort: boolean;
  readonly socketReuseAddress: boolean;
  /** Raft transport read/write timeouts (raised to 5 s if set lower, as etcd does). */
  readonly raftReadTimeoutMs: number;
  readonly raftWriteTimeoutMs: number;
  readonly enableGrpcGateway: boolean;

  // ---- clustering
  readonly initialAdvertisePeerUrls: readonly EtcdUrl[];
  readonly advertiseClientUrls: readonly EtcdUrl[];
  /** Parsed `--initial-cluster`; empty when discovery is used. */
  readonly initialCluster: readonly InitialClusterMember[];
  /** `--initial-cluster` text after etcd's defaulting (`<name>=<advertise-peer-urls>`). */
  readonly initialClusterText: string;
  readonly initialClusterToken: string;
  readonly initialClusterState: ClusterState;
  readonly discovery: string;
  readonly discoveryFallback: DiscoveryFallback;
  readonly discoveryProxy: string;
  readonly discoverySrv: string;
  readonly discoverySrvName: string;
  readonly discoveryEndpoints: readonly string[];
  readonly discoveryToken: string;
  readonly discoveryDialTimeoutMs: number;
  readonly discoveryRequestTimeoutMs: number;
  readonly discoveryKeepaliveTimeMs: number;
  readonly discoveryKeepaliveTimeoutMs: number;
  readonly discoveryInsecureTransport: boolean;
  readonly discoveryInsecureSkipTlsVerify: boolean;
  readonly discoveryCert: string;
  readonly discoveryKey: string;
  readonly discoveryCacert: string;
  readonly discoveryUser: string;
  readonly discoveryPassword: string;
  readonly strictReconfigCheck: boolean;
  readonly preVote: boolean;
  readonly maxLearners: number;
  readonly autoCompactionMode: AutoCompactionMode;
  /** The retention text as given ("0", "1h", "5000"). */
  readonly autoCompactionRetention: string;
  /** Retention interpreted as etcd does: ms for periodic mode (bare numbers are hours), a revision count for revision mode. 0 disables. */
  readonly autoCompactionRetentionValue: number;
  /** Always the enforced default ("write-only"); etcd 3.6 ignores user input here. */
  readonly v2Deprecation: V2Deprecation;

  // ---- security
  readonly clientTls: TlsConfig;
  readonly peerTls: TlsConfig;
  readonly cipherSuites: readonly string[];
  readonly tlsMinVersion: TlsVersion;
  /** Undefined: let the TLS library decide. */
  readonly tlsMaxVersion: TlsVersion | undefined;
  readonly selfSignedCertValidityYears: number;
  /** CORS origins ("*" allows all). */
  readonly cors: readonly string[];
  /** Accepted Host headers for insecure HTTP ("*" allows all). */
  readonly hostWhitelist: readonly string[];

  // ---- auth
  /**
   * `--auth-token` as given (`simple`, `jwt,pub-key=…,priv-key=…,sign-method=…,ttl=…`).
   * Its meaning has one owner, src/auth (`parseAuthTokenOption`, the JWT
   * key files), which src/main applies: a bad value stops the member with
   * etcd's lines, as etcd's server start does.
   */
  readonly authToken: string;
  readonly bcryptCost: number;
  readonly authTokenTtlSeconds: number;

  // ---- monitoring and tracing
  readonly enablePprof: boolean;
  readonly metrics: MetricsLevel;
  readonly listenMetricsUrls: readonly EtcdUrl[];
  readonly enableDistributedTracing: boolean;
  readonly distributedTracingAddress: string;
  readonly distributedTracingServiceName: string;
  readonly distributedTracingInstanceId: string;
  readonly distributedTracingSamplingRatePerMillion: number;

  // ---- logging
  readonly logger: "zap";
  readonly logLevel: LogLevel;
  readonly logFormat: LogFormat;
  /** "default" (stderr), "stderr", "stdout", "systemd/journal" or file paths; sorted, unique. */
  readonly logOutputs: readonly string[];
  readonly enableLogRotation: boolean;
  readonly logRotationConfigJson: string;

  // ---- tuning (the 3.6 names of the former experimental flags)
  /** 0 disables the periodic corruption check. */
  readonly corruptCheckTimeMs: number;
  readonly compactHashCheckTimeMs: number;
  /** 0 means the mvcc default (1000). */
  readonly compactionBatchLimit: number;
  /** 0 means the mvcc default (10 ms). */
  readonly compactionSleepIntervalMs: number;
  /** 0 means the watch default (10 minutes). */
  readonly watchProgressNotifyIntervalMs: number;
  readonly warningApplyDurationMs: number;
  readonly warningUnaryRequestDurationMs: number;
  readonly downgradeCheckTimeMs: number;
  readonly memoryMlock: boolean;
  readonly bootstrapDefragThresholdMegabytes: number;
  readonly featureGates: FeatureGates;

  // ---- unsafe
  readonly forceNewCluster: boolean;
  readonly unsafeNoFsync: boolean;

  // ---- etcd 3.4 settings kept so old command lines keep parsing (no effect)
  readonly enableV2: boolean;
  readonly experimentalEnableV2v3: string;
  readonly v2Proxy: V2ProxyConfig;
  readonly debug: boolean;
  readonly logPackageLevels: string;

  // ---- provenance
  /** Path of the YAML file the settings came from, or "" when flags and environment were used. */
  readonly configFile: string;
  /** Flags (or config-file keys) given explicitly, by command line, environment or file: etcd's FlagsExplicitlySet. */
  readonly explicitlySet: ReadonlySet<string>;
}
