/**
 * The outgoing half of the connection to one peer: a bounded queue of
 * encoded messages and one long-lived HTTP/2 request whose body carries them
 * as frames. Reconnects with back-off, probes the peer (round-trip metric
 * and liveness), and tells the transport when messages are dropped so raft
 * hears that the peer is unreachable.
 *
 * States: connecting (dial + handshake in flight; messages queue) → active
 * (messages flow) → backoff (waiting to redial; messages are dropped at once)
 * → connecting … ; stopped is final.
 * @module
 */
import type * as http2 from "node:http2";
import type { Cancel, Clock } from "../../pkg/clock.js";
import type { Logger } from "../../pkg/logger.js";
import type { Random } from "../../pkg/random.js";
import { Backoff } from "./backoff.js";
import { awaitResponse, destroyLater, dialPeer, readText, type DialOptions } from "./dial.js";
import { handshakeProblem, type DialTrace } from "./dial-failure.js";
import { frameBodies } from "./frame-codec.js";
import { idToHex, refusalFromAnswer, type RefusalKind } from "./identity.js";
import type { TransportMetricsSink } from "./metrics-sink.js";
import type { PeerStatus, TransportLimits } from "./types.js";

export interface PeerLinkContext {
  readonly localId: bigint;
  /** Identity headers for a request to `to` (read on each dial: the cluster id may be set late). */
  headersFor(to: bigint): Record<string, string>;
  readonly limits: TransportLimits;
  readonly dialOptions: DialOptions;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly random: Random;
  readonly metrics: TransportMetricsSink;
  /** Messages to the peer were lost (dropped or cut off by a broken stream). */
  onUnreachable(id: bigint): void;
  onRefused(id: bigint, kind: RefusalKind, message: string): void;
}

type LinkState = "connecting" | "active" | "backoff" | "stopped";

/** Who ended a connection: the peer (or the network), or this side (a timeout, new URLs). */
type FailureSide = "remote" | "local";

const DROP_LOG_INTERVAL_MS = 1_000;

export class PeerLink {
  readonly id: bigint;
  readonly hex: string;
  readonly #ctx: PeerLinkContext;
  readonly #log: Logger;
  readonly #backoff: Backoff;
  #urls: string[];
  #urlIndex = 0;
  #state: LinkState = "backoff";
  /** Bumped on every dial; callbacks of older connections compare and bail out. */
  #generation = 0;
  #session: http2.ClientHttp2Session | undefined;
  /** What the dial of #session saw of its connection, for a clear reason when it fails. */
  #dialTrace: DialTrace | undefined;
  #stream: http2.ClientHttp2Stream | undefined;
  // The queue is an array with a moving head, compacted when half consumed.
  #queue: Buffer[] = [];
  #head = 0;
  #queuedBytes = 0;
  #waitingDrain = false;
  #flushScheduled = false;
  #activeSinceMs: number | undefined;
  #cancelDialTimeout: Cancel | undefined;
  #cancelReconnect: Cancel | undefined;
  #cancelProbes: Cancel | undefined;
  #probeInFlight = false;
  #lastRoundTripMs: number | undefined;
  #sentMessages = 0;
  #droppedMessages = 0;
  #dropsSinceLog = 0;
  #lastDropLogMs = -Infinity;
  #lastRefusal = "";
  /** The last handshake problem logged, so a peer that keeps failing the same way is named once per outage. */
  #lastHandshakeProblem = "";

  constructor(id: bigint, urls: readonly string[], ctx: PeerLinkContext) {
    if (urls.length === 0) throw new Error(`transport: peer ${idToHex(id)} has no URLs`);
    this.id = id;
    this.hex = idToHex(id);
    this.#urls = [...urls];
    this.#ctx = ctx;
    this.#log = ctx.logger.child({ "remote-peer-id": this.hex });
    this.#backoff = new Backoff({ minMs: ctx.limits.backoffMinMs, maxMs: ctx.limits.backoffMaxMs, jitter: 0.3 }, ctx.random);
  }

  get urls(): readonly string[] {
    return this.#urls;
  }

  get active(): boolean {
    return this.#state === "active";
  }

