/**
 * One gRPC call on an HTTP/2 stream, served to a contract handler
 * (src/api/rpc): the call is the handler's context, its response sink and —
 * for a bidi stream — the source of its request queue. The handler's
 * promise decides the status: resolved is OK (with the response, for a
 * unary call), rejected is the error's status through status.ts.
 *
 * A handler starts in a microtask, after the HTTP/2 connection has parsed
 * the rest of the socket read that completed the request: a call the client
 * reset (or that ended otherwise) in that same read never starts, so a
 * client that sends requests each followed at once by RST_STREAM gets no
 * work done. The stream is told when a handler's work begins and ends
 * (`beginWork`/`endWork`), so the connection can count work still running
 * for streams that are already closed.
 * @module
 */
import type { H2Stream, StreamListener } from "../h2/connection.js";
import { ErrorCode } from "../h2/frames.js";
import { CallCancellationBase } from "../rpc/call-cancellation.js";
import type { CallContext, Peer, ResponseSink } from "../rpc/contract.js";
import { RpcError } from "../rpc/contract.js";
import type { AnyBidiStream, AnyServerStream, AnyUnary, Method } from "../rpc/methods.js";
import { RequestQueue } from "../rpc/request-queue.js";
import { toWireError } from "../status.js";
import { metadataValue } from "./metadata.js";
import { Code, frameMessage, MALFORMED_TIMEOUT, MessageReader, OK_TRAILERS, requestEncoding, RESPONSE_HEADERS, statusBlock, type Timeout } from "./wire.js";

/** The longest delay setTimeout honours. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface CallOptions {
  maxReceiveBytes: number;
  /** The grpc-encoding header. */
  encoding: string | undefined;
  /** The grpc-timeout header, parsed (wire.ts parseTimeout); undefined without one. */
  timeoutMs: Timeout | undefined;
  peer: Peer;
}

export class ServerCall extends CallCancellationBase implements CallContext, ResponseSink<unknown>, StreamListener {
  readonly peer: Peer;
  readonly #stream: H2Stream;
  readonly #method: Method;
  readonly #reader: MessageReader;
  /** Bidi streams: the requests, as the handler reads them. */
  readonly #requests: RequestQueue<unknown> | undefined;
  /** Unary and server streams: the one request message. */
  #request: unknown = undefined;
  #received = 0;
  #done = false;
  /** The client half-closed (bidi: the requests end once the reader has handed out what it holds). */
  #remoteEnded = false;
  /** Bidi: the request queue holds a message the handler has not claimed; the reader keeps the rest as bytes. */
  #inputPaused = false;
  readonly #deadline: number | undefined;
  #timer: NodeJS.Timeout | undefined;
  #drainWaiters: (() => void)[] | undefined;

