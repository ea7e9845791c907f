/**
 * The server's side of the peer transport: which peers to talk to (the
 * membership), raft messages in and out, and snapshots — a fresh one, with
 * the backend database, for every MsgSnap going out, and the database of an
 * incoming one held until raft hands the snapshot over for installing.
 * @module
 */
import { createReadStream, mkdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { MessageType, type ConfState, type Message, type Snapshot } from "../../gen/raftpb/raft.js";
import type { Clock } from "../../pkg/clock.js";
import type { Logger } from "../../pkg/logger.js";
import type { Random } from "../../pkg/random.js";
import { SnapshotStatus, type RawNode } from "../../raft/index.js";
import { META_KEYS, type SnapshotFiles } from "../../storage/backend/index.js";
import { decodeConfState } from "../membership/conf-state.js";
import type { Member } from "../membership/member.js";
import { formatId } from "../membership/ids.js";
import type { MembershipStore } from "../membership/membership-store.js";
import type { ServerMetrics } from "../metrics/metrics.js";
import type { PeerHashKV } from "./hashkv-endpoint.js";
import { DEFAULT_LIMITS, maxRaftMessageBytes, metricsSinkFrom, PeerTransport, type PeerTlsOptions, type RefusalKind, type SnapshotSource } from "./index.js";

export interface PeersDeps {
  memberId: bigint;
  clusterId: bigint;
  advertisePeerUrls: readonly string[];
  listenPeerUrls: readonly string[];
  snapDir: string;
  serverVersion: string;
  /** TLS on https peer URLs, both ways (ServerConfig.peerTls). */
  tls?: PeerTlsOptions;
  /**
   * --max-request-bytes: raises the bound on the raft messages peers may
   * send us ({@link maxRaftMessageBytes}) past its default, which covers
   * any member run with up to etcd's recommended ceiling of 10 MiB (peers
   * may run with other settings than ours, so it never goes lower).
   */
  maxRequestBytes?: number;
  raft: RawNode;
  /** Kick the Ready loop after stepping something into raft. */
  wake(): void;
  membership: MembershipStore;
  /** Copies of the backend for outgoing snapshots. */
  backend: Pick<SnapshotFiles, "copyTo" | "readFromCopy" | "removeCopy">;
  /** The term of the log entry at `index` (for a snapshot's metadata). */
  termAt(index: bigint): bigint;
  /** This member was removed from the cluster (a peer told us, or we applied it). */
  onRemoved(): void;
  clock: Clock;
  random: Random;
  /** This member's HashKV, served to peers on `GET /members/hashkv` (their corruption checks). */
  hashKV?(revision: bigint): PeerHashKV;
  logger: Logger;
  metrics?: ServerMetrics;
}

interface PreparedSnapshot {
  path: string;
  size: number;
}

export class ServerPeers {
  readonly transport: PeerTransport;
  readonly #deps: PeersDeps;
  /** Databases of outgoing snapshots, by recipient, until the transfer ends. */
  readonly #outgoing = new Map<bigint, PreparedSnapshot>();
  /** Received snapshot databases by snapshot index, until raft hands the snapshot over. */
  readonly #received = new Map<bigint, string>();
  #sequence = 0;

  constructor(deps: PeersDeps) {
    this.#deps = deps;
    mkdirSync(deps.snapDir, { recursive: true });
    this.transport = new PeerTransport(
      {
        memberId: deps.memberId,
        clusterId: deps.clusterId,
        peerUrls: deps.advertisePeerUrls,
        snapshotDir: deps.snapDir,
        serverVersion: deps.serverVersion,
        logger: deps.logger,
        clock: deps.clock,
        random: deps.random,
        ...(deps.tls !== undefined ? { tls: deps.tls } : {}),
        ...(deps.metrics !== undefined ? { metrics: metricsSinkFrom(deps.metrics) } : {}),
        limits: { maxFrameBytes: Math.max(DEFAULT_LIMITS.maxFrameBytes, maxRaftMessageBytes(deps.maxRequestBytes ?? 0)) },
      },
      {
        onMessage: (m) => this.#step(m),
        onUnreachable: (id) => {
          deps.raft.reportUnreachable(id);
          deps.wake();
        },
        onSnapshotStatus: (id, ok) => {
          deps.raft.reportSnapshot(id, ok ? SnapshotStatus.Finish : SnapshotStatus.Failure);
          deps.wake();
        },
        snapshotSource: (m) => this.#snapshotSource(m),
        onSnapshotReceived: async (m, dbPath) => {
          const index = m.snapshot?.metadata?.index ?? 0n;
          const previous = this.#received.get(index);
          if (previous !== undefined && previous !== dbPath) rmSync(previous, { force: true });
          this.#received.set(index, dbPath);
          this.#step(m);
        },
        isRemoved: (id) => deps.membership.isRemoved(id),
        onPeerRefused: (id, kind: RefusalKind, message) => {
          deps.logger.warn({ peer: formatId(id), kind, message }, "a peer refused this member");
          if (kind === "member-removed") deps.onRemoved();
        },
        members: () => deps.membership.members(),
        clusterVersion: () => deps.membership.clusterVersion,
        ...(deps.hashKV !== undefined ? { hashKV: deps.hashKV } : {}),
      },
    );
  }

  async start(): Promise<void> {
    const bound = await this.transport.start(this.#deps.listenPeerUrls);
    for (const b of bound) this.#deps.logger.info({ address: `${b.host}:${b.port}` }, "serving peer traffic");
  }

  /**
   * Adds or updates a peer for every member in `members` (all but this one)
   * and drops peers of removed members. Peers are never dropped just for
   * being absent: while a new member applies its bootstrap entries the
   * membership fills up one member at a time.
   */
  sync(members: readonly Member[] = this.#deps.membership.members()): void {
    const wanted = new Map(members.filter((m) => m.id !== this.#deps.memberId).map((m) => [m.id, m.peerUrls] as const));
    for (const status of this.transport.peerStatuses()) {
      if (this.#deps.membership.isRemoved(status.id)) this.transport.removePeer(status.id);
    }
    for (const [id, urls] of wanted) {
      if (this.#deps.membership.isRemoved(id)) continue;
      const current = this.transport.peerStatus(id);
      if (current === undefined) this.transport.addPeer(id, urls);
      else if (current.urls.join(",") !== urls.join(",")) this.transport.updatePeer(id, urls);
    }
  }

  /** Sends what raft produced. A MsgSnap first gets a fresh snapshot and its database (asynchronously). */
  send(messages: readonly Message[]): void {
    let plain: Message[] | undefined;
    for (const m of messages) {
      if (m.type === MessageType.MsgSnap) {
        void this.#sendSnapshot(m);
        continue;
      }
      (plain ??= []).push(m);
    }
    if (plain !== undefined) this.transport.send(plain);
  }

  /** The database received with the snapshot raft now installs; undefined if none arrived. */
  takeReceived(index: bigint): string | undefined {
    const path = this.#received.get(index);
    this.#received.delete(index);
    for (const [i, p] of this.#received) {
      if (i <= index) {
        rmSync(p, { force: true });
        this.#received.delete(i);
      }
    }
    return path;
  }

  async stop(): Promise<void> {
    await this.transport.stop();
    for (const p of this.#outgoing.values()) this.#deps.backend.removeCopy(p.path);
    for (const p of this.#received.values()) rmSync(p, { force: true });
    this.#outgoing.clear();
    this.#received.clear();
  }

  #step(m: Message): void {
    try {
      this.#deps.raft.step(m);
    } catch (err) {
      // A response from a member raft no longer tracks, or a local type: drop it.
      this.#deps.logger.debug({ error: String(err), from: formatId(m.from) }, "dropped a peer message");
      return;
    }
    this.#deps.wake();
  }

  /**
   * Replaces the snapshot in `m` with one describing a database copy made
   * now, its metadata read from the copy itself (consistent index and
   * membership), so the follower gets a snapshot and data that agree
   * exactly; entries after it reach the follower as usual.
   */
  async #sendSnapshot(m: Message): Promise<void> {
    const { backend, logger } = this.#deps;
    const path = join(this.#deps.snapDir, `outgoing-${formatId(m.to)}-${++this.#sequence}.snap.db`);
    try {
      await backend.copyTo(path);
      const { index, confState } = this.#readSnapshotMeta(path);
      const snapshot: Snapshot = { data: Buffer.alloc(0), metadata: { index, term: this.#deps.termAt(index), confState } };
      const previous = this.#outgoing.get(m.to);
      if (previous !== undefined) backend.removeCopy(previous.path);
      this.#outgoing.set(m.to, { path, size: statSync(path).size });
      logger.info({ to: formatId(m.to), index: String(index) }, "sending a snapshot");
      this.transport.send([{ ...m, snapshot }]);
    } catch (err) {
      backend.removeCopy(path);
      logger.warn({ to: formatId(m.to), error: String(err) }, "failed to prepare a snapshot");
      this.#deps.raft.reportSnapshot(m.to, SnapshotStatus.Failure);
      this.#deps.wake();
    }
  }

  async #snapshotSource(m: Message): Promise<SnapshotSource> {
    const prepared = this.#outgoing.get(m.to);
    if (prepared === undefined) throw new Error(`no snapshot prepared for ${formatId(m.to)}`);
    return {
      size: prepared.size,
      stream: createReadStream(prepared.path),
      close: () => {
        if (this.#outgoing.get(m.to) === prepared) this.#outgoing.delete(m.to);
        this.#deps.backend.removeCopy(prepared.path);
      },
    };
  }

  /** The consistent index and the membership stored in a database copy. */
  #readSnapshotMeta(path: string): { index: bigint; confState: ConfState } {
    const [ci, cs] = this.#deps.backend.readFromCopy(path, "meta", [META_KEYS.consistentIndex, META_KEYS.confState]);
    if (ci === undefined || cs === undefined) throw new Error("snapshot database without consistent index or membership");
    return { index: ci.readBigUInt64BE(0), confState: decodeConfState(cs) };
  }
}
