/**
 * The server side of one HTTP/2 connection (RFC 7540), over a socket whose
 * client preface has already been read. It speaks exactly what a gRPC
 * server needs — request streams opened by the client, responses of
 * HEADERS, DATA and trailing HEADERS — with the protocol's rules enforced:
 * stream id order, concurrency limit, both levels of flow control in both
 * directions, SETTINGS, PING, GOAWAY, header blocks split over
 * CONTINUATION, padding, request header validation — and the bounds that
 * keep a hostile client from taking the server down (`limits.ts`): slots
 * for streams and their work, budgets for resets and frames that do no
 * work, bounded output with reading paused while the socket is full,
 * keepalive enforcement as grpc-go does it.
 *
 * Why not node:http2: its per-stream objects and callbacks cost more CPU
 * per request than the rest of a put (measured: 36 µs per unary call on
 * node:http2 alone, before gRPC), and it refuses the `:authority` that etcd
 * 3.4's clients send. Here frames are parsed straight from the socket's
 * chunks, and everything written in one turn of the event loop leaves in
 * one socket write.
 * @module
 */
import type { Socket } from "node:net";
import { type Cancel, type Clock, SystemClock } from "../../pkg/clock.js";
import {
  DEFAULT_MAX_FRAME,
  DEFAULT_WINDOW,
  ErrorCode,
  Flag,
  FRAME_HEADER_LENGTH,
  frame as newFrame,
  FrameType,
  goawayFrame,
  MAX_WINDOW,
  pingFrame,
  rstStreamFrame,
  Setting,
  SETTINGS_ACK,
  settingsFrame,
  windowUpdateFrame,
  writeFrameHeader,
} from "./frames.js";
import { PendingHeaderBlock } from "./header-block.js";
import { HpackDecoder, HpackError, type HeaderList } from "./hpack.js";
import {
  DEFAULT_KEEPALIVE_MIN_TIME_MS,
  GOAWAY_LINGER_MS,
  IDLE_FRAME_BURST,
  IDLE_FRAMES_PER_SECOND,
  MAX_PING_STRIKES,
  MAX_BLOCKED_OUTPUT,
  MAX_BLOCKED_STREAMS,
  MAX_DRAIN_AFTER_GOAWAY,
  MAX_QUEUED_CONTROL_FRAMES,
  MAX_QUEUED_OUTPUT,
  PING_INTERVAL_WITHOUT_STREAMS_MS,
  RESET_BURST,
  RESET_PER_SECOND,
  STALLED_FRAME_TIMEOUT_MS,
} from "./limits.js";
import { checkRequestHeaders, checkTrailers, NO_CONTENT_LENGTH } from "./request-headers.js";
import { TokenBucket } from "./token-bucket.js";

export interface H2Options {
  /** SETTINGS_MAX_CONCURRENT_STREAMS: streams over it (counting streams whose work still runs) are refused. */
  maxConcurrentStreams: number;
  /** Our receive window per stream (SETTINGS_INITIAL_WINDOW_SIZE). */
  streamWindow: number;
  /** Our receive window for the whole connection. */
  connectionWindow: number;
  /** Largest decoded request header list. */
  maxHeaderListSize: number;
  /** Idle time after which the server pings the client; 0 = never. */
  keepaliveIntervalMs: number;
  /** How long a ping may go unanswered before the connection is closed. */
  keepaliveTimeoutMs: number;
  /** Client pings more often than this are strikes (etcd's --grpc-keepalive-min-time); default 5 s. */
  keepaliveMinTimeMs?: number;
  /** Whether a client may ping while no stream is open (etcd: false, the default). */
  keepalivePermitWithoutStream?: boolean;
  /** Time for the connection's budgets and timeouts; the system clock by default. */
  clock?: Clock;
  /** Told of an unexpected exception thrown while handling a frame (the connection is then closed). */
  onInternalError?: (err: unknown) => void;
}

/** What the application is told about one stream. Set on the stream in `onStream`. */
export interface StreamListener {
  /** Request body bytes (DATA payload), in order. */
  onData(chunk: Buffer): void;
  /** The client half-closed the stream. */
  onEnd(): void;
  /** The stream ended before the response did: reset by the client, or the connection is gone. */
  onReset(): void;
  /** The stream can take writes again after {@link H2Stream.write} returned false. */
  onDrain(): void;
}

const NOOP_LISTENER: StreamListener = { onData() {}, onEnd() {}, onReset() {}, onDrain() {} };

/** Bytes a stream may have queued (not yet sent for want of window) before `write` says "wait". */
const STREAM_HIGH_WATER = 64 * 1024;
/** Ends a stream with an empty END_STREAM DATA frame instead of trailers (see {@link H2Stream.respondPlain}). */
const NO_TRAILERS = Buffer.alloc(0);
const SYSTEM_CLOCK = new SystemClock();

/** Where a stream's handler work stands: it holds a concurrency slot while running (rapid-reset defence). */
type Work = "not started" | "running" | "ended";

export class H2Stream {
  readonly id: number;
  readonly headers: HeaderList;
  listener: StreamListener = NOOP_LISTENER;
  readonly #conn: H2Connection;

  // Receiving.
  /** What the client may still send before our next WINDOW_UPDATE. */
  recvWindow: number;
  /** Received bytes not yet given back to the client's window. */
  recvUnacked = 0;
  paused = false;
  remoteEnded = false;
  /** The request's content-length, or NO_CONTENT_LENGTH; checked against the DATA received. */
  contentLength = NO_CONTENT_LENGTH;
  bodyBytes = 0;

