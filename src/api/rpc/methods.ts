/**
 * Registration: a generated service definition and its handlers become a
 * list of methods a transport serves by path, each with its codec and its
 * handler already wrapped by the interceptor chain — composed once per
 * method here, not per call.
 * @module
 */
import type { CallContext, MethodDefinition, ResponseSink, ServiceHandlers } from "./contract.js";
import { RpcError } from "./contract.js";

export type MethodKind = "unary" | "server_stream" | "bidi_stream";

/** What a method is, for interceptors (metrics labels, per-method checks). */
export interface MethodInfo {
  /** "/etcdserverpb.KV/Range" */
  readonly path: string;
  /** "etcdserverpb.KV" */
  readonly service: string;
  /** "Range" */
  readonly name: string;
  readonly kind: MethodKind;
}

// Handlers with their message types erased: a method's request is the one its own decoder made.
export type AnyUnary = (request: never, ctx: CallContext) => Promise<unknown>;
export type AnyServerStream = (request: never, sink: ResponseSink<never>, ctx: CallContext) => Promise<void>;
export type AnyBidiStream = (requests: AsyncIterable<never>, sink: ResponseSink<never>, ctx: CallContext) => Promise<void>;

/**
 * One link of the chain around every call. Each function is called once per
 * method of its kind, at registration, and returns the handler to run in
 * place of `next`; a kind it does not define passes through unchanged.
 */
export interface Interceptor {
  unary?(method: MethodInfo, next: AnyUnary): AnyUnary;
  serverStream?(method: MethodInfo, next: AnyServerStream): AnyServerStream;
  bidiStream?(method: MethodInfo, next: AnyBidiStream): AnyBidiStream;
}

interface Codec {
  readonly info: MethodInfo;
  decode(bytes: Buffer): unknown;
  encode(response: never): Buffer;
  /** Frames a batch of responses as consecutive gRPC messages; undefined = one message at a time. */
  readonly frameBatch: ((responses: readonly never[]) => Buffer) | undefined;
}

/** A method ready to serve: codec plus the intercepted handler. */
export type Method =
  | (Codec & { readonly kind: "unary"; readonly handler: AnyUnary })
  | (Codec & { readonly kind: "server_stream"; readonly handler: AnyServerStream })
  | (Codec & { readonly kind: "bidi_stream"; readonly handler: AnyBidiStream });

type AnyDefinition = MethodDefinition<unknown, never>;
/** A generated service definition: its methods by name. */
export type ServiceDefinition = Record<string, AnyDefinition>;
type AnyHandler = AnyUnary | AnyServerStream | AnyBidiStream;

/**
 * The methods of `definition` with `handlers`, wrapped by `interceptors`
 * (the first is outermost). A method without a handler answers
 * UNIMPLEMENTED — through the chain, so it is counted like any other.
 */
export function bindService<S extends ServiceDefinition>(definition: S, handlers: ServiceHandlers<S>, interceptors: readonly Interceptor[] = []): Method[] {
  const methods: Method[] = [];
  for (const key of Object.keys(definition)) {
    const def = definition[key]!;
    const info = methodInfo(def);
    if (info.kind === "client_stream") throw new Error(`${def.path}: client-streaming methods are not supported`);
    const handler = (handlers as Record<string, AnyHandler | undefined>)[key] ?? unimplemented(info.name);
    const codec: Codec = {
      info: { ...info, kind: info.kind },
      decode: (bytes) => def.requestDeserialize(bytes),
      encode: (response) => def.responseSerialize(response),
      frameBatch: def.frameResponses,
    };
    methods.push(wrap(codec, handler, interceptors));
  }
  return methods;
}

function wrap(codec: Codec, handler: AnyHandler, interceptors: readonly Interceptor[]): Method {
  const info = codec.info;
  switch (info.kind) {
    case "unary": {
      let h = handler as AnyUnary;
      for (let i = interceptors.length - 1; i >= 0; i--) h = interceptors[i]!.unary?.(info, h) ?? h;
      return { ...codec, kind: "unary", handler: h };
    }
    case "server_stream": {
      let h = handler as AnyServerStream;
      for (let i = interceptors.length - 1; i >= 0; i--) h = interceptors[i]!.serverStream?.(info, h) ?? h;
      return { ...codec, kind: "server_stream", handler: h };
    }
    case "bidi_stream": {
      let h = handler as AnyBidiStream;
      for (let i = interceptors.length - 1; i >= 0; i--) h = interceptors[i]!.bidiStream?.(info, h) ?? h;
      return { ...codec, kind: "bidi_stream", handler: h };
    }
  }
}

function methodInfo(def: AnyDefinition): Omit<MethodInfo, "kind"> & { kind: MethodKind | "client_stream" } {
  const slash = def.path.lastIndexOf("/");
  const kind = def.requestStream ? (def.responseStream ? "bidi_stream" : "client_stream") : def.responseStream ? "server_stream" : "unary";
  return { path: def.path, service: def.path.slice(1, slash), name: def.path.slice(slash + 1), kind };
}

/** grpc-js's answer for a method a service leaves out (the same handler fits every kind: it ignores its arguments). */
function unimplemented(name: string): AnyHandler {
  return () => Promise.reject(new RpcError(GRPC_UNIMPLEMENTED, `The server does not implement the method ${name}`));
}

const GRPC_UNIMPLEMENTED = 12;
