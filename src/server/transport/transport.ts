/**
 * PeerTransport: raft messages between members over HTTP/2 on the peer URLs.
 * One outgoing message stream per peer (see peer-link.ts), one incoming
 * stream per peer (stream-receiver.ts), snapshots as separate requests
 * (snapshot-sender.ts / snapshot-receiver.ts), and the small peer endpoints
 * (`/members`, `/version`, `/raft/probing`). The server owns the transport
 * and feeds it through {@link TransportHandlers}; see README.md.
 * @module
 */
import type * as http from "node:http";
import * as http2 from "node:http2";
import type { Readable } from "node:stream";
import { type Message, MessageType } from "../../gen/raftpb/raft.js";
import { type Clock, SystemClock } from "../../pkg/clock.js";
import { type Logger, nullLogger } from "../../pkg/logger.js";
import { type Random, SeededRandom } from "../../pkg/random.js";
import type { DialOptions } from "./dial.js";
import { encodeMessageBody } from "./frame-codec.js";
import { answerHashKV, HashKVBudget, HASHKV_PATH, MAX_HASHKV_BODY_BYTES, readBoundedBody, type SimpleAnswer } from "./hashkv-endpoint.js";
import { HEADER_CLUSTER_ID, idToHex, outgoingHeaders, type LocalIdentity } from "./identity.js";
import { encodeMembersJson } from "./members-json.js";
import { nullMetricsSink, type TransportMetricsSink } from "./metrics-sink.js";
import { PeerLink, type PeerLinkContext } from "./peer-link.js";
import { PeerListener, type BoundAddress } from "./peer-listener.js";
import { checkPeerUrlSchemes, warnPlainPeerUrls } from "./peer-url-schemes.js";
import { RateLimitedLog } from "./rate-limited-log.js";
import { receiveSnapshot } from "./snapshot-receiver.js";
import { SnapshotSendError, sendSnapshot } from "./snapshot-sender.js";
import { acceptMessageStream, answerAndClose, type ReceiverContext } from "./stream-receiver.js";
import { DEFAULT_LIMITS, type PeerStatus, type TransportHandlers, type TransportLimits, type TransportOptions } from "./types.js";

const MAX_SESSION_MEMORY_MB = 64;

export class PeerTransport {
  readonly #options: TransportOptions;
  readonly #handlers: TransportHandlers;
  readonly #limits: TransportLimits;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #hashKVBudget: HashKVBudget;
  readonly #random: Random;
  readonly #metrics: TransportMetricsSink;
  readonly #dialOptions: DialOptions;
  readonly #linkContext: PeerLinkContext;
  readonly #listener: PeerListener;
  readonly #remoteWarnings: RateLimitedLog;
  readonly #peers = new Map<bigint, PeerLink>();
  readonly #incoming = new Map<bigint, Set<http2.ServerHttp2Stream>>();
  readonly #snapshotsOut = new Map<bigint, AbortController>();
  readonly #snapshotsIn = new Set<bigint>();
  readonly #stopController = new AbortController();
  /** Peers to report unreachable at the end of this turn (coalesced, never re-entrant). */
  readonly #unreachable = new Set<bigint>();
  #reportScheduled = false;
  #clusterId: bigint;
  #started = false;
  #stopped = false;

