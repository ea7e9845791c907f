/**
 * What the server needs to know, independent of how it was configured
 * (flags, environment, YAML): the composition root maps the CLI's config
 * onto this. Durations are milliseconds, sizes bytes.
 * @module
 */
import { DEFAULT_BCRYPT_COST, DEFAULT_SIMPLE_TOKEN_TTL_SECONDS, type AuthTokenSpec } from "../auth/index.js";
import type { TlsClientSettings, TlsServerSettings } from "../tls/index.js";

export interface InitialMember {
  readonly name: string;
  /** Peer URLs as etcd prints them (`http://127.0.0.1:2380`). */
  readonly peerUrls: readonly string[];
}

/** Lease checkpointing as the operator chose it (flags / feature gates). */
export interface LeaseSettings {
  /** --experimental-enable-lease-checkpoint / --feature-gates=LeaseCheckpoint=true */
  readonly checkpoint: boolean;
  /** --experimental-enable-lease-checkpoint-persist / LeaseCheckpointPersist=true */
  readonly checkpointPersist: boolean;
  /** Tests only: etcd's 5-minute checkpoint interval. */
  readonly checkpointIntervalMs?: number;
}

/** TLS between members (https peer URLs); see src/tls. */
export interface PeerTlsSettings {
  /** The peer listener's side of the handshake: --peer-cert-file, --peer-client-cert-auth, allowed CN/hostnames. */
  readonly server: TlsServerSettings;
  /** What this member presents and trusts when it dials a peer: --peer-client-cert-file (or --peer-cert-file), --peer-trusted-ca-file. */
  readonly client: TlsClientSettings;
}

export interface ServerConfig {
  readonly name: string;
  /** Undefined: peers are served and dialed over plain HTTP only (an https peer URL is then refused at start). */
  readonly peerTls?: PeerTlsSettings;
  readonly dataDir: string;
  /** Where the WAL lives; `<dataDir>/member/wal` by default. */
  readonly walDir: string;
  readonly initialCluster: readonly InitialMember[];
  readonly initialClusterToken: string;
  readonly initialClusterState: "new" | "existing";
  readonly advertiseClientUrls: readonly string[];
  /** Where peers connect (raft messages, snapshots, /members). */
  readonly listenPeerUrls: readonly string[];
  readonly initialAdvertisePeerUrls: readonly string[];
  readonly heartbeatIntervalMs: number;
  readonly electionTimeoutMs: number;
  /** Run raft's pre-vote round before campaigning (etcd 3.5+ default: true). */
  readonly preVote: boolean;
  /** Restart as the only member of the cluster (disaster recovery). */
  readonly forceNewCluster: boolean;
  /** Refuse membership changes that would leave fewer started members than a quorum. */
  readonly strictReconfigCheck: boolean;
  /** Learners allowed at once (etcd 3.6 --max-learners, default 1). */
  readonly maxLearners: number;
  readonly snapshotCount: number;
  readonly maxSnapshots: number;
  readonly maxWals: number;
  /** 0 → 2 GiB, negative → no quota, as etcd. */
  readonly quotaBackendBytes: number;
  /** 0 → 100 ms. */
  readonly backendBatchIntervalMs: number;
  /** 0 → 10000. */
  readonly backendBatchLimit: number;
  readonly maxRequestBytes: number;
  readonly maxTxnOps: number;
  /** 0 → 1000. */
  readonly compactionBatchLimit: number;
  /** Lease checkpointing (flags / feature gates). */
  readonly lease: LeaseSettings;
  /** --experimental-watch-progress-notify-interval; 0 → 10 minutes. */
  readonly watchProgressNotifyIntervalMs: number;
  /** --auth-token, --auth-token-ttl, --bcrypt-cost; absent → etcd's defaults (simple tokens, 300 s, cost 10). */
  readonly auth?: AuthSettings;
  /** --auto-compaction-mode/--auto-compaction-retention; absent or retention 0 → off. */
  readonly autoCompaction?: AutoCompactionSettings;
  /** The corruption checks (feature gates InitialCorruptCheck, CompactHashCheck; --corrupt-check-time, --compact-hash-check-time); absent → all off. */
  readonly corruptionChecks?: CorruptionCheckSettings;
  /** --bootstrap-defrag-threshold-megabytes in bytes; 0 or absent → never defragment at start. */
  readonly bootstrapDefragThresholdBytes?: number;
}

/** etcd's auto compaction: keep a time window (periodic) or a revision count (revision). */
export interface AutoCompactionSettings {
  readonly mode: "periodic" | "revision";
  /** ms of history for periodic, a number of revisions for revision; 0 disables. */
  readonly retention: number;
}

export interface CorruptionCheckSettings {
  /** Compare this member's hash with its peers' before serving (InitialCorruptCheck). */
  readonly initialCheck: boolean;
  /** Leader's cluster-wide hash comparison interval (--corrupt-check-time); 0 → never. */
  readonly periodicCheckIntervalMs: number;
  /** Compare the hashes taken at compactions (CompactHashCheck). */
  readonly compactHashCheck: boolean;
  /** --compact-hash-check-time. */
  readonly compactHashCheckIntervalMs: number;
}

/** How the member issues and checks credentials. */
export interface AuthSettings {
  /** --auth-token: simple tokens, or JWTs with their method, keys and ttl. */
  readonly token: AuthTokenSpec;
  /** --auth-token-ttl, for simple tokens (ms). */
  readonly simpleTokenTtlMs: number;
  /** --bcrypt-cost (4–31). */
  readonly bcryptCost: number;
}

/** etcd's defaults: simple tokens living 300 s after their last use, bcrypt cost 10. */
export const DEFAULT_AUTH_SETTINGS: AuthSettings = Object.freeze({
  token: Object.freeze({ kind: "simple" as const }),
  simpleTokenTtlMs: DEFAULT_SIMPLE_TOKEN_TTL_SECONDS * 1000,
  bcryptCost: DEFAULT_BCRYPT_COST,
});

export const DEFAULT_QUOTA_BYTES = 2 * 1024 * 1024 * 1024;
export const DEFAULT_BATCH_INTERVAL_MS = 100;
export const DEFAULT_BATCH_LIMIT = 10_000;
export const DEFAULT_COMPACTION_BATCH_LIMIT = 1000;

/**
 * Whole heartbeats in the election timeout: etcd's `ElectionTicks =
 * ElectionMs / TickMs` by integer division. The server ticks raft once per
 * heartbeat, so raft's election tick and the lessor's numbers (minimum TTL,
 * a new leader's extension) both come from here and never disagree.
 */
export function electionTicks(heartbeatIntervalMs: number, electionTimeoutMs: number): number {
  return Math.floor(electionTimeoutMs / heartbeatIntervalMs);
}

/** Heartbeat ticks that cover `ms`, rounded up (a timeout counted in ticks never fires early). */
export function ticksCovering(ms: number, heartbeatIntervalMs: number): number {
  return Math.ceil(ms / heartbeatIntervalMs);
}

/** etcd's request timeout: 5 s plus twice the election timeout. */
export function requestTimeoutMs(config: Pick<ServerConfig, "electionTimeoutMs">): number {
  return 5000 + 2 * config.electionTimeoutMs;
}

/** The backend quota in bytes as configured: 0 means etcd's default, negative no quota. */
export function quotaBytes(config: Pick<ServerConfig, "quotaBackendBytes">): number {
  return config.quotaBackendBytes === 0 ? DEFAULT_QUOTA_BYTES : config.quotaBackendBytes;
}