  start(): void {
    if (this.#state === "backoff" && this.#cancelReconnect === undefined) this.#connect();
  }

  /**
   * Queues one encoded message. False when it was dropped: the link is down
   * or the queue is full. The caller reports the drop to raft.
   */
  enqueue(body: Buffer): boolean {
    const limits = this.#ctx.limits;
    const depth = this.#queue.length - this.#head;
    if (
      this.#state === "backoff" ||
      this.#state === "stopped" ||
      depth >= limits.queueMessages ||
      this.#queuedBytes + body.length > limits.queueBytes
    ) {
      this.#noteDrop(1, this.#state === "backoff" ? "peer unreachable" : "sending buffer is full");
      return false;
    }
    this.#queue.push(body);
    this.#queuedBytes += body.length;
    if (this.#state === "active") this.#scheduleFlush();
    return true;
  }

  /** New URLs for the peer; a connection to a URL no longer listed is redialed. */
  updateUrls(urls: readonly string[]): void {
    if (urls.length === 0) throw new Error(`transport: peer ${this.hex} has no URLs`);
    const current = this.#urls[this.#urlIndex % this.#urls.length];
    this.#urls = [...urls];
    this.#urlIndex = 0;
    if (this.#state === "stopped") return;
    if (current === undefined || !urls.includes(current)) {
      this.#backoff.reset();
      this.#fail(this.#generation, "peer URLs changed", "local");
    }
  }

  stop(): void {
    this.#state = "stopped";
    this.#generation++;
    this.#teardown();
    this.#clearQueue();
  }

  status(): PeerStatus {
    return {
      id: this.id,
      urls: this.#urls,
      active: this.#state === "active",
      activeSinceMs: this.#activeSinceMs,
      queuedMessages: this.#queue.length - this.#head,
      queuedBytes: this.#queuedBytes,
      sentMessages: this.#sentMessages,
      droppedMessages: this.#droppedMessages,
      lastRoundTripMs: this.#lastRoundTripMs,
    };
  }

  /** The URL the next (or current) dial uses. */
  currentUrl(): string {
    return this.#urls[this.#urlIndex % this.#urls.length]!;
  }

  #connect(): void {
    this.#cancelReconnect = undefined;
    if (this.#state === "stopped") return;
    const gen = ++this.#generation;
    this.#state = "connecting";
    const url = this.currentUrl();
    const { session, trace } = dialPeer(url, this.#ctx.dialOptions);
    this.#session = session;
    this.#dialTrace = trace;
    const stream = session.request(
      {
        ...this.#ctx.headersFor(this.id),
        ":method": "POST",
        ":path": `/raft/stream/${idToHex(this.#ctx.localId)}`,
        "content-type": "application/octet-stream",
      },
      { endStream: false },
    );
    this.#stream = stream;
    stream.on("error", () => {});
    this.#cancelDialTimeout = this.#ctx.clock.after(this.#ctx.limits.dialTimeoutMs, () => this.#fail(gen, `no answer within ${this.#ctx.limits.dialTimeoutMs} ms`, "local"));
    session.once("close", () => this.#fail(gen, "connection closed"));
    stream.once("close", () => this.#fail(gen, `stream closed (code ${stream.rstCode ?? "none"})`));
    awaitResponse(stream).then(
      (headers) => {
        const status = Number(headers[":status"]);
        if (status === 200) {
          this.#onActive(gen, url);
          return;
        }
        void readText(stream).then((body) => this.#onRefused(gen, status, body.trim()));
      },
      (err: Error) => this.#fail(gen, err.message),
    );
  }

  #onActive(gen: number, url: string): void {
    if (gen !== this.#generation || this.#state !== "connecting") return;
    this.#cancelDialTimeout?.();
    this.#cancelDialTimeout = undefined;
    this.#state = "active";
    this.#activeSinceMs = this.#ctx.clock.nowMs();
    this.#backoff.reset();
    this.#lastRefusal = "";
    this.#lastHandshakeProblem = "";
    this.#log.info({ url }, "peer became active");
    this.#cancelProbes = this.#ctx.clock.every(this.#ctx.limits.probeIntervalMs, () => this.#probe(gen));
    this.#probe(gen);
    this.#scheduleFlush();
  }

  #onRefused(gen: number, status: number, body: string): void {
    if (gen !== this.#generation) return;
    const kind = refusalFromAnswer(status, body);
    if (kind !== undefined) {
      // Log each distinct refusal once per outage: the peer repeats it on every redial.
      if (body !== this.#lastRefusal) this.#log.error({ status, reason: body, kind }, "peer refused the message stream");
      this.#lastRefusal = body;
      this.#ctx.onRefused(this.id, kind, body);
    }
    this.#fail(gen, `answered ${status}: ${body}`);
  }

  #fail(gen: number, reason: string, side: FailureSide = "remote"): void {
    if (gen !== this.#generation || this.#state === "stopped" || this.#state === "backoff") return;
    const wasActive = this.#state === "active";
    const problem = side === "remote" && this.#dialTrace !== undefined ? handshakeProblem(this.#dialTrace) : undefined;
    this.#generation++;
    this.#teardown();
    const lost = this.#queue.length - this.#head;
    this.#clearQueue();
    if (lost > 0) this.#noteDrop(lost, "connection lost");
    if (wasActive) this.#log.warn({ reason, "lost-messages": lost }, "peer became inactive");
    else if (problem !== undefined) this.#noteHandshakeProblem(problem);
    else this.#log.debug({ reason, url: this.currentUrl() }, "failed to dial peer");
    if (wasActive || lost > 0) this.#ctx.onUnreachable(this.id);
    if (this.#urls.length > 1) this.#urlIndex = (this.#urlIndex + 1) % this.#urls.length;
    this.#state = "backoff";
    this.#cancelReconnect = this.#ctx.clock.after(this.#backoff.nextDelayMs(), () => this.#connect());
  }

  /** A TLS or scheme mismatch does not heal by redialing: say so, once per outage per reason. */
  #noteHandshakeProblem(problem: string): void {
    if (problem !== this.#lastHandshakeProblem) this.#log.error({ url: this.currentUrl(), reason: problem }, "failed to connect to peer");
    this.#lastHandshakeProblem = problem;
  }

  #teardown(): void {
    this.#cancelDialTimeout?.();
    this.#cancelReconnect?.();
    this.#cancelProbes?.();
    this.#cancelDialTimeout = this.#cancelReconnect = this.#cancelProbes = undefined;
    this.#probeInFlight = false;
    this.#waitingDrain = false;
    this.#activeSinceMs = undefined;
    this.#stream?.close();
    if (this.#session !== undefined) destroyLater(this.#session);
    this.#stream = undefined;
    this.#session = undefined;
    this.#dialTrace = undefined;
  }

  #clearQueue(): void {
    this.#queue = [];
    this.#head = 0;
    this.#queuedBytes = 0;
  }

  #noteDrop(count: number, why: string): void {
    this.#droppedMessages += count;
    this.#dropsSinceLog += count;
    for (let i = 0; i < count; i++) this.#ctx.metrics.sendFailure(this.hex);
    const now = this.#ctx.clock.nowMs();
    if (now - this.#lastDropLogMs >= DROP_LOG_INTERVAL_MS) {
      const level = this.#state === "active" ? "warn" : "debug";
      this.#log[level]({ dropped: this.#dropsSinceLog, reason: why }, "dropped internal raft messages to peer");
      this.#lastDropLogMs = now;
      this.#dropsSinceLog = 0;
    }
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    // One write for everything queued in this turn (a whole Ready's messages).
    queueMicrotask(() => {
      this.#flushScheduled = false;
      this.#flush();
    });
  }

  #flush(): void {
    const stream = this.#stream;
    const gen = this.#generation;
    const batchBytes = this.#ctx.limits.batchBytes;
    while (this.#state === "active" && !this.#waitingDrain && stream !== undefined && this.#head < this.#queue.length) {
      const batch: Buffer[] = [];
      let bytes = 0;
      while (this.#head < this.#queue.length && (batch.length === 0 || bytes + this.#queue[this.#head]!.length <= batchBytes)) {
        const body = this.#queue[this.#head++]!;
        batch.push(body);
        bytes += body.length;
      }
      this.#queuedBytes -= bytes;
      if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
        this.#queue = this.#queue.slice(this.#head);
        this.#head = 0;
      }
      const frames = frameBodies(batch);
      const ok = stream.write(frames);
      this.#sentMessages += batch.length;
      this.#ctx.metrics.sentBytes(this.hex, frames.length);
      if (!ok) {
        this.#waitingDrain = true;
        stream.once("drain", () => {
          if (gen !== this.#generation) return;
          this.#waitingDrain = false;
          this.#flush();
        });
      }
    }
  }

  #probe(gen: number): void {
    const session = this.#session;
    if (gen !== this.#generation || this.#state !== "active" || session === undefined || this.#probeInFlight) return;
    this.#probeInFlight = true;
    const started = this.#ctx.clock.nowMs();
    const timeoutMs = this.#ctx.limits.probeTimeoutMs;
    let req: http2.ClientHttp2Stream;
    try {
      req = session.request({ ...this.#ctx.headersFor(this.id), ":method": "GET", ":path": "/raft/probing" });
    } catch (err) {
      this.#fail(gen, `probe failed: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    req.on("error", () => {});
    const cancelTimeout = this.#ctx.clock.after(timeoutMs, () => {
      this.#log.warn({ "timeout-ms": timeoutMs }, "prober detected unhealthy status");
      req.close();
      this.#fail(gen, "probe timed out", "local");
    });
    void readText(req).then(() => {
      cancelTimeout();
      if (gen !== this.#generation) return;
      this.#probeInFlight = false;
      if (req.rstCode !== undefined && req.rstCode !== 0) return;
      const rttMs = this.#ctx.clock.nowMs() - started;
      this.#lastRoundTripMs = rttMs;
      this.#ctx.metrics.roundTrip(this.hex, rttMs / 1000);
    });
  }
}
