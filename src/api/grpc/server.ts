/**
 * Our gRPC server: contract handlers (src/api/rpc) registered by method
 * path, with the request decoder and response encoder of the ts-proto
 * generated service definitions, served over our own HTTP/2 (src/api/h2).
 * The client listener hands it each connection that opened with the HTTP/2
 * preface.
 * @module
 */
import type { Socket } from "node:net";
import type { Http2Server } from "../client-listener.js";
import { H2Connection, type H2Options, type H2Stream } from "../h2/connection.js";
import { encodeHeaders } from "../h2/hpack.js";
import type { Peer, ServiceHandlers } from "../rpc/contract.js";
import { bindService, type Interceptor, type Method, type ServiceDefinition } from "../rpc/methods.js";
import { peerOf } from "../peer.js";
import { ServerCall } from "./call.js";
import { Code, parseTimeout, percentEncode, statusBlock } from "./wire.js";

export interface GrpcServerOptions extends Omit<H2Options, "streamWindow" | "connectionWindow" | "maxHeaderListSize"> {
  /** Largest request message accepted (grpc's max receive message length). */
  maxReceiveBytes: number;
}

/** Per-stream receive window: a few large requests in flight without waiting for window updates. */
const STREAM_WINDOW = 1024 * 1024;
const CONNECTION_WINDOW = 16 * 1024 * 1024;
const MAX_HEADER_LIST = 1024 * 1024;

export class GrpcServer implements Http2Server {
  readonly #options: GrpcServerOptions;
  readonly #h2: H2Options;
  readonly #methods = new Map<string, Method>();
  readonly #services = new Set<string>();
  readonly #connections = new Set<H2Connection>();
  #closing = false;

  constructor(options: GrpcServerOptions) {
    this.#options = options;
    this.#h2 = { ...options, streamWindow: STREAM_WINDOW, connectionWindow: CONNECTION_WINDOW, maxHeaderListSize: MAX_HEADER_LIST };
  }

  /** Serves `methods` (see bindService) by their paths. */
  addMethods(methods: readonly Method[]): void {
    for (const m of methods) {
      this.#services.add(m.info.service);
      this.#methods.set(m.info.path, m);
    }
  }

  /** Serves a service's handlers, wrapped by `interceptors` (the first is outermost). */
  addService<S extends ServiceDefinition>(definition: S, handlers: ServiceHandlers<S>, interceptors: readonly Interceptor[] = []): void {
    this.addMethods(bindService(definition, handlers, interceptors));
  }

  /** Serves a connection whose client preface has been read; `afterPreface` is what came with it. */
  serve(socket: Socket, afterPreface: Buffer): void {
    const peer = peerOf(socket);
    const conn = new H2Connection(socket, this.#h2, (stream) => this.#onStream(stream, peer));
    this.#connections.add(conn);
    conn.onClose(() => this.#connections.delete(conn));
    conn.start(afterPreface);
    if (this.#closing) conn.goaway();
  }

  /** Asks every client to go away (GOAWAY), now and on any later connection; open calls finish. */
  close(): void {
    this.#closing = true;
    for (const conn of this.#connections) conn.goaway();
  }

  /** Closes every connection at once. */
  forceShutdown(): void {
    for (const conn of this.#connections) conn.destroy();
    this.#connections.clear();
  }

  #onStream(stream: H2Stream, peer: Peer): void {
    const headers = stream.headers;
    let path = "";
    let contentType = "";
    let timeout: string | undefined;
    let encoding: string | undefined;
    for (let i = 0; i < headers.length; i += 2) {
      const name = headers[i]!;
      if (name === ":path") path = headers[i + 1]!;
      else if (name === "content-type") contentType = headers[i + 1]!;
      else if (name === "grpc-timeout") timeout = headers[i + 1];
      else if (name === "grpc-encoding") encoding = headers[i + 1];
    }
    if (!contentType.startsWith("application/grpc")) {
      notGrpc(stream, contentType);
      return;
    }
    const method = this.#methods.get(path);
    if (method === undefined) {
      stream.end(statusBlock(Code.UNIMPLEMENTED, this.#unknownMethod(path), true));
      return;
    }
    stream.listener = new ServerCall(stream, method, {
      maxReceiveBytes: this.#options.maxReceiveBytes,
      encoding,
      timeoutMs: timeout === undefined ? undefined : parseTimeout(timeout),
      peer,
    });
  }

  /** grpc-go's words for a path it has no handler for. */
  #unknownMethod(path: string): string {
    const slash = path.lastIndexOf("/");
    if (!path.startsWith("/") || slash <= 0) return `malformed method name: "${path}"`;
    const service = path.slice(1, slash);
    const method = path.slice(slash + 1);
    return this.#services.has(service) ? `unknown method ${method} for service ${service}` : `unknown service ${service}`;
  }
}

/** Request body bytes of a non-gRPC request read (and dropped) before it is answered anyway. */
const NOT_GRPC_BODY_LIMIT = 64 * 1024;

/**
 * grpc-go's answer to a request that is not gRPC: HTTP 415 with status
 * INTERNAL and its message — here with the message as a text body too, so
 * that a plain HTTP/2 client (curl, a browser, h2spec) gets a response body.
 * The request body is read first (so its content-length is checked, as an
 * HTTP server does), up to a small limit.
 */
function notGrpc(stream: H2Stream, contentType: string): void {
  let bodyBytes = 0;
  let answered = false;
  const answer = (): void => {
    if (answered) return;
    answered = true;
    const message = `invalid gRPC request content-type "${contentType}"`;
    const headers = encodeHeaders([
      [":status", "415"],
      ["content-type", "text/plain; charset=utf-8"],
      ["grpc-status", String(Code.INTERNAL)],
      ["grpc-message", percentEncode(message)],
    ]);
    stream.respondPlain(headers, Buffer.from(`${message}\n`, "utf8"));
  };
  stream.listener = {
    onData(chunk) {
      bodyBytes += chunk.length;
      if (bodyBytes > NOT_GRPC_BODY_LIMIT) answer();
    },
    onEnd: answer,
    onReset() {},
    onDrain() {},
  };
}
