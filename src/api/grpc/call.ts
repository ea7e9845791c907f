/**
 * One gRPC call on an HTTP/2 stream, served to a contract handler
 * (src/api/rpc): the call is the handler's context, its response sink and —
 * for a bidi stream — the source of its request queue. The handler's
 * promise decides the status: resolved is OK (with the response, for a
 * unary call), rejected is the error's status through status.ts.
 * @module
 */
import type { H2Stream, StreamListener } from "../h2/connection.js";
import { CallCancellationBase } from "../rpc/call-cancellation.js";
import type { CallContext, Peer, ResponseSink } from "../rpc/contract.js";
import { RpcError } from "../rpc/contract.js";
import type { AnyBidiStream, AnyServerStream, AnyUnary, Method } from "../rpc/methods.js";
import { RequestQueue } from "../rpc/request-queue.js";
import { toWireError } from "../status.js";
import { metadataValue } from "./metadata.js";
import { Code, frameMessage, MessageReader, OK_TRAILERS, RESPONSE_HEADERS, statusBlock } from "./wire.js";

/** The longest delay setTimeout honours. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface CallOptions {
  maxReceiveBytes: number;
  encoding: string | undefined;
  timeoutMs: number | undefined;
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
  readonly #deadline: number | undefined;
  #timer: NodeJS.Timeout | undefined;
  #drainWaiters: (() => void)[] | undefined;

  constructor(stream: H2Stream, method: Method, options: CallOptions) {
    super();
    this.#stream = stream;
    this.#method = method;
    this.peer = options.peer;
    this.#reader = new MessageReader(options.maxReceiveBytes, options.encoding);
    if (options.timeoutMs !== undefined) {
      this.#deadline = Date.now() + options.timeoutMs;
      // setTimeout fires at once for delays past 2^31-1 ms (~24.8 days): a deadline that far is no deadline.
      if (options.timeoutMs <= MAX_TIMER_MS) this.#timer = setTimeout(() => this.#expire(), options.timeoutMs);
    }
    if (method.kind === "bidi_stream") {
      this.#requests = new RequestQueue({ pause: () => stream.pauseInput(), resume: () => stream.resumeInput() });
      void this.#runBidi(method.handler, this.#requests);
    }
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
    try {
      this.#reader.push(chunk, (bytes) => this.#onMessage(bytes));
    } catch (err) {
      const e = err instanceof RpcError ? err : new RpcError(Code.INTERNAL, String(err));
      this.#endWith(e.code, e.message);
    }
  }

  onEnd(): void {
    if (this.#done) return;
    if (this.#reader.partial) {
      this.#endWith(Code.INTERNAL, "grpc: stream ended in the middle of a message");
      return;
    }
    if (this.#requests !== undefined) {
      this.#requests.end();
      return;
    }
    // Unary and server streams: exactly one request message.
    if (this.#received !== 1) {
      this.#endWith(Code.INTERNAL, this.#received === 0 ? "grpc: no request message" : "grpc: more than one request message for a unary method");
      return;
    }
    const method = this.#method;
    if (method.kind === "unary") void this.#runUnary(method.handler);
    else if (method.kind === "server_stream") void this.#runServerStream(method.handler);
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

  #onMessage(bytes: Buffer): void {
    let message: unknown;
    try {
      message = this.#method.decode(bytes);
    } catch (err) {
      throw new RpcError(Code.INTERNAL, `grpc: error unmarshalling request: ${(err as Error).message}`);
    }
    if (this.#requests !== undefined) {
      this.#requests.push(message);
      return;
    }
    if (this.#received++ > 0) throw new RpcError(Code.INTERNAL, "grpc: more than one request message for a unary method");
    this.#request = message;
  }

  // ---- running the handler ---------------------------------------------------------------

  async #runUnary(handler: AnyUnary): Promise<void> {
    let response: unknown;
    try {
      response = await handler(this.#request as never, this);
    } catch (err) {
      this.#fail(err);
      return;
    }
    this.#respond(response);
  }

  async #runServerStream(handler: AnyServerStream): Promise<void> {
    try {
      await handler(this.#request as never, this, this);
    } catch (err) {
      this.#fail(err);
      return;
    }
    this.#endWith(Code.OK, "");
  }

  async #runBidi(handler: AnyBidiStream, requests: RequestQueue<unknown>): Promise<void> {
    try {
      await handler(requests as AsyncIterable<never>, this, this);
    } catch (err) {
      this.#fail(err);
      return;
    }
    this.#endWith(Code.OK, "");
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
