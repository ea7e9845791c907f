/**
 * The service contract: what an RPC handler sees, whichever transport serves
 * it (our HTTP/2 + gRPC server, or grpc-js as a fallback). A handler is a
 * function of a typed request and a call context; a server stream writes to
 * a sink; a bidi stream reads its requests from an AsyncIterable. A handler
 * ends a call with an error by rejecting; the error becomes the gRPC status
 * through status.ts, in one place.
 * @module
 */
import type { X509Certificate } from "node:crypto";
import type { Cancellation } from "../../server/api.js";

/** Who is calling: the socket's address and, on TLS with a verified client certificate, who the certificate names. */
export type Peer = PlainPeer | VerifiedPeer;

/** A caller on plain text, or on TLS without a client certificate. */
export interface PlainPeer {
  /** "host:port" of the client's socket. */
  readonly address: string;
  readonly certificate: undefined;
  readonly commonName: undefined;
  readonly verifiedChain: readonly [];
}

/** A caller whose TLS client certificate was verified against the trusted CA (what authentication reads as a user name). */
export interface VerifiedPeer {
  readonly address: string;
  /** The client's certificate (the leaf of `verifiedChain`). */
  readonly certificate: X509Certificate;
  /** The certificate subject's CN ('' when it has none). */
  readonly commonName: string;
  /** The leaf first, then its issuers as verified. */
  readonly verifiedChain: readonly [X509Certificate, ...X509Certificate[]];
}

export interface CallContext {
  /** The full method path, e.g. "/etcdserverpb.KV/Range". */
  readonly method: string;
  /** When the client stops waiting (Date.now() milliseconds); undefined for no deadline. */
  readonly deadline: number | undefined;
  readonly peer: Peer;
  /** First value of a request metadata key (lower-case), e.g. "token" or "hasleader". */
  metadata(key: string): string | undefined;
  /**
   * Aborted when the call ends: the client cancelled or reset it, its
   * deadline passed, the server shut down, or the call was answered. Created
   * on first use: an AbortSignal per call is a measurable cost on the unary
   * path, so code that only needs to hear of the abort takes `cancellation`.
   */
  readonly signal: AbortSignal;
  /** The same event as `signal` without creating one; its `reason` is an {@link RpcError}. */
  readonly cancellation: CallCancellation;
}

export interface CallCancellation extends Cancellation {
  /** Why the call ended, once `aborted`. */
  readonly reason: RpcError | undefined;
}

/**
 * Where a stream's responses go. `write` and `writeBatch` return false when
 * the transport's buffer is full: write again after `ready()` resolves.
 * Writes after the call is gone are dropped (and return false).
 */
export interface ResponseSink<Res> {
  write(response: Res): boolean;
  /** Several responses in one transport write (framed by the method's batch encoder when it has one). */
  writeBatch(responses: readonly Res[]): boolean;
  /** Resolves when the sink has room again, or when the call is gone. */
  ready(): Promise<void>;
  /** True once the call is over (answered, cancelled, reset, past its deadline). */
  readonly closed: boolean;
}

export type UnaryHandler<Req, Res> = (request: Req, ctx: CallContext) => Promise<Res>;
/** Resolving ends the stream with OK. */
export type ServerStreamHandler<Req, Res> = (request: Req, sink: ResponseSink<Res>, ctx: CallContext) => Promise<void>;
/** `requests` ends when the client half-closes or the call is gone. Resolving ends the stream with OK. */
export type BidiStreamHandler<Req, Res> = (requests: AsyncIterable<Req>, sink: ResponseSink<Res>, ctx: CallContext) => Promise<void>;

/**
 * A call's end with a gRPC status that no etcd error kind names: the
 * transport's own (cancelled, deadline exceeded, unimplemented, bad message).
 */
export class RpcError extends Error {
  override readonly name = "RpcError";
  readonly code: number;

  constructor(code: number, message: string) {
    super(message);
    this.code = code;
  }
}

/** A method as ts-proto's generated service definitions describe it. */
export interface MethodDefinition<Req, Res, RequestStream extends boolean = boolean, ResponseStream extends boolean = boolean> {
  readonly path: string;
  readonly requestStream: RequestStream;
  readonly responseStream: ResponseStream;
  requestDeserialize(bytes: Buffer): Req;
  responseSerialize(response: Res): Buffer;
  /** Optional: a batch of responses framed as consecutive gRPC messages in one buffer (the watch fast path). */
  readonly frameResponses?: (responses: readonly Res[]) => Buffer;
}

/** The handler type a method definition calls for. */
export type HandlerFor<M> =
  M extends MethodDefinition<infer Req, infer Res, false, false>
    ? UnaryHandler<Req, Res>
    : M extends MethodDefinition<infer Req, infer Res, false, true>
      ? ServerStreamHandler<Req, Res>
      : M extends MethodDefinition<infer Req, infer Res, true, true>
        ? BidiStreamHandler<Req, Res>
        : never;

/** A service's handlers by method name; a method without one answers UNIMPLEMENTED. */
export type ServiceHandlers<S> = { readonly [K in keyof S]?: HandlerFor<S[K]> };
