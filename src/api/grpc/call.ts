/**
 * One gRPC call on an HTTP/2 stream, with the surface of grpc-js's server
 * call objects that our handlers use, so the same handler runs on either
 * server: `request`, `metadata`, `cancelled`; for streams `write` (false =
 * wait for 'drain'), `end`, `pause`/`resume`, and the events 'data', 'end',
 * 'cancelled', 'drain', 'finish', 'close'. A handler ends a call with an
 * error by emitting 'error' with `{ code, details }`, as with grpc-js.
 * @module
 */
import { EventEmitter } from "node:events";
import type { H2Stream, StreamListener } from "../h2/connection.js";
import { ErrorCode } from "../h2/frames.js";
import type { RequestMetadata } from "./metadata.js";
import { Code, frameMessage, MessageReader, OK_TRAILERS, RESPONSE_HEADERS, statusBlock, StatusError } from "./wire.js";

/** The longest delay setTimeout honours. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export type MethodKind = "unary" | "client_stream" | "server_stream" | "bidi_stream";

/** What a registered method needs from its definition. */
export interface MethodCodec {
  requestDeserialize(bytes: Buffer): unknown;
  responseSerialize(value: unknown): Buffer;
}

export type UnaryCallback = (err: { code?: number; details?: string; message?: string } | null, value?: unknown) => void;

export interface CallOptions {
  kind: MethodKind;
  codec: MethodCodec;
  maxReceiveBytes: number;
  encoding: string | undefined;
  timeoutMs: number | undefined;
  peer: string;
  /** Runs the handler: for unary and server streams once the request message is in. */
  start(call: ServerCall): void;
}

export class ServerCall extends EventEmitter implements StreamListener {
  readonly metadata: RequestMetadata;
  request: unknown = undefined;
  cancelled = false;
  readonly #stream: H2Stream;
  readonly #options: CallOptions;
  readonly #reader: MessageReader;
  #started = false;
  #done = false;
  #paused = false;
  #inputEnded = false;
  #endEmitted = false;
  readonly #inbox: unknown[] = [];
  #deadline: NodeJS.Timeout | undefined;

  constructor(stream: H2Stream, metadata: RequestMetadata, options: CallOptions) {
    super();
    this.#stream = stream;
    this.metadata = metadata;
    this.#options = options;
    this.#reader = new MessageReader(options.maxReceiveBytes, options.encoding);
    // A handler ends the call with a status by emitting 'error' (grpc-js's convention).
    this.on("error", (err: { code?: unknown; details?: unknown; message?: unknown }) => {
      const code = typeof err?.code === "number" ? err.code : Code.UNKNOWN;
      const details = typeof err?.details === "string" ? err.details : typeof err?.message === "string" ? err.message : "";
      this.sendStatus(code, details);
    });
    // setTimeout fires at once for delays past 2^31-1 ms (~24.8 days): a deadline that far is no deadline.
    if (options.timeoutMs !== undefined && options.timeoutMs <= MAX_TIMER_MS) {
      this.#deadline = setTimeout(() => this.#expire(), options.timeoutMs);
    }
    if (options.kind === "client_stream" || options.kind === "bidi_stream") this.#start();
  }

  getPeer(): string {
    return this.#options.peer;
  }

  // ---- the HTTP/2 stream's events ---------------------------------------------------

