/**
 * Our gRPC server: service definitions and handlers in grpc-js's shapes
 * (ts-proto generates the definitions; the handlers in src/api are written
 * against grpc-js's types), served over our own HTTP/2 (src/api/h2). The
 * client listener hands it each connection that opened with the HTTP/2
 * preface.
 * @module
 */
import type { Socket } from "node:net";
import { H2Connection, type H2Options, type H2Stream } from "../h2/connection.js";
import { ServerCall, type MethodCodec, type MethodKind, type UnaryCallback } from "./call.js";
import { RequestMetadata } from "./metadata.js";
import { Code, parseTimeout, statusBlock } from "./wire.js";

/** A method as ts-proto's generated service definition describes it (grpc-js's MethodDefinition). */
export interface MethodDefinition {
  path: string;
  requestStream: boolean;
  responseStream: boolean;
  requestDeserialize(bytes: Buffer): unknown;
  responseSerialize(value: never): Buffer;
  originalName?: string;
}

export type ServiceDefinition = Record<string, MethodDefinition>;
type Handler = (...args: never[]) => void;
export type ServiceImplementation = Record<string, Handler | undefined>;

export interface GrpcServerOptions extends Omit<H2Options, "streamWindow" | "connectionWindow" | "maxHeaderListSize"> {
  /** Largest request message accepted (grpc's max receive message length). */
  maxReceiveBytes: number;
}

interface RegisteredMethod {
  kind: MethodKind;
  codec: MethodCodec;
  handler: Handler;
}

/** Per-stream receive window: a few large requests in flight without waiting for window updates. */
const STREAM_WINDOW = 1024 * 1024;
const CONNECTION_WINDOW = 16 * 1024 * 1024;
const MAX_HEADER_LIST = 1024 * 1024;

export class GrpcServer {
  readonly #options: GrpcServerOptions;
  readonly #h2: H2Options;
  readonly #methods = new Map<string, RegisteredMethod>();
  readonly #services = new Set<string>();
  readonly #connections = new Set<H2Connection>();
  #closing = false;

  constructor(options: GrpcServerOptions) {
    this.#options = options;
    this.#h2 = { ...options, streamWindow: STREAM_WINDOW, connectionWindow: CONNECTION_WINDOW, maxHeaderListSize: MAX_HEADER_LIST };
  }

  addService(service: ServiceDefinition, implementation: ServiceImplementation): void {
    for (const [name, def] of Object.entries(service)) {
      const handler = implementation[name] ?? (def.originalName !== undefined ? implementation[def.originalName] : undefined);
      const slash = def.path.lastIndexOf("/");
      this.#services.add(def.path.slice(1, slash));
      if (handler === undefined) continue;
      const kind: MethodKind = def.requestStream ? (def.responseStream ? "bidi_stream" : "client_stream") : def.responseStream ? "server_stream" : "unary";
      this.#methods.set(def.path, {
        kind,
        codec: def as unknown as MethodCodec,
        handler: handler.bind(implementation) as Handler,
      });
    }
  }

  /** Serves a connection whose client preface has been read; `afterPreface` is what came with it. */
  serve(socket: Socket, afterPreface: Buffer): void {
    const peer = `${socket.remoteAddress ?? ""}:${socket.remotePort ?? ""}`;
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

  #onStream(stream: H2Stream, peer: string): void {
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
      stream.end(statusBlock(Code.INTERNAL, `invalid gRPC request content-type "${contentType}"`, true));
      return;
    }
    const method = this.#methods.get(path);
    if (method === undefined) {
      stream.end(statusBlock(Code.UNIMPLEMENTED, this.#unknownMethod(path), true));
      return;
    }
    const call = new ServerCall(stream, new RequestMetadata(headers), {
      kind: method.kind,
      codec: method.codec,
      maxReceiveBytes: this.#options.maxReceiveBytes,
      encoding,
      timeoutMs: timeout === undefined ? undefined : parseTimeout(timeout),
      peer,
      start: (c) => invoke(method, c),
    });
    stream.listener = call;
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

function invoke(method: RegisteredMethod, call: ServerCall): void {
  const handler = method.handler as (call: ServerCall, callback?: UnaryCallback) => void;
  try {
    if (method.kind === "unary" || method.kind === "client_stream") handler(call, call.callback);
    else handler(call);
  } catch (err) {
    call.sendStatus(Code.UNKNOWN, err instanceof Error ? err.message : String(err));
  }
}