  constructor(options: TransportOptions, handlers: TransportHandlers) {
    this.#options = options;
    this.#handlers = handlers;
    this.#limits = { ...DEFAULT_LIMITS, ...(options.limits ?? {}) };
    this.#clusterId = options.clusterId;
    this.#log = (options.logger ?? nullLogger).child({ "local-member-id": idToHex(options.memberId) });
    this.#clock = options.clock ?? new SystemClock();
    this.#random = options.random ?? new SeededRandom(options.memberId);
    this.#metrics = options.metrics ?? nullMetricsSink;
    this.#remoteWarnings = new RateLimitedLog(this.#log, this.#clock);
    this.#hashKVBudget = new HashKVBudget(this.#clock);
    const settings: http2.Settings = { initialWindowSize: this.#limits.streamWindowBytes, maxFrameSize: 1 << 20 };
    this.#dialOptions = {
      settings,
      connectionWindowBytes: this.#limits.connectionWindowBytes,
      maxSessionMemoryMb: MAX_SESSION_MEMORY_MB,
      ...(options.tls !== undefined ? { tls: options.tls.client } : {}),
    };
    this.#linkContext = {
      localId: options.memberId,
      headersFor: (to) => outgoingHeaders(this.#identity(), to, options.serverVersion, options.peerUrls),
      limits: this.#limits,
      dialOptions: this.#dialOptions,
      logger: this.#log,
      clock: this.#clock,
      random: this.#random,
      metrics: this.#metrics,
      onUnreachable: (id) => this.#reportUnreachable(id),
      onRefused: (id, kind, message) => this.#handlers.onPeerRefused?.(id, kind, message),
    };
    this.#listener = new PeerListener(
      {
        onStream: (stream, headers) => this.#onStream(stream, headers),
        onHttp1: (req, res) => this.#onHttp1(req, res),
      },
      {
        settings,
        idleTimeoutMs: this.#limits.idleConnectionTimeoutMs,
        maxAnonymousConnections: this.#limits.maxAnonymousConnections,
        logger: this.#log,
        clock: this.#clock,
        ...(options.tls !== undefined ? { tls: options.tls.server } : {}),
      },
    );
  }

  get memberId(): bigint {
    return this.#options.memberId;
  }

  get clusterId(): bigint {
    return this.#clusterId;
  }

  /** Sets the cluster id (a joining member learns it after construction). */
  setClusterId(id: bigint): void {
    this.#clusterId = id;
  }

  /**
   * Binds the listen URLs (port 0 picks a free port) and starts dialing
   * peers already added. An https URL without TLS settings throws a
   * PeerUrlSchemeError before anything is bound.
   */
  async start(listenUrls: readonly string[]): Promise<BoundAddress[]> {
    if (this.#started) throw new Error("transport: already started");
    checkPeerUrlSchemes(listenUrls, this.#options.tls !== undefined);
    warnPlainPeerUrls(listenUrls, this.#options.tls, this.#log);
    this.#started = true;
    const bound: BoundAddress[] = [];
    try {
      for (const url of listenUrls) bound.push(await this.#listener.listen(url));
    } catch (err) {
      await this.#listener.close();
      throw err;
    }
    for (const address of bound) this.#log.info({ address: address.url }, "listening for peer traffic");
    for (const link of this.#peers.values()) link.start();
    return bound;
  }

  addPeer(id: bigint, peerUrls: readonly string[]): void {
    if (this.#stopped || id === this.#options.memberId || this.#peers.has(id)) return;
    const link = new PeerLink(id, peerUrls, this.#linkContext);
    this.#peers.set(id, link);
    this.#log.info({ "remote-peer-id": idToHex(id), "remote-peer-urls": peerUrls }, "added remote peer");
    if (this.#started) link.start();
  }

  updatePeer(id: bigint, peerUrls: readonly string[]): void {
    const link = this.#peers.get(id);
    if (link === undefined) return;
    link.updateUrls(peerUrls);
    this.#log.info({ "remote-peer-id": idToHex(id), "remote-peer-urls": peerUrls }, "updated remote peer");
  }

  /** Forgets a peer: stops its outgoing link and snapshot, cuts its incoming streams. */
  removePeer(id: bigint): void {
    const link = this.#peers.get(id);
    if (link === undefined) return;
    link.stop();
    this.#peers.delete(id);
    this.#snapshotsOut.get(id)?.abort();
    for (const stream of this.#incoming.get(id) ?? []) stream.close(http2.constants.NGHTTP2_REFUSED_STREAM);
    this.#incoming.delete(id);
    this.#log.info({ "remote-peer-id": idToHex(id) }, "removed remote peer");
  }

  hasPeer(id: bigint): boolean {
    return this.#peers.has(id);
  }

  /**
   * Sends messages without blocking. Messages to unknown peers are ignored
   * (as etcd does); a message that cannot be queued is dropped and its peer
   * reported unreachable (asynchronously, once per peer per turn). MsgSnap
   * goes through the snapshot path, whose outcome reaches onSnapshotStatus.
   */
  send(messages: readonly Message[]): void {
    if (this.#stopped) return;
    for (const m of messages) {
      const link = this.#peers.get(m.to);
      if (link === undefined) continue;
      if (m.type === MessageType.MsgSnap) {
        this.#sendSnapshot(link, m);
        continue;
      }
      if (!link.enqueue(encodeMessageBody(m))) this.#reportUnreachable(m.to);
    }
  }

  peerStatus(id: bigint): PeerStatus | undefined {
    return this.#peers.get(id)?.status();
  }

  peerStatuses(): PeerStatus[] {
    return [...this.#peers.values()].map((l) => l.status());
  }

  /** Connections open on the peer port, and how many carry no member's stream or snapshot. */
  connections(): { total: number; anonymous: number } {
    return this.#listener.connections();
  }

  /** When the stream to `id` became active (clock ms), or undefined while it is not. */
  activeSinceMs(id: bigint): number | undefined {
    return this.#peers.get(id)?.status().activeSinceMs;
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#stopController.abort();
    for (const link of this.#peers.values()) link.stop();
    this.#peers.clear();
    for (const streams of this.#incoming.values()) for (const s of streams) s.close(http2.constants.NGHTTP2_CANCEL);
    this.#incoming.clear();
    await this.#listener.close();
    this.#log.info({}, "stopped peer transport");
  }

  #identity(): LocalIdentity {
    return { memberId: this.#options.memberId, clusterId: this.#clusterId };
  }

  #reportUnreachable(id: bigint): void {
    this.#unreachable.add(id);
    if (this.#reportScheduled) return;
    this.#reportScheduled = true;
    queueMicrotask(() => {
      this.#reportScheduled = false;
      const ids = [...this.#unreachable];
      this.#unreachable.clear();
      if (this.#stopped) return;
      for (const peer of ids) this.#handlers.onUnreachable(peer);
    });
  }

  #sendSnapshot(link: PeerLink, m: Message): void {
    const to = link.id;
    if (this.#snapshotsOut.has(to)) {
      this.#log.warn({ "remote-peer-id": link.hex }, "dropped a snapshot: another one to the same peer is in flight");
      queueMicrotask(() => {
        if (!this.#stopped) this.#handlers.onSnapshotStatus(to, false);
      });
      return;
    }
    const controller = new AbortController();
    const signal = AbortSignal.any([controller.signal, this.#stopController.signal]);
    this.#snapshotsOut.set(to, controller);
    const index = m.snapshot?.metadata?.index ?? 0n;
    const started = this.#clock.nowMs();
    void (async () => {
      let ok = false;
      let size = 0;
      try {
        const source = await this.#handlers.snapshotSource(m);
        size = source.size;
        this.#log.info({ "remote-peer-id": link.hex, "snapshot-index": index.toString(), "size-bytes": size }, "sending database snapshot");
        await sendSnapshot(link.currentUrl(), m, source, {
          headers: outgoingHeaders(this.#identity(), to, this.#options.serverVersion, this.#options.peerUrls),
          dialOptions: this.#dialOptions,
          stallTimeoutMs: this.#limits.snapshotStallTimeoutMs,
          clock: this.#clock,
          signal,
          onBytes: (n) => this.#metrics.sentBytes(link.hex, n),
        });
        ok = true;
        this.#log.info(
          { "remote-peer-id": link.hex, "snapshot-index": index.toString(), "size-bytes": size, "took-ms": Math.round(this.#clock.nowMs() - started) },
          "sent database snapshot",
        );
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        this.#log.warn({ "remote-peer-id": link.hex, "snapshot-index": index.toString(), error: message }, "failed to send database snapshot");
        if (err instanceof SnapshotSendError && err.refusal !== undefined) this.#handlers.onPeerRefused?.(to, err.refusal, message);
      } finally {
        if (this.#snapshotsOut.get(to) === controller) this.#snapshotsOut.delete(to);
      }
      if (this.#stopped) return;
      if (!ok) {
        this.#metrics.sendFailure(link.hex);
        this.#reportUnreachable(to);
      }
      this.#handlers.onSnapshotStatus(to, ok);
    })();
  }

  /** What both receivers (message streams, snapshots) need from the transport. */
  #receiverContext(): ReceiverContext {
    return {
      identity: () => this.#identity(),
      membership: {
        isRemoved: (id) => this.#handlers.isRemoved(id),
        // The peers are the members the server told us of (etcd: the sender must be a peer).
        isKnown: (id) => this.#peers.has(id),
      },
      logger: this.#log,
      remoteWarnings: this.#remoteWarnings,
      metrics: this.#metrics,
      maxFrameBytes: this.#limits.maxFrameBytes,
      serverVersion: this.#options.serverVersion,
      clock: this.#clock,
      holdConnection: (stream) => this.#listener.holdWhileOpen(stream),
    };
  }

  #onStream(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): void {
    const method = headers[":method"] ?? "GET";
    const path = (headers[":path"] ?? "/").split("?")[0]!;
    if (path.startsWith("/raft/stream/")) {
      if (method !== "POST") return this.#answerH2(stream, 405, { allow: "POST" }, "Method Not Allowed\n");
      acceptMessageStream(stream, headers, path.slice("/raft/stream/".length), {
        ...this.#receiverContext(),
        frameTimeoutMs: this.#limits.frameTimeoutMs,
        onMessage: (m) => {
          if (!this.#stopped) this.#handlers.onMessage(m);
        },
        track: (from, s) => this.#track(from, s),
      });
      return;
    }
    if (path === "/raft/snapshot") {
      if (method !== "POST") return this.#answerH2(stream, 405, { allow: "POST" }, "Method Not Allowed\n");
      receiveSnapshot(stream, headers, {
        ...this.#receiverContext(),
        snapshotDir: this.#options.snapshotDir,
        stallTimeoutMs: this.#limits.snapshotStallTimeoutMs,
        maxSnapshotBytes: this.#limits.maxSnapshotBytes,
        onSnapshotReceived: (m, path, size) => this.#handlers.onSnapshotReceived(m, path, size),
        inProgress: this.#snapshotsIn,
      }).catch((err: unknown) => {
        this.#log.error({ error: err instanceof Error ? err.message : String(err) }, "failed to handle a snapshot request");
        if (!stream.destroyed) stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
      });
      return;
    }
    if (path === HASHKV_PATH) {
      void this.#hashKV(method, firstValue(headers[HEADER_CLUSTER_ID]), stream).then((a) => this.#answerH2(stream, a.status, a.headers, a.body));
      return;
    }
    const answer = this.#simpleRoute(method, path);
    this.#answerH2(stream, answer.status, answer.headers, answer.body);
  }

  #onHttp1(req: http.IncomingMessage, res: http.ServerResponse): void {
    const path = (req.url ?? "/").split("?")[0]!;
    if (path === HASHKV_PATH) {
      void this.#hashKV(req.method ?? "GET", firstValue(req.headers[HEADER_CLUSTER_ID]), req).then((a) => {
        res.writeHead(a.status, { "content-type": "text/plain; charset=utf-8", ...a.headers });
        res.end(a.body);
      });
      return;
    }
    const answer = path.startsWith("/raft/stream/") || path === "/raft/snapshot"
      ? { status: 505, headers: {}, body: "raft traffic between members needs HTTP/2\n" }
      : this.#simpleRoute(req.method ?? "GET", path);
    res.writeHead(answer.status, { "content-type": "text/plain; charset=utf-8", ...answer.headers });
    res.end(answer.body);
  }

  /** `GET /members/hashkv` (see hashkv-endpoint.ts): the one small GET whose request body is read. */
  async #hashKV(method: string, clusterId: string | undefined, body: Readable): Promise<SimpleAnswer> {
    const hashKV = this.#handlers.hashKV;
    if (hashKV === undefined) return { status: 404, headers: {}, body: "404 page not found\n" };
    if (method !== "GET") return { status: 405, headers: { allow: "GET" }, body: "Method Not Allowed\n" };
    const text = await readBoundedBody(body, MAX_HASHKV_BODY_BYTES);
    try {
      return answerHashKV({ clusterId: this.#clusterId, hashKV, budget: this.#hashKVBudget }, clusterId, text);
    } catch (err) {
      this.#log.error({ error: err instanceof Error ? err.message : String(err) }, "failed to get hashKV");
      return { status: 500, headers: {}, body: "failed to get hashKV\n" };
    }
  }

  /** The small GET endpoints, answered the same over HTTP/1.1 and HTTP/2. */
  #simpleRoute(method: string, path: string): { status: number; headers: Record<string, string>; body: string } {
    const json = { "content-type": "application/json" };
    const known = path === "/raft/probing" || path === "/members" || path === "/version";
    if (known && method !== "GET") return { status: 405, headers: { allow: "GET" }, body: "Method Not Allowed\n" };
    switch (path) {
      case "/raft/probing":
        return { status: 200, headers: json, body: JSON.stringify({ health: true, now: new Date(this.#clock.wallMs()).toISOString() }) };
      case "/members": {
        const members = this.#handlers.members?.() ?? [];
        return { status: 200, headers: { ...json, "x-etcd-cluster-id": idToHex(this.#clusterId) }, body: encodeMembersJson(members) };
      }
      case "/version":
        return {
          status: 200,
          headers: json,
          body: JSON.stringify({ etcdserver: this.#options.serverVersion, etcdcluster: this.#handlers.clusterVersion?.() ?? "not_decided" }),
        };
      default:
        return { status: 404, headers: {}, body: "404 page not found\n" };
    }
  }

  /** The small answers: nobody reads their request body, so the stream is closed once answered (see answerAndClose). */
  #answerH2(stream: http2.ServerHttp2Stream, status: number, headers: Record<string, string>, body: string): void {
    answerAndClose(stream, status, body, headers);
  }

  /**
   * One incoming message stream per peer, as etcd attaches one: the newest
   * wins (a member that redials replaces its half-dead connection), so
   * claiming a member's id again and again cannot pile up streams. The older
   * stream's whole session goes: it is the connection the member gave up on
   * (a member never opens two message streams on one session).
   */
  #track(from: bigint, stream: http2.ServerHttp2Stream): void {
    let set = this.#incoming.get(from);
    if (set === undefined) {
      set = new Set();
      this.#incoming.set(from, set);
    }
    for (const older of set) {
      this.#log.debug({ "remote-peer-id": idToHex(from) }, "replaced a peer's older message stream");
      older.session?.destroy();
    }
    set.clear();
    set.add(stream);
    stream.once("close", () => set.delete(stream));
  }
}

function firstValue(header: string | string[] | undefined): string | undefined {
  return Array.isArray(header) ? header[0] : header;
}
