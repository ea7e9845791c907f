/**
 * The one place where grpc-js's callback API meets our async handlers. Every
 * service is written as `(request, ctx) => Promise<response>`; errors thrown
 * there become etcd's status code and message through status.ts.
 * @module
 */
import type { EventEmitter } from "node:events";
import type * as grpc from "@grpc/grpc-js";
import type { CallContext } from "./call-context.js";
import { toWireError } from "./status.js";

export type UnaryHandler<Req, Res> = (request: Req, ctx: CallContext) => Promise<Res>;

type AnyServerCall =
  | grpc.ServerUnaryCall<unknown, unknown>
  | grpc.ServerWritableStream<unknown, unknown>
  | grpc.ServerDuplexStream<unknown, unknown>;

class GrpcCallContext implements CallContext {
  readonly #call: AnyServerCall;
  #controller: AbortController | undefined;

  constructor(call: AnyServerCall) {
    this.#call = call;
  }

  metadata(key: string): string | undefined {
    const values = this.#call.metadata.get(key);
    const first = values[0];
    if (first === undefined) return undefined;
    return typeof first === "string" ? first : first.toString("utf8");
  }

  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      const controller = new AbortController();
      this.#controller = controller;
      if (this.#call.cancelled) controller.abort();
      else (this.#call as EventEmitter).once("cancelled", () => controller.abort());
    }
    return this.#controller.signal;
  }
}

export function contextOf(call: AnyServerCall): CallContext {
  return new GrpcCallContext(call);
}

/** A gRPC status object for a thrown error. */
export function grpcErrorOf(err: unknown): grpc.ServiceError {
  const wire = toWireError(err);
  const e = new Error(wire.message) as grpc.ServiceError;
  e.code = wire.code;
  e.details = wire.message;
  return e;
}

export function unary<Req, Res>(handler: UnaryHandler<Req, Res>): grpc.handleUnaryCall<Req, Res> {
  return (call, callback) => {
    let pending: Promise<Res>;
    try {
      pending = handler(call.request, contextOf(call as grpc.ServerUnaryCall<unknown, unknown>));
    } catch (err) {
      callback(grpcErrorOf(err));
      return;
    }
    pending.then(
      (response) => callback(null, response),
      (err: unknown) => callback(grpcErrorOf(err)),
    );
  };
}