  constructor(stream: H2Stream, method: Method, options: CallOptions) {
    super();
    this.#stream = stream;
    this.#method = method;
    this.peer = options.peer;
    const encoding = requestEncoding(options.encoding);
    // A refused encoding ends the call below: its reader is never read.
    this.#reader = new MessageReader(options.maxReceiveBytes, encoding instanceof RpcError ? "identity" : encoding);
    if (method.kind === "bidi_stream") {
      this.#requests = new RequestQueue({ pause: () => this.#pauseInput(), resume: () => this.#resumeInput() });
    }
    const timeout = options.timeoutMs;
    if (timeout === MALFORMED_TIMEOUT) {
      // grpc-go's answer: the stream is reset, no status.
      this.#finish(Code.INTERNAL, "transport: malformed time-out");
      stream.reset(ErrorCode.ProtocolError);
      return;
    }
    if (encoding instanceof RpcError) {
      this.#endWith(encoding.code, encoding.message);
      return;
    }
    if (timeout !== undefined) {
      this.#deadline = Date.now() + timeout;
      if (timeout <= 0) {
        this.#expire();
        return;
      }
      // setTimeout fires at once for delays past 2^31-1 ms (~24.8 days): a deadline that far is no deadline.
      if (timeout <= MAX_TIMER_MS) this.#timer = setTimeout(() => this.#expire(), timeout);
    }
    // A bidi handler runs from the start; it too waits for the rest of this read.
    if (this.#requests !== undefined) queueMicrotask(() => this.#start());
  }

  // ---- the context -------------------------------------------------------------------

  get method(): string {
    return this.#method.info.path;
  }

  get deadline(): number | undefined {
    return this.#deadline;
  }

  metadata(key: string): string | undefined {
    return metadataValue(this.#stream.headers, key);
  }

  // ---- the HTTP/2 stream's events ------------------------------------------------------

  onData(chunk: Buffer): void {
    if (this.#done) return;
    this.#reader.push(chunk);
    if (!this.#inputPaused) this.#readMessages();
  }

  onEnd(): void {
    if (this.#done) return;
    this.#remoteEnded = true;
    if (this.#reader.partial) {
      this.#endWith(Code.INTERNAL, "grpc: stream ended in the middle of a message");
      return;
    }
    if (this.#requests !== undefined) {
      if (this.#reader.buffered === 0) this.#requests.end();
      return;
    }
    // Unary and server streams: exactly one request message.
    if (this.#received !== 1) {
      this.#endWith(Code.INTERNAL, this.#received === 0 ? "grpc: no request message" : "grpc: more than one request message for a unary method");
      return;
    }
    queueMicrotask(() => this.#start());
  }

  onReset(): void {
    // Nothing can be sent on a reset stream: the call just ends.
    this.#finish(Code.CANCELLED, "context canceled");
  }

  onDrain(): void {
    const waiters = this.#drainWaiters;
    this.#drainWaiters = undefined;
    if (waiters !== undefined) for (const w of waiters) w();
  }

  // ---- reading requests ------------------------------------------------------------------

  /**
   * Takes the complete messages out of the reader: all of them for a unary
   * call (one is allowed), and for a bidi stream only while the request queue
   * has room — the rest stay raw bytes, which flow control bounds.
   */
  #readMessages(): void {
    const reader = this.#reader;
    const requests = this.#requests;
    try {
      if (requests === undefined) {
        for (let bytes = reader.next(); bytes !== undefined; bytes = reader.next()) {
          if (this.#received++ > 0) throw new RpcError(Code.INTERNAL, "grpc: more than one request message for a unary method");
          this.#request = this.#decode(bytes);
        }
        return;
      }
      while (!this.#inputPaused) {
        const bytes = reader.next();
        if (bytes === undefined) break;
        requests.push(this.#decode(bytes));
      }
      if (this.#remoteEnded && reader.buffered === 0) requests.end();
    } catch (err) {
      const e = err instanceof RpcError ? err : new RpcError(Code.INTERNAL, String(err));
      this.#endWith(e.code, e.message);
    }
  }

  #decode(bytes: Buffer): unknown {
    try {
      return this.#method.decode(bytes);
    } catch (err) {
      throw new RpcError(Code.INTERNAL, `grpc: error unmarshalling request: ${(err as Error).message}`);
    }
  }

  #pauseInput(): void {
    this.#inputPaused = true;
    this.#stream.pauseInput();
  }

  /** The handler claimed what the queue held: hand it what the reader holds, then let the client send more. */
  #resumeInput(): void {
    this.#inputPaused = false;
    this.#readMessages();
    if (!this.#inputPaused && !this.#done) this.#stream.resumeInput();
  }

  // ---- running the handler ---------------------------------------------------------------

  /** Runs the handler, unless the call ended before its turn came (reset, deadline, shutdown). */
  #start(): void {
    if (this.#done) return;
    const method = this.#method;
    this.#stream.beginWork();
    switch (method.kind) {
      case "unary":
        void this.#runUnary(method.handler);
        return;
      case "server_stream":
        void this.#runServerStream(method.handler);
        return;
      case "bidi_stream":
        void this.#runBidi(method.handler, this.#requests!);
        return;
    }
  }

  // Each ends the stream's work once the handler's promise settled and its outcome is sent.

  async #runUnary(handler: AnyUnary): Promise<void> {
    try {
      let response: unknown;
      try {
        response = await handler(this.#request as never, this);
      } catch (err) {
        this.#fail(err);
        return;
      }
      this.#respond(response);
    } finally {
      this.#stream.endWork();
    }
  }

  async #runServerStream(handler: AnyServerStream): Promise<void> {
    try {
      await handler(this.#request as never, this, this);
      this.#endWith(Code.OK, "");
    } catch (err) {
      this.#fail(err);
    } finally {
      this.#stream.endWork();
    }
  }

  async #runBidi(handler: AnyBidiStream, requests: RequestQueue<unknown>): Promise<void> {
    try {
      await handler(requests as AsyncIterable<never>, this, this);
      this.#endWith(Code.OK, "");
    } catch (err) {
      this.#fail(err);
    } finally {
      this.#stream.endWork();
    }
  }

  // ---- the sink ----------------------------------------------------------------------------

  write(response: unknown): boolean {
    if (this.#done) return false;
    const bytes = frameMessage(this.#method.encode(response as never));
    this.#stream.sendHeaders(RESPONSE_HEADERS);
    return this.#stream.write(bytes);
  }

  writeBatch(responses: readonly unknown[]): boolean {
    if (this.#done) return false;
    if (responses.length === 0) return this.#stream.writable;
    const frame = this.#method.frameBatch;
    const bytes =
      frame !== undefined
        ? frame(responses as readonly never[])
        : Buffer.concat(responses.map((r) => frameMessage(this.#method.encode(r as never))));
    this.#stream.sendHeaders(RESPONSE_HEADERS);
    return this.#stream.write(bytes);
  }

  ready(): Promise<void> {
    if (this.#done || this.#stream.writable) return Promise.resolve();
    this.#stream.wantsDrain = true;
    return new Promise((resolve) => (this.#drainWaiters ??= []).push(resolve));
  }

  get closed(): boolean {
    return this.#done;
  }

  // ---- ending --------------------------------------------------------------------------------

  #respond(response: unknown): void {
    if (this.#done) return;
    let body: Buffer;
    try {
      body = frameMessage(this.#method.encode(response as never));
    } catch (e) {
      this.#endWith(Code.INTERNAL, `grpc: error while marshaling: ${(e as Error).message}`);
      return;
    }
    this.#finish(Code.OK, "");
    this.#stream.respond(RESPONSE_HEADERS, body, OK_TRAILERS);
  }

  #fail(err: unknown): void {
    if (this.#done) return;
    const wire = toWireError(err);
    this.#endWith(wire.code, wire.message);
  }

  /** Ends the call with a status. */
  #endWith(code: number, message: string): void {
    if (this.#done) return;
    const headersSent = this.#stream.headersSent;
    this.#finish(code, message);
    if (code === Code.OK && headersSent) this.#stream.end(OK_TRAILERS);
    else this.#stream.end(statusBlock(code, message, !headersSent));
  }

  #finish(code: number, message: string): void {
    if (this.#done) return;
    this.#done = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#request = undefined;
    this.#requests?.close();
    this.onDrain();
    this.abortCall(code, message);
  }

  #expire(): void {
    this.#endWith(Code.DEADLINE_EXCEEDED, "context deadline exceeded");
  }
}
