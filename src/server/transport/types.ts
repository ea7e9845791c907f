/**
 * The contract between the peer transport and the server that owns it:
 * the callbacks the server provides, the knobs, and the snapshot hand-over
 * types. See README.md for the full story.
 * @module
 */
import type { Readable } from "node:stream";
import type { Message } from "../../gen/raftpb/raft.js";
import type { Clock } from "../../pkg/clock.js";
import type { Logger } from "../../pkg/logger.js";
import type { Random } from "../../pkg/random.js";
import type { TlsClientSettings, TlsServerSettings } from "../../tls/index.js";
import type { Member } from "../membership/member.js";
import type { PeerHashKV } from "./hashkv-endpoint.js";
import type { RefusalKind } from "./identity.js";
import type { TransportMetricsSink } from "./metrics-sink.js";

/** The backend bytes that follow an outgoing MsgSnap. */
export interface SnapshotSource {
  /** Exact number of bytes `stream` yields. */
  size: number;
  stream: Readable;
  /** Called once the transfer ended, whatever the outcome (release a temp file, a read txn …). */
  close?(): void;
}

/** What the transport calls on the server. All but the snapshot hooks must be quick and synchronous. */
export interface TransportHandlers {
  /** A raft message from a peer: step it into raft. */
  onMessage(m: Message): void;
  /** Peer `id` could not be reached (a message to it was dropped): raft's reportUnreachable. */
  onUnreachable(id: bigint): void;
  /** The outcome of a snapshot sent to `id`: raft's reportSnapshot(Finish | Failure). */
  onSnapshotStatus(id: bigint, ok: boolean): void;
  /**
   * The bytes for an outgoing MsgSnap (the server replaces the message's
   * snapshot with a fresh one before calling send, see src/raft/README.md).
   */
  snapshotSource(m: Message): Promise<SnapshotSource>;
  /**
   * A snapshot arrived: `m` is the MsgSnap, `dbPath` a fsynced file in the
   * snapshot directory holding `size` backend bytes (sha-256 verified). The
   * server takes the file (moves it into place), then steps `m`. Resolve once
   * done: the sender is told success; reject and it is told failure (the
   * transport deletes the file if it is still there).
   */
  onSnapshotReceived(m: Message, dbPath: string, size: number): Promise<void>;
  /** True for a member removed from the cluster: its streams and snapshots are refused. */
  isRemoved(id: bigint): boolean;
  /**
   * A peer refused us: another cluster, or we were removed. The transport
   * logs it and keeps retrying with back-off; the server decides whether
   * to stop (etcd stops a member that learns it was removed).
   */
  onPeerRefused?(id: bigint, kind: RefusalKind, message: string): void;
  /** Members for `GET /members`. */
  members?(): readonly Member[];
  /** Cluster version for `GET /version` ("not_decided" when undefined). */
  clusterVersion?(): string | undefined;
  /** HashKV for `GET /members/hashkv` (peers' corruption checks); throws EtcdError Compacted / FutureRev. Absent → 404. */
  hashKV?(revision: bigint): PeerHashKV;
}

export interface TransportOptions {
  memberId: bigint;
  clusterId: bigint;
  /** This member's advertised peer URLs (sent to peers in a header). */
  peerUrls: readonly string[];
  /** Where incoming snapshot bodies are written (the server's snap dir: same file system as their destination). */
  snapshotDir: string;
  serverVersion: string;
  logger?: Logger;
  clock?: Clock;
  random?: Random;
  metrics?: TransportMetricsSink;
  /** TLS for https peer URLs; without it an https listen URL is refused at start. */
  tls?: PeerTlsOptions;
  limits?: Partial<TransportLimits>;
}

/** TLS between members: both sides of it, as src/tls describes them (--peer-* flags). */
export interface PeerTlsOptions {
  /** The listener's side of the handshake (certificate, client-certificate auth, allowed CN and hostnames, the SAN check). */
  readonly server: TlsServerSettings;
  /** What this member presents and trusts when it dials a peer. */
  readonly client: TlsClientSettings;
}

