/**
 * The one place where grpc-js's server call objects meet the service
 * contract (src/api/rpc), for the grpc-js fallback
 * (ETCDTS_GRPC_SERVER=grpc-js): each method is registered with grpc-js
 * under its path, and each call becomes a context, a sink and a request
 * iterator. Only grpc-js's public API is used; a batch of watch responses
 * is written message by message here.
 * @module
 */
import { X509Certificate } from "node:crypto";
import type { EventEmitter } from "node:events";
import * as grpc from "@grpc/grpc-js";
import { CallCancellationBase } from "./rpc/call-cancellation.js";
import type { CallContext, Peer, ResponseSink } from "./rpc/contract.js";
import type { Method } from "./rpc/methods.js";
import { RequestQueue } from "./rpc/request-queue.js";
import { toWireError, type WireError } from "./status.js";

/**
 * grpc-js reports the client certificate of an authorized TLS connection,
 * the leaf only (not the chain it was verified by), and only for connections
 * handed to it as TLS sockets: the rewritten path for etcd 3.4's clients
 * (grpc-js-connections.ts) hides the TLS socket, so those calls have no identity.
 */
function peerOfGrpcJsCall(call: AnyCall): Peer {
  const address = call.getPeer();
  const raw = call.getAuthContext().sslPeerCertificate?.raw;
  if (raw === undefined) return { address, certificate: undefined, commonName: undefined, verifiedChain: [] };
  const certificate = new X509Certificate(raw);
  return { address, certificate, commonName: commonNameOf(certificate), verifiedChain: [certificate] };
}

/** The subject's CN; the last one when it has several, as Go reads it. */
function commonNameOf(certificate: X509Certificate): string {
  const names = certificate.subject.split("\n").filter((line) => line.startsWith("CN="));
  return names.at(-1)?.slice("CN=".length) ?? "";
}

type AnyCall = grpc.ServerUnaryCall<unknown, unknown> | grpc.ServerWritableStream<unknown, unknown> | grpc.ServerDuplexStream<unknown, unknown>;

class GrpcJsContext extends CallCancellationBase implements CallContext {
  readonly method: string;
  readonly #call: AnyCall;
  #peer: Peer | undefined;

  constructor(call: AnyCall, path: string) {
    super();
    this.method = path;
    this.#call = call;
    if (call.cancelled) this.end(grpc.status.CANCELLED, "context canceled");
    else (call as EventEmitter).once("cancelled", () => this.end(grpc.status.CANCELLED, "context canceled"));
  }

  get peer(): Peer {
    this.#peer ??= peerOfGrpcJsCall(this.#call);
    return this.#peer;
  }

  get deadline(): number | undefined {
    const d = this.#call.getDeadline();
    const ms = d instanceof Date ? d.getTime() : d;
    return Number.isFinite(ms) ? ms : undefined;
  }

  metadata(key: string): string | undefined {
    const first = this.#call.metadata.get(key)[0];
    if (first === undefined) return undefined;
    return typeof first === "string" ? first : first.toString("utf8");
  }

  /** The call is over (answered, or cancelled by the client). */
  end(code: number, message: string): void {
    this.abortCall(code, message);
  }
}

function serviceError(wire: WireError): grpc.ServiceError {
  return Object.assign(new Error(wire.message), { code: wire.code, details: wire.message, metadata: new grpc.Metadata() });
}

/** A stream's sink over grpc-js's writable side. */
class GrpcJsSink implements ResponseSink<unknown> {
  readonly #call: grpc.ServerWritableStream<unknown, unknown> | grpc.ServerDuplexStream<unknown, unknown>;
  readonly #ctx: GrpcJsContext;

  constructor(call: grpc.ServerWritableStream<unknown, unknown> | grpc.ServerDuplexStream<unknown, unknown>, ctx: GrpcJsContext) {
    this.#call = call;
    this.#ctx = ctx;
  }

  get closed(): boolean {
    return this.#ctx.aborted || this.#call.writableEnded || this.#call.destroyed;
  }

  write(response: unknown): boolean {
    if (this.closed) return false;
    return this.#call.write(response);
  }

  writeBatch(responses: readonly unknown[]): boolean {
    let more = !this.closed;
    for (const r of responses) more = this.write(r);
    return more;
  }

  ready(): Promise<void> {
    const call = this.#call;
    if (this.closed || !call.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        call.off("drain", done);
        call.off("cancelled", done);
        call.off("close", done);
        resolve();
      };
      call.on("drain", done);
      call.on("cancelled", done);
      call.on("close", done);
    });
  }
}

/** Ends a stream with the handler's outcome, unless the client is gone. */
function settleStream(call: grpc.ServerWritableStream<unknown, unknown> | grpc.ServerDuplexStream<unknown, unknown>, ctx: GrpcJsContext, run: Promise<void>): void {
  run.then(
    () => {
      if (!ctx.aborted) call.end();
      ctx.end(grpc.status.OK, "");
    },
    (err: unknown) => {
      const wire = toWireError(err);
      // grpc-js's way to end a stream with a status.
      if (!ctx.aborted) call.emit("error", serviceError(wire));
      ctx.end(wire.code, wire.message);
    },
  );
}

/** The client's requests on a bidi stream, read with back-pressure (the call is paused while one waits unread). */
function requestsOf(call: grpc.ServerDuplexStream<unknown, unknown>): RequestQueue<unknown> {
  const queue = new RequestQueue<unknown>({ pause: () => call.pause(), resume: () => call.resume() });
  call.on("data", (message: unknown) => queue.push(message));
  call.once("end", () => queue.end());
  call.once("cancelled", () => queue.close());
  call.once("close", () => queue.close());
  return queue;
}

/** Registers `methods` with a grpc-js server, each under its path. */
export function registerWithGrpcJs(server: grpc.Server, methods: readonly Method[]): void {
  for (const method of methods) {
    const path = method.info.path;
    const serialize = (response: unknown): Buffer => method.encode(response as never);
    const deserialize = (bytes: Buffer): unknown => method.decode(bytes);
    switch (method.kind) {
      case "unary": {
        const handler = method.handler;
        const handle: grpc.handleUnaryCall<unknown, unknown> = (call, callback) => {
          const ctx = new GrpcJsContext(call, path);
          handler(call.request as never, ctx).then(
            (response) => {
              ctx.end(grpc.status.OK, "");
              callback(null, response);
            },
            (err: unknown) => {
              const wire = toWireError(err);
              ctx.end(wire.code, wire.message);
              callback(serviceError(wire));
            },
          );
        };
        server.register(path, handle, serialize, deserialize, "unary");
        break;
      }
      case "server_stream": {
        const handler = method.handler;
        const handle: grpc.handleServerStreamingCall<unknown, unknown> = (call) => {
          const ctx = new GrpcJsContext(call, path);
          settleStream(call, ctx, handler(call.request as never, new GrpcJsSink(call, ctx), ctx));
        };
        server.register(path, handle, serialize, deserialize, "serverStream");
        break;
      }
      case "bidi_stream": {
        const handler = method.handler;
        const handle: grpc.handleBidiStreamingCall<unknown, unknown> = (call) => {
          const ctx = new GrpcJsContext(call, path);
          settleStream(call, ctx, handler(requestsOf(call) as AsyncIterable<never>, new GrpcJsSink(call, ctx), ctx));
        };
        server.register(path, handle, serialize, deserialize, "bidi");
        break;
      }
    }
  }
}