  onData(chunk: Buffer): void {
    if (this.#done) return;
    try {
      this.#reader.push(chunk, (bytes) => this.#onMessage(bytes));
    } catch (err) {
      const e = err instanceof StatusError ? err : new StatusError(Code.INTERNAL, String(err));
      this.sendStatus(e.code, e.details);
    }
  }

  onEnd(): void {
    if (this.#done) return;
    if (this.#reader.partial) {
      this.sendStatus(Code.INTERNAL, "grpc: stream ended in the middle of a message");
      return;
    }
    this.#inputEnded = true;
    if (this.#started) {
      this.#deliver();
      return;
    }
    // Unary and server streams: exactly one request message.
    if (this.#inbox.length !== 1) {
      this.sendStatus(Code.INTERNAL, this.#inbox.length === 0 ? "grpc: no request message" : "grpc: more than one request message for a unary method");
      return;
    }
    this.request = this.#inbox.shift();
    this.#start();
  }

  onReset(): void {
    this.#cancel();
  }

  onDrain(): void {
    this.emit("drain");
  }

  #onMessage(bytes: Buffer): void {
    let message: unknown;
    try {
      message = this.#options.codec.requestDeserialize(bytes);
    } catch (err) {
      throw new StatusError(Code.INTERNAL, `grpc: error unmarshalling request: ${(err as Error).message}`);
    }
    if (!this.#started) {
      if (this.#inbox.length > 0) throw new StatusError(Code.INTERNAL, "grpc: more than one request message for a unary method");
      this.#inbox.push(message);
      return;
    }
    this.push(message);
  }

  #start(): void {
    this.#started = true;
    this.#options.start(this);
  }

  // ---- the readable side (streams from the client) ----------------------------------

  /** Delivers one request message (null = the client's end); grpc-js's name, which metrics hook. */
  push(message: unknown): boolean {
    if (message === null) {
      this.#inputEnded = true;
    } else {
      this.#inbox.push(message);
    }
    this.#deliver();
    return !this.#paused;
  }

  #deliver(): void {
    while (!this.#paused && this.#inbox.length > 0 && !this.#done) this.emit("data", this.#inbox.shift());
    if (!this.#paused && this.#inputEnded && this.#inbox.length === 0 && !this.#endEmitted && !this.#done) {
      this.#endEmitted = true;
      this.emit("end");
    }
  }

  pause(): this {
    if (!this.#paused) {
      this.#paused = true;
      this.#stream.pauseInput();
    }
    return this;
  }

  resume(): this {
    if (this.#paused) {
      this.#paused = false;
      this.#stream.resumeInput();
      this.#deliver();
    }
    return this;
  }

  isPaused(): boolean {
    return this.#paused;
  }

  // ---- the writable side ------------------------------------------------------------

  /** Sends one response message; false when the caller should wait for 'drain'. */
  write(message: unknown): boolean {
    if (this.#done) return false;
    return this.writeFramed(frameMessage(this.#options.codec.responseSerialize(message)));
  }

  /** Sends bytes that are already gRPC-framed messages (the watch fast path). */
  writeFramed(frames: Buffer): boolean {
    if (this.#done) return false;
    this.#stream.sendHeaders(RESPONSE_HEADERS);
    return this.#stream.write(frames);
  }

  /** Ends a stream with OK. */
  end(): void {
    this.sendStatus(Code.OK, "");
  }

  /** The unary answer: the response, or an error status. */
  readonly callback: UnaryCallback = (err, value) => {
    if (this.#done) return;
    if (err !== null && err !== undefined) {
      const code = typeof err.code === "number" ? err.code : Code.UNKNOWN;
      this.sendStatus(code, err.details ?? err.message ?? "");
      return;
    }
    let body: Buffer;
    try {
      body = frameMessage(this.#options.codec.responseSerialize(value));
    } catch (e) {
      this.sendStatus(Code.INTERNAL, `grpc: error while marshaling: ${(e as Error).message}`);
      return;
    }
    this.#finish();
    this.#stream.respond(RESPONSE_HEADERS, body, OK_TRAILERS);
    this.emit("finish");
    this.emit("close");
  };

  sendStatus(code: number, details: string): void {
    if (this.#done) return;
    const headersSent = this.#stream.headersSent;
    this.#finish();
    if (code === Code.OK && headersSent) this.#stream.end(OK_TRAILERS);
    else this.#stream.end(statusBlock(code, details, !headersSent));
    this.emit("finish");
    this.emit("close");
  }

  #finish(): void {
    this.#done = true;
    clearTimeout(this.#deadline);
    this.#inbox.length = 0;
  }

  #expire(): void {
    if (this.#done) return;
    this.sendStatus(Code.DEADLINE_EXCEEDED, "context deadline exceeded");
    this.cancelled = true;
    this.emit("cancelled", "deadline");
  }

  #cancel(): void {
    if (this.#done) return;
    this.#finish();
    this.cancelled = true;
    this.emit("cancelled", "cancelled");
    this.emit("close");
  }

  /** Resets the stream without a status (the server is going away). */
  abort(): void {
    if (this.#done) return;
    this.#stream.reset(ErrorCode.Cancel);
    this.#cancel();
  }
}