export interface TransportLimits {
  /** Messages waiting per peer before new ones are dropped (etcd: 4096). */
  queueMessages: number;
  /** Encoded bytes waiting per peer before new ones are dropped. */
  queueBytes: number;
  /** Most bytes put into one stream write. */
  batchBytes: number;
  /**
   * Largest frame (one encoded raft message) a receiver accepts; a longer
   * one is refused from its header, before a byte of it is buffered. Give
   * it {@link maxRaftMessageBytes} of the server's --max-request-bytes.
   */
  maxFrameBytes: number;
  /** A frame whose first bytes arrived must complete within this long (or the stream is cut). */
  frameTimeoutMs: number;
  /**
   * A connection to the peer port that carries no member's stream or
   * snapshot (or sends nothing at all) is closed after this long without traffic.
   */
  idleConnectionTimeoutMs: number;
  /** Connections carrying no member's stream or snapshot, at most; past it the oldest is closed. */
  maxAnonymousConnections: number;
  /** Largest snapshot (announced backend bytes) a receiver accepts. */
  maxSnapshotBytes: number;
  /** How long a dial plus stream handshake may take. */
  dialTimeoutMs: number;
  /** Reconnect back-off. */
  backoffMinMs: number;
  backoffMaxMs: number;
  /** Probe period (round-trip metric and liveness) and the time after which a silent connection is dropped. */
  probeIntervalMs: number;
  probeTimeoutMs: number;
  /** A snapshot transfer that makes no progress for this long fails. */
  snapshotStallTimeoutMs: number;
  /** HTTP/2 stream and connection windows (bytes in flight per stream / per connection). */
  streamWindowBytes: number;
  connectionWindowBytes: number;
}

/** raft's byte budget per message in the server (src/server/raftnode's maxSizePerMsg). */
const RAFT_MAX_SIZE_PER_MSG = 1024 * 1024;
/** Everything in a message beyond its entries' data (entry and message fields, a snapshot's metadata): generous. */
const MESSAGE_ENVELOPE_BYTES = 1024 * 1024;
/** etcd's recommended ceiling for --max-request-bytes (larger values only warn): the default bound covers every such setting. */
const ASSUMED_MAX_REQUEST_BYTES = 10 * 1024 * 1024;

/**
 * The largest raft message a member of a server run with this
 * --max-request-bytes sends: a MsgApp carries entries up to maxSizePerMsg
 * plus at most the one entry that crosses it (raft always sends at least
 * one), a forwarded MsgProp one entry, and an entry is one request of at
 * most --max-request-bytes. etcd caps its stream frames at 512 MB whatever
 * the setting; the derived bound is as safe for real traffic and keeps what
 * a forged length can make us buffer small.
 */
export function maxRaftMessageBytes(maxRequestBytes: number): number {
  return RAFT_MAX_SIZE_PER_MSG + maxRequestBytes + MESSAGE_ENVELOPE_BYTES;
}

export const DEFAULT_LIMITS: TransportLimits = {
  queueMessages: 4096,
  queueBytes: 64 * 1024 * 1024,
  batchBytes: 1024 * 1024,
  maxFrameBytes: maxRaftMessageBytes(ASSUMED_MAX_REQUEST_BYTES),
  frameTimeoutMs: 30_000,
  idleConnectionTimeoutMs: 30_000,
  maxAnonymousConnections: 128,
  // Twice etcd's largest recommended --quota-backend-bytes (8 GiB): a database
  // can outgrow its quota a little, never by this much.
  maxSnapshotBytes: 16 * 1024 * 1024 * 1024,
  dialTimeoutMs: 1_000,
  backoffMinMs: 50,
  backoffMaxMs: 2_000,
  probeIntervalMs: 1_000,
  probeTimeoutMs: 5_000,
  snapshotStallTimeoutMs: 30_000,
  streamWindowBytes: 1024 * 1024,
  connectionWindowBytes: 8 * 1024 * 1024,
};

/** A peer's link state as the server may inspect it. */
export interface PeerStatus {
  id: bigint;
  urls: readonly string[];
  /** True while the outgoing message stream is established. */
  active: boolean;
  /** Clock time (ms) the stream became active; undefined while inactive. */
  activeSinceMs: number | undefined;
  queuedMessages: number;
  queuedBytes: number;
  sentMessages: number;
  droppedMessages: number;
  /** The last probe round trip in ms, if any. */
  lastRoundTripMs: number | undefined;
}