  // Sending.
  /**
   * Our send window, relative to the peer's current SETTINGS_INITIAL_WINDOW_SIZE
   * (window = initial + delta), so that a SETTINGS change costs O(1), not a walk of every stream.
   */
  sendDelta = 0;
  readonly queue: Buffer[] = [];
  queued = 0;
  /** Trailing HEADERS block to send once the queue is empty. */
  trailers: Buffer | undefined;
  headersSent = false;
  /** We sent END_STREAM or RST_STREAM: nothing more goes out. */
  localEnded = false;
  wantsDrain = false;

  // Concurrency accounting.
  /** Closed at the protocol level: out of the connection's stream table. */
  closed = false;
  /** Counted in the connection's occupied slots. */
  holdsSlot = true;
  #work: Work = "not started";

  constructor(conn: H2Connection, id: number, headers: HeaderList, recvWindow: number) {
    this.#conn = conn;
    this.id = id;
    this.headers = headers;
    this.recvWindow = recvWindow;
  }

  /**
   * The application started work for this stream (an RPC handler). Until
   * {@link endWork}, the stream keeps its concurrency slot even after it is
   * closed or reset, so resetting streams does not free room for more work.
   */
  beginWork(): void {
    if (this.#work === "not started") this.#work = "running";
  }

  get working(): boolean {
    return this.#work === "running";
  }

  /** The work begun by {@link beginWork} has settled; call exactly once. */
  endWork(): void {
    if (this.#work !== "running") return;
    this.#work = "ended";
    if (this.closed) this.#conn.releaseSlot(this);
  }

  /** Whether another write would be buffered below the high-water mark. */
  get writable(): boolean {
    return !this.localEnded && this.queued < STREAM_HIGH_WATER && this.#conn.socketWritable;
  }

  /** Sends the response HEADERS (without END_STREAM). */
  sendHeaders(block: Buffer): void {
    if (this.localEnded || this.headersSent) return;
    this.headersSent = true;
    this.#conn.writeHeaderBlock(this.id, block, false);
  }

  /** Queues DATA; false when the caller should wait for `onDrain` before writing more. */
  write(data: Buffer): boolean {
    if (this.localEnded || this.trailers !== undefined) return false;
    this.queue.push(data);
    this.queued += data.length;
    this.#conn.pump(this);
    const ok = this.writable;
    if (!ok) this.wantsDrain = true;
    return ok;
  }

  /** Ends the response with a trailing header block, after all queued data. */
  end(trailers: Buffer): void {
    if (this.localEnded || this.trailers !== undefined) return;
    this.trailers = trailers;
    this.#conn.pump(this);
  }

  /** Headers, optional data and trailers at once: the common unary response, in the fewest frames. */
  respond(headers: Buffer, data: Buffer | undefined, trailers: Buffer): void {
    this.sendHeaders(headers);
    if (data !== undefined) {
      this.queue.push(data);
      this.queued += data.length;
    }
    this.end(trailers);
  }

  /** Headers, a body, and END_STREAM on DATA without trailers: a plain HTTP response. */
  respondPlain(headers: Buffer, body: Buffer): void {
    this.respond(headers, body, NO_TRAILERS);
  }

  /** Abandons the stream with RST_STREAM. */
  reset(code: ErrorCode): void {
    this.#conn.resetStream(this, code);
  }

  /** Stops giving the client window for this stream (its messages are not being read). */
  pauseInput(): void {
    this.paused = true;
  }

  resumeInput(): void {
    if (!this.paused) return;
    this.paused = false;
    this.#conn.ackStreamData(this, 0);
  }
}

export type StreamHandler = (stream: H2Stream) => void;

class ConnectionError extends Error {
  constructor(readonly code: ErrorCode, message: string) {
    super(message);
  }
}

export class H2Connection {
  readonly #socket: Socket;
  readonly #options: H2Options;
  readonly #onStream: StreamHandler;
  readonly #decoder: HpackDecoder;
  readonly #clock: Clock;
  readonly #streams = new Map<number, H2Stream>();
  /** Streams with queued DATA waiting for flow-control window. */
  readonly #blocked = new Set<H2Stream>();
  /** Highest client stream id seen: ids at or below it that are not open are closed, those above idle. */
  #lastStreamId = 0;
  /** Streams holding a concurrency slot: open ones, and closed ones whose work still runs. */
  #occupied = 0;

  // Reading.
  #pending: Buffer | undefined;
  #connRecvWindow: number;
  #connRecvUnacked = 0;
  #headerBlock: PendingHeaderBlock | undefined;
  #peerSettingsSeen = false;
  /** Input is paused because too much output waits for the socket. */
  #inputPaused = false;
  /** Armed while the connection is in the middle of a frame or header block. */
  #stalledTimer: Cancel | undefined;
  /** When the last frame was completed while the timer ran: a busy stream of frames is not a stall. */
  #lastProgressMs = 0;
  /** When the header block being collected began: it must end within the timeout, however it trickles. */
  #headerBlockStartedMs = 0;
  /** SETTINGS ACKs the client owes us (for our one SETTINGS frame); more are frames that do no work. */
  #settingsAcksDue = 1;
  readonly #resets: TokenBucket;
  readonly #idleFrames: TokenBucket;

  // Writing.
  #out: Buffer[] = [];
  #outBytes = 0;
  #flushScheduled = false;
  socketWritable = true;
  #peerInitialWindow = DEFAULT_WINDOW;
  #peerMaxFrame = DEFAULT_MAX_FRAME;
  #connSendWindow = DEFAULT_WINDOW;
  /** A window grew while frames were being read: blocked streams are pumped once the chunk is done. */
  #pumpBlockedAfterRead = false;
  /** Control frames queued since the socket last had everything written. */
  #queuedControl = 0;
  /** Bytes read and dropped since the connection failed. */
  #drainedAfterClose = 0;

  // Keepalive: our pings, and grpc-go's enforcement on the client's.
  #keepalive: NodeJS.Timeout | undefined;
  #pingTimeout: NodeJS.Timeout | undefined;
  #lastClientPingMs = Number.NEGATIVE_INFINITY;
  #pingStrikes = 0;
  /** We sent headers or data since the client's last ping: its next ping is no strike (grpc-go's resetPingStrikes). */
  #resetPingStrikes = false;

  #closed = false;
  #goingAway = false;
  readonly #onClose: (() => void)[] = [];

  constructor(socket: Socket, options: H2Options, onStream: StreamHandler) {
    this.#socket = socket;
    this.#options = options;
    this.#onStream = onStream;
    this.#clock = options.clock ?? SYSTEM_CLOCK;
    this.#decoder = new HpackDecoder({ maxTableSize: 4096, maxHeaderListSize: options.maxHeaderListSize });
    this.#connRecvWindow = options.connectionWindow;
    this.#resets = new TokenBucket(this.#clock, RESET_BURST, RESET_PER_SECOND);
    this.#idleFrames = new TokenBucket(this.#clock, IDLE_FRAME_BURST, IDLE_FRAMES_PER_SECOND);
  }

  /** Starts serving; `head` is whatever the client sent after its preface that was already read. */
  start(head: Buffer): void {
    const socket = this.#socket;
    socket.setNoDelay(true);
    this.#send(
      settingsFrame([
        [Setting.MaxConcurrentStreams, this.#options.maxConcurrentStreams],
        [Setting.InitialWindowSize, this.#options.streamWindow],
        [Setting.MaxHeaderListSize, this.#options.maxHeaderListSize],
        [Setting.EnablePush, 0],
      ]),
    );
    if (this.#options.connectionWindow > DEFAULT_WINDOW) this.#send(windowUpdateFrame(0, this.#options.connectionWindow - DEFAULT_WINDOW));
    socket.on("data", (chunk: Buffer) => this.#receive(chunk));
    socket.on("drain", () => this.#onSocketDrain());
    socket.on("close", () => this.#onSocketClose());
    socket.on("error", () => socket.destroy());
    this.#armKeepalive();
    if (head.length > 0) this.#receive(head);
    if (!this.#inputPaused) socket.resume();
  }

  onClose(cb: () => void): void {
    this.#onClose.push(cb);
  }

  get openStreams(): number {
    return this.#streams.size;
  }

  /** Streams holding a concurrency slot (open, or closed with work still running). */
  get occupiedSlots(): number {
    return this.#occupied;
  }

  /** Graceful: no new streams; the socket closes when the open ones finish. */
  goaway(): void {
    if (this.#closed || this.#goingAway) return;
    this.#goingAway = true;
    this.#send(goawayFrame(this.#lastStreamId, ErrorCode.NoError));
    if (this.#streams.size === 0) this.#endSocketAfterFlush();
  }

  /** Closes at once: every open stream is reset. */
  destroy(): void {
    this.#socket.destroy();
  }

  // ---- receiving ---------------------------------------------------------------

  #receive(chunk: Buffer): void {
    if (this.#closed) {
      // Draining after our GOAWAY (see #fail): a flood is not read for long. Past the budget we
      // stop reading rather than destroy: a destroy with input unread sends an RST, on which the
      // client's kernel may drop our GOAWAY before the client reads it; the linger ends it anyway.
      this.#drainedAfterClose += chunk.length;
      if (this.#drainedAfterClose > MAX_DRAIN_AFTER_GOAWAY) this.#socket.pause();
      return;
    }
    let buf = chunk;
    if (this.#pending !== undefined) {
      buf = Buffer.concat([this.#pending, chunk]);
      this.#pending = undefined;
    }
    let pos = 0;
    try {
      while (buf.length - pos >= FRAME_HEADER_LENGTH) {
        const length = (buf[pos]! << 16) | (buf[pos + 1]! << 8) | buf[pos + 2]!;
        if (length > DEFAULT_MAX_FRAME) throw new ConnectionError(ErrorCode.FrameSizeError, "frame larger than SETTINGS_MAX_FRAME_SIZE");
        const end = pos + FRAME_HEADER_LENGTH + length;
        if (end > buf.length) break;
        const type = buf[pos + 3]!;
        const flags = buf[pos + 4]!;
        const streamId = buf.readUInt32BE(pos + 5) & 0x7fffffff;
        this.#frame(type, flags, streamId, buf.subarray(pos + FRAME_HEADER_LENGTH, end));
        pos = end;
        if (this.#closed) return;
      }
      if (this.#pumpBlockedAfterRead) {
        this.#pumpBlockedAfterRead = false;
        for (const stream of [...this.#blocked]) this.pump(stream);
      }
      if (this.#queuedControl > MAX_QUEUED_CONTROL_FRAMES) throw new ConnectionError(ErrorCode.EnhanceYourCalm, "too many control frames queued");
    } catch (err) {
      if (err instanceof ConnectionError) this.#fail(err.code, err.message);
      else if (err instanceof HpackError) this.#fail(ErrorCode.CompressionError, err.message);
      else {
        // A bug in a handler reached here: lose this connection, not the server.
        this.#options.onInternalError?.(err);
        this.#fail(ErrorCode.InternalError, "internal error");
      }
      return;
    }
    // Keep only the partial frame's bytes, not the chunk they came in.
    if (pos < buf.length) this.#pending = pos === 0 && buf !== chunk ? buf : Buffer.from(buf.subarray(pos));
    this.#watchStall(pos > 0);
    this.#limitInput();
    this.#armKeepalive();
  }

  #frame(type: number, flags: number, streamId: number, payload: Buffer): void {
    if (this.#headerBlock !== undefined && (type !== FrameType.Continuation || streamId !== this.#headerBlock.streamId)) {
      throw new ConnectionError(ErrorCode.ProtocolError, "header block interrupted");
    }
    if (!this.#peerSettingsSeen && (type !== FrameType.Settings || (flags & Flag.Ack) !== 0)) {
      throw new ConnectionError(ErrorCode.ProtocolError, "the client's first frame is not SETTINGS");
    }
    switch (type) {
      case FrameType.Data:
        return this.#onData(flags, streamId, payload);
      case FrameType.Headers:
        return this.#onHeaders(flags, streamId, payload);
      case FrameType.Continuation:
        return this.#onContinuation(flags, streamId, payload);
      case FrameType.Priority:
        return this.#onPriority(streamId, payload);
      case FrameType.RstStream:
        return this.#onRstStream(streamId, payload);
      case FrameType.Settings:
        return this.#onSettings(flags, streamId, payload);
      case FrameType.Ping:
        return this.#onPing(flags, streamId, payload);
      case FrameType.Goaway:
        if (streamId !== 0) throw new ConnectionError(ErrorCode.ProtocolError, "GOAWAY on a stream");
        this.#goingAway = true;
        return;
      case FrameType.WindowUpdate:
        return this.#onWindowUpdate(streamId, payload);
      case FrameType.PushPromise:
        throw new ConnectionError(ErrorCode.ProtocolError, "PUSH_PROMISE from a client");
      default:
        // Unknown frame types are ignored (RFC 9113 §4.1), within the budget of frames that do no work.
        return this.#idleFrame();
    }
  }

  /** A frame that did no work: allowed now and then, not as a flood. */
  #idleFrame(): void {
    if (!this.#idleFrames.take()) throw new ConnectionError(ErrorCode.EnhanceYourCalm, "too many frames that do no work");
  }

  /** Whether `streamId` is closed (as opposed to idle) given it is not open: client ids only increase. */
  #isClosedId(streamId: number): boolean {
    return streamId <= this.#lastStreamId;
  }

  /** The payload without padding. */
  #unpad(flags: number, payload: Buffer, extra: number): Buffer {
    if ((flags & Flag.Padded) === 0) {
      if (extra === 0) return payload;
      // A HEADERS frame too short for the priority fields it announces (Go: a frame size error).
      if (payload.length < extra) throw new ConnectionError(ErrorCode.FrameSizeError, "frame too short for its priority fields");
      return payload.subarray(extra);
    }
    if (payload.length < 1 + extra) throw new ConnectionError(ErrorCode.ProtocolError, "padded frame too short");
    const padding = payload[0]!;
    if (padding > payload.length - 1 - extra) throw new ConnectionError(ErrorCode.ProtocolError, "padding exceeds the frame");
    return payload.subarray(1 + extra, payload.length - padding);
  }

  #onData(flags: number, streamId: number, payload: Buffer): void {
    if (streamId === 0) throw new ConnectionError(ErrorCode.ProtocolError, "DATA on stream 0");
    const data = this.#unpad(flags, payload, 0);
    // Flow control counts the whole payload, padding included.
    this.#connRecvWindow -= payload.length;
    if (this.#connRecvWindow < 0) throw new ConnectionError(ErrorCode.FlowControlError, "connection window exceeded");
    this.#connRecvUnacked += payload.length;
    if (this.#connRecvUnacked >= this.#options.connectionWindow / 2) {
      this.#send(windowUpdateFrame(0, this.#connRecvUnacked));
      this.#connRecvWindow += this.#connRecvUnacked;
      this.#connRecvUnacked = 0;
    }
    const stream = this.#streams.get(streamId);
    if (stream === undefined) {
      if (!this.#isClosedId(streamId)) throw new ConnectionError(ErrorCode.ProtocolError, "DATA on an idle stream");
      // Data still in flight when we ended a stream early is normal (a request refused as too large):
      // only an empty frame here is one that does no work.
      if (payload.length === 0) this.#idleFrame();
      this.#sendControl(rstStreamFrame(streamId, ErrorCode.StreamClosed));
      return;
    }
    if (stream.remoteEnded) {
      this.#resetStream(stream, ErrorCode.StreamClosed);
      return;
    }
    stream.recvWindow -= payload.length;
    if (stream.recvWindow < 0) {
      this.#resetStream(stream, ErrorCode.FlowControlError);
      return;
    }
    const endStream = (flags & Flag.EndStream) !== 0;
    if (stream.contentLength !== NO_CONTENT_LENGTH) {
      stream.bodyBytes += data.length;
      if (stream.bodyBytes > stream.contentLength || (endStream && stream.bodyBytes !== stream.contentLength)) {
        this.#resetStream(stream, ErrorCode.ProtocolError);
        return;
      }
    }
    this.ackStreamData(stream, payload.length);
    if (data.length > 0) stream.listener.onData(data);
    else if (!endStream) this.#idleFrame();
    if (endStream) this.#remoteEnd(stream);
  }

  /** Gives consumed bytes back to the client's window for this stream, unless it is paused. */
  ackStreamData(stream: H2Stream, n: number): void {
    stream.recvUnacked += n;
    if (stream.paused || stream.remoteEnded || this.#closed) return;
    if (stream.recvUnacked >= this.#options.streamWindow / 4) {
      this.#send(windowUpdateFrame(stream.id, stream.recvUnacked));
      stream.recvWindow += stream.recvUnacked;
      stream.recvUnacked = 0;
    }
  }

  #onHeaders(flags: number, streamId: number, payload: Buffer): void {
    if (streamId === 0 || streamId % 2 === 0) throw new ConnectionError(ErrorCode.ProtocolError, "HEADERS on an invalid stream id");
    const hasPriority = (flags & Flag.Priority) !== 0;
    const fragment = this.#unpad(flags, payload, hasPriority ? 5 : 0);
    const selfDependent = hasPriority && (payload.readUInt32BE(flags & Flag.Padded ? 1 : 0) & 0x7fffffff) === streamId;
    const endStream = (flags & Flag.EndStream) !== 0;
    if (flags & Flag.EndHeaders) {
      this.#onHeaderBlock(streamId, endStream, selfDependent, fragment);
      return;
    }
    const block = new PendingHeaderBlock(streamId, endStream, selfDependent, this.#options.maxHeaderListSize + DEFAULT_MAX_FRAME);
    this.#addFragment(block, fragment);
    this.#headerBlock = block;
    this.#headerBlockStartedMs = this.#clock.nowMs();
  }

  #onContinuation(flags: number, streamId: number, payload: Buffer): void {
    const block = this.#headerBlock;
    if (block === undefined) throw new ConnectionError(ErrorCode.ProtocolError, "CONTINUATION without HEADERS");
    if (payload.length === 0 && (flags & Flag.EndHeaders) === 0) this.#idleFrame();
    this.#addFragment(block, payload);
    if (flags & Flag.EndHeaders) {
      this.#headerBlock = undefined;
      this.#onHeaderBlock(streamId, block.endStream, block.selfDependent, block.block());
    }
  }

  #addFragment(block: PendingHeaderBlock, fragment: Buffer): void {
    if (!block.add(fragment)) throw new ConnectionError(ErrorCode.EnhanceYourCalm, "header block too large or in too many frames");
  }

  #onHeaderBlock(streamId: number, endStream: boolean, selfDependent: boolean, block: Buffer): void {
    // Decode before anything else: the HPACK table must see every block, even of refused streams.
    const headers = this.#decoder.decode(block);
    const existing = this.#streams.get(streamId);
    if (existing !== undefined) {
      // Trailers from the client: only as the end of its side.
      if (!endStream || existing.remoteEnded) throw new ConnectionError(ErrorCode.ProtocolError, "HEADERS inside an open stream");
      if (selfDependent || checkTrailers(headers) !== undefined) {
        this.#resetStream(existing, ErrorCode.ProtocolError);
        return;
      }
      this.#remoteEnd(existing);
      return;
    }
    // Go's answer: a new stream id must exceed every earlier one (RFC 9113 §5.1.1).
    if (this.#isClosedId(streamId)) throw new ConnectionError(ErrorCode.ProtocolError, "HEADERS on a closed stream");
    this.#lastStreamId = streamId;
    if (selfDependent) {
      this.#sendControl(rstStreamFrame(streamId, ErrorCode.ProtocolError));
      return;
    }
    const check = checkRequestHeaders(headers);
    // A declared body that cannot come (END_STREAM already) is as malformed as a bad field.
    if (!check.ok || (endStream && check.contentLength > 0)) {
      this.#sendControl(rstStreamFrame(streamId, ErrorCode.ProtocolError));
      return;
    }
    if (this.#goingAway || this.#occupied >= this.#options.maxConcurrentStreams || this.#tooMuchWaitingForWindow()) {
      this.#sendControl(rstStreamFrame(streamId, ErrorCode.RefusedStream));
      return;
    }
    const stream = new H2Stream(this, streamId, headers, this.#options.streamWindow);
    stream.contentLength = check.contentLength;
    // Half-closed (remote) before the application sees it, so an answer given at once ends the stream cleanly.
    stream.remoteEnded = endStream;
    this.#streams.set(streamId, stream);
    this.#occupied++;
    this.#onStream(stream);
    if (endStream && !stream.localEnded) stream.listener.onEnd();
  }

  /**
   * Whether many streams' responses sit queued for flow-control window the
   * client does not give (a zero-window client opening stream after stream).
   * One huge response (a big Range) is not enough: only many blocked streams
   * holding much in all. Cheap: the blocked set is empty on a healthy connection.
   */
  #tooMuchWaitingForWindow(): boolean {
    if (this.#blocked.size < MAX_BLOCKED_STREAMS) return false;
    let bytes = 0;
    for (const stream of this.#blocked) bytes += stream.queued;
    return bytes > MAX_BLOCKED_OUTPUT;
  }

  #remoteEnd(stream: H2Stream): void {
    stream.remoteEnded = true;
    if (stream.localEnded) this.#forget(stream);
    stream.listener.onEnd();
  }

  #onPriority(streamId: number, payload: Buffer): void {
    if (streamId === 0) throw new ConnectionError(ErrorCode.ProtocolError, "PRIORITY on stream 0");
    const stream = this.#streams.get(streamId);
    const error = payload.length !== 5 ? ErrorCode.FrameSizeError : (payload.readUInt32BE(0) & 0x7fffffff) === streamId ? ErrorCode.ProtocolError : undefined;
    if (error === undefined) return this.#idleFrame(); // we do not prioritise: nothing to do
    if (stream !== undefined) this.#resetStream(stream, error);
    else this.#sendControl(rstStreamFrame(streamId, error));
  }

  #onRstStream(streamId: number, payload: Buffer): void {
    if (streamId === 0) throw new ConnectionError(ErrorCode.ProtocolError, "RST_STREAM on stream 0");
    if (payload.length !== 4) throw new ConnectionError(ErrorCode.FrameSizeError, "RST_STREAM of the wrong size");
    if (!this.#isClosedId(streamId)) throw new ConnectionError(ErrorCode.ProtocolError, "RST_STREAM on an idle stream");
    const stream = this.#streams.get(streamId);
    if (stream === undefined) return this.#idleFrame();
    // Every reset of a stream we still serve is charged, started or not: a reset
    // that cancels work before it starts still cost us its header block and stream.
    if (!this.#resets.take()) throw new ConnectionError(ErrorCode.EnhanceYourCalm, "too many streams reset");
    stream.localEnded = true;
    this.#forget(stream);
    stream.listener.onReset();
  }

  #onSettings(flags: number, streamId: number, payload: Buffer): void {
    if (streamId !== 0) throw new ConnectionError(ErrorCode.ProtocolError, "SETTINGS on a stream");
    if (flags & Flag.Ack) {
      if (payload.length !== 0) throw new ConnectionError(ErrorCode.FrameSizeError, "SETTINGS ACK with a payload");
      if (this.#settingsAcksDue > 0) this.#settingsAcksDue--;
      else this.#idleFrame();
      return;
    }
    if (payload.length % 6 !== 0) throw new ConnectionError(ErrorCode.FrameSizeError, "SETTINGS of the wrong size");
    this.#peerSettingsSeen = true;
    for (let p = 0; p < payload.length; p += 6) {
      const id = payload.readUInt16BE(p);
      const value = payload.readUInt32BE(p + 2);
      if (id === Setting.InitialWindowSize) {
        if (value > MAX_WINDOW) throw new ConnectionError(ErrorCode.FlowControlError, "SETTINGS_INITIAL_WINDOW_SIZE too large");
        // Every stream's window moves with it, through its delta: O(1) here.
        if (value > this.#peerInitialWindow) this.#pumpBlockedAfterRead = true;
        this.#peerInitialWindow = value;
      } else if (id === Setting.MaxFrameSize) {
        if (value < DEFAULT_MAX_FRAME || value > 16_777_215) throw new ConnectionError(ErrorCode.ProtocolError, "SETTINGS_MAX_FRAME_SIZE out of range");
        this.#peerMaxFrame = value;
      } else if (id === Setting.EnablePush && value > 1) {
        throw new ConnectionError(ErrorCode.ProtocolError, "SETTINGS_ENABLE_PUSH not 0 or 1");
      }
      // The header table size the client allows us is irrelevant: our encoder never indexes.
    }
    this.#sendControl(SETTINGS_ACK);
  }

  #onPing(flags: number, streamId: number, payload: Buffer): void {
    if (streamId !== 0) throw new ConnectionError(ErrorCode.ProtocolError, "PING on a stream");
    if (payload.length !== 8) throw new ConnectionError(ErrorCode.FrameSizeError, "PING of the wrong size");
    if (flags & Flag.Ack) {
      if (this.#pingTimeout === undefined) return this.#idleFrame(); // not an answer to ours
      clearTimeout(this.#pingTimeout);
      this.#pingTimeout = undefined;
      return;
    }
    this.#sendControl(pingFrame(payload, true));
    this.#enforceKeepalive();
  }

  /** grpc-go's keepalive enforcement (http2_server.go handlePing): pings too close together are strikes. */
  #enforceKeepalive(): void {
    const now = this.#clock.nowMs();
    const sinceLast = now - this.#lastClientPingMs;
    this.#lastClientPingMs = now;
    if (this.#resetPingStrikes) {
      this.#resetPingStrikes = false;
      this.#pingStrikes = 0;
      return;
    }
    const minGap =
      this.#streams.size === 0 && !(this.#options.keepalivePermitWithoutStream ?? false)
        ? PING_INTERVAL_WITHOUT_STREAMS_MS
        : (this.#options.keepaliveMinTimeMs ?? DEFAULT_KEEPALIVE_MIN_TIME_MS);
    if (sinceLast < minGap) this.#pingStrikes++;
    if (this.#pingStrikes > MAX_PING_STRIKES) throw new ConnectionError(ErrorCode.EnhanceYourCalm, "too_many_pings");
  }

  #onWindowUpdate(streamId: number, payload: Buffer): void {
    if (payload.length !== 4) throw new ConnectionError(ErrorCode.FrameSizeError, "WINDOW_UPDATE of the wrong size");
    const increment = payload.readUInt32BE(0) & 0x7fffffff;
    if (streamId === 0) {
      if (increment === 0) throw new ConnectionError(ErrorCode.ProtocolError, "WINDOW_UPDATE of 0");
      this.#connSendWindow += increment;
      if (this.#connSendWindow > MAX_WINDOW) throw new ConnectionError(ErrorCode.FlowControlError, "connection window overflow");
      this.#pumpBlockedAfterRead = true;
      return;
    }
    const stream = this.#streams.get(streamId);
    if (stream === undefined) {
      if (!this.#isClosedId(streamId)) throw new ConnectionError(ErrorCode.ProtocolError, "WINDOW_UPDATE on an idle stream");
      // As Go's framer: an increment of 0 is a stream error whatever the stream's state.
      if (increment === 0) this.#sendControl(rstStreamFrame(streamId, ErrorCode.ProtocolError));
      else this.#idleFrame();
      return;
    }
    if (increment === 0) {
      this.#resetStream(stream, ErrorCode.ProtocolError);
      return;
    }
    stream.sendDelta += increment;
    if (this.#sendWindow(stream) > MAX_WINDOW) {
      this.#resetStream(stream, ErrorCode.FlowControlError);
      return;
    }
    this.pump(stream);
  }

  // ---- sending ----------------------------------------------------------------

  #sendWindow(stream: H2Stream): number {
    return this.#peerInitialWindow + stream.sendDelta;
  }

  /** Moves as much of the stream's queued data into DATA frames as the windows allow; then its trailers. */
  pump(stream: H2Stream): void {
    if (stream.localEnded) return;
    const queue = stream.queue;
    while (stream.queued > 0) {
      const room = Math.min(this.#sendWindow(stream), this.#connSendWindow, this.#peerMaxFrame);
      if (room <= 0) {
        this.#blocked.add(stream);
        return;
      }
      // Coalesce queued chunks into one frame when they fit.
      let size = 0;
      let count = 0;
      while (count < queue.length && size + queue[count]!.length <= room) size += queue[count++]!.length;
      let frame: Buffer;
      if (count === 0) {
        // The first chunk alone is larger than the room: split it.
        const head = queue[0]!;
        size = room;
        frame = Buffer.allocUnsafe(FRAME_HEADER_LENGTH + size);
        head.copy(frame, FRAME_HEADER_LENGTH, 0, size);
        queue[0] = head.subarray(size);
      } else {
        frame = Buffer.allocUnsafe(FRAME_HEADER_LENGTH + size);
        let at = FRAME_HEADER_LENGTH;
        for (let i = 0; i < count; i++) {
          const chunk = queue[i]!;
          chunk.copy(frame, at);
          at += chunk.length;
        }
        queue.splice(0, count);
      }
      // DATA never carries END_STREAM: a response ends with its trailers (or an empty DATA frame, below).
      writeFrameHeader(frame, 0, FrameType.Data, 0, stream.id, size);
      stream.queued -= size;
      stream.sendDelta -= size;
      this.#connSendWindow -= size;
      this.#resetPingStrikes = true;
      this.#send(frame);
    }
    this.#blocked.delete(stream);
    if (stream.trailers !== undefined) {
      const trailers = stream.trailers;
      stream.trailers = undefined;
      if (trailers === NO_TRAILERS) this.#send(newFrame(FrameType.Data, Flag.EndStream, stream.id, 0));
      else this.writeHeaderBlock(stream.id, trailers, true);
      this.#localEnd(stream);
    } else if (stream.wantsDrain && stream.writable) {
      stream.wantsDrain = false;
      stream.listener.onDrain();
    }
  }

  /** A header block as HEADERS (+ CONTINUATION when it exceeds the peer's frame size). */
  writeHeaderBlock(streamId: number, block: Buffer, endStream: boolean): void {
    this.#resetPingStrikes = true;
    let offset = 0;
    let type = FrameType.Headers;
    do {
      const size = Math.min(block.length - offset, this.#peerMaxFrame);
      const last = offset + size === block.length;
      let flags = last ? Flag.EndHeaders : 0;
      if (type === FrameType.Headers && endStream) flags |= Flag.EndStream;
      const buf = Buffer.allocUnsafe(FRAME_HEADER_LENGTH + size);
      writeFrameHeader(buf, 0, type, flags, streamId, size);
      block.copy(buf, FRAME_HEADER_LENGTH, offset, offset + size);
      this.#send(buf);
      offset += size;
      type = FrameType.Continuation;
    } while (offset < block.length);
  }

  #localEnd(stream: H2Stream): void {
    stream.localEnded = true;
    if (!stream.remoteEnded) {
      // The response is complete before the request: tell the client to stop sending (RFC 9113 §8.1).
      this.#sendControl(rstStreamFrame(stream.id, ErrorCode.NoError));
    }
    this.#forget(stream);
  }

  resetStream(stream: H2Stream, code: ErrorCode): void {
    if (stream.localEnded) return;
    this.#resetStream(stream, code);
  }

  #resetStream(stream: H2Stream, code: ErrorCode): void {
    const wasOpen = !stream.localEnded;
    stream.localEnded = true;
    this.#sendControl(rstStreamFrame(stream.id, code));
    this.#forget(stream);
    if (wasOpen) stream.listener.onReset();
  }

  /** The stream is closed at the protocol level; its slot goes once its work (if any) has ended too. */
  #forget(stream: H2Stream): void {
    if (stream.closed) return;
    stream.closed = true;
    this.#streams.delete(stream.id);
    this.#blocked.delete(stream);
    stream.queue.length = 0;
    stream.queued = 0;
    if (!stream.working) this.releaseSlot(stream);
    if (this.#goingAway && this.#streams.size === 0) this.#endSocketAfterFlush();
  }

  /** Frees the stream's concurrency slot (once). */
  releaseSlot(stream: H2Stream): void {
    if (!stream.holdsSlot) return;
    stream.holdsSlot = false;
    this.#occupied--;
  }

  /** A control frame the client's behaviour made us send: counted until the socket has written it. */
  #sendControl(buf: Buffer): void {
    this.#queuedControl++;
    this.#send(buf);
  }

  #send(buf: Buffer): void {
    if (this.#closed) return;
    this.#out.push(buf);
    this.#outBytes += buf.length;
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      setImmediate(() => this.#flush());
    }
  }

  #flush(): void {
    this.#flushScheduled = false;
    if (this.#closed || this.#out.length === 0) return;
    const data = this.#out.length === 1 ? this.#out[0]! : Buffer.concat(this.#out, this.#outBytes);
    this.#out = [];
    this.#outBytes = 0;
    if (!this.#socket.write(data)) this.socketWritable = false;
    this.#afterSocketWrite();
  }

  /** The socket took bytes: control frames it has fully written stop counting, and reading may resume (or pause). */
  #afterSocketWrite(): void {
    if (this.#socket.writableLength === 0) this.#queuedControl = 0;
    this.#limitInput();
  }

  /** Stops reading while too much output waits for the socket: a client that does not read cannot grow our memory. */
  #limitInput(): void {
    const queued = this.#outBytes + this.#socket.writableLength;
    if (queued > MAX_QUEUED_OUTPUT) {
      if (!this.#inputPaused) {
        this.#inputPaused = true;
        this.#socket.pause();
      }
    } else if (this.#inputPaused && !this.#closed) {
      this.#inputPaused = false;
      this.#socket.resume();
    }
  }

  #onSocketDrain(): void {
    this.socketWritable = true;
    this.#afterSocketWrite();
    for (const stream of this.#streams.values()) {
      if (stream.wantsDrain && stream.writable) {
        stream.wantsDrain = false;
        stream.listener.onDrain();
      }
    }
  }

  /**
   * Arms (or disarms) the timeout of a connection stuck mid-frame or
   * mid-header-block. `progressed`: frames were completed in this chunk —
   * a client streaming steadily often leaves a chunk mid-frame, and is not stuck.
   */
  #watchStall(progressed: boolean): void {
    const midway = this.#pending !== undefined || this.#headerBlock !== undefined;
    if (!midway) {
      if (this.#stalledTimer !== undefined) {
        this.#stalledTimer();
        this.#stalledTimer = undefined;
      }
      return;
    }
    if (this.#stalledTimer === undefined) {
      this.#lastProgressMs = this.#clock.nowMs();
      this.#armStallTimer(STALLED_FRAME_TIMEOUT_MS);
    } else if (progressed) {
      this.#lastProgressMs = this.#clock.nowMs();
    }
  }

  #armStallTimer(ms: number): void {
    this.#stalledTimer = this.#clock.after(ms, () => {
      this.#stalledTimer = undefined;
      if (this.#closed) return;
      const since = this.#headerBlock !== undefined ? this.#headerBlockStartedMs : this.#lastProgressMs;
      const left = since + STALLED_FRAME_TIMEOUT_MS - this.#clock.nowMs();
      if (left > 0) this.#armStallTimer(left);
      else this.#fail(ErrorCode.ProtocolError, "stalled in the middle of a frame or header block");
    });
  }

  #endSocketAfterFlush(): void {
    setImmediate(() => {
      this.#flush();
      this.#socket.end();
    });
  }

  #fail(code: ErrorCode, message: string): void {
    if (this.#closed) return;
    this.#send(goawayFrame(this.#lastStreamId, code, message));
    this.#flush();
    // Half-close after the GOAWAY and keep reading (and dropping) what the client still sends:
    // closing with input unread sends a TCP RST, and a client's kernel may drop our GOAWAY on it
    // before the client reads it. A client that does not close within the linger, or sends more
    // than MAX_DRAIN_AFTER_GOAWAY meanwhile, is cut off.
    const socket = this.#socket;
    socket.end();
    socket.resume();
    this.#clock.after(GOAWAY_LINGER_MS, () => socket.destroy());
    this.#closeAll();
  }

  #onSocketClose(): void {
    this.#closeAll();
    for (const cb of this.#onClose) cb();
  }

  #closeAll(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#keepalive);
    clearTimeout(this.#pingTimeout);
    this.#stalledTimer?.();
    this.#stalledTimer = undefined;
    const open = [...this.#streams.values()];
    for (const stream of open) this.#forget(stream);
    this.#blocked.clear();
    for (const stream of open) {
      if (stream.localEnded) continue;
      stream.localEnded = true;
      stream.listener.onReset();
    }
  }

  // ---- keepalive ----------------------------------------------------------------

  /** (Re)starts the idle timer: a connection that has been quiet for the interval is pinged. */
  #armKeepalive(): void {
    const interval = this.#options.keepaliveIntervalMs;
    if (interval <= 0 || this.#closed || this.#pingTimeout !== undefined) return;
    if (this.#keepalive !== undefined) {
      this.#keepalive.refresh();
      return;
    }
    this.#keepalive = setTimeout(() => {
      this.#keepalive = undefined;
      if (this.#closed) return;
      this.#send(pingFrame(Buffer.alloc(8), false));
      this.#pingTimeout = setTimeout(() => this.#socket.destroy(), this.#options.keepaliveTimeoutMs);
      this.#pingTimeout.unref();
    }, interval);
    this.#keepalive.unref();
  }
}
