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

export type AnyServerCall =
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

/**
 * Counts one method's calls (grpc_server_* metrics). The instrumentation in
 * grpc-metrics.ts attaches one to each unary handler when its service is
 * registered; counting is then two method calls per RPC, no allocation.
 */
export interface CallObserver {
  callStarted(): void;
  /** With the gRPC status code the call ended with. */
  callFinished(code: number): void;
}

const OBSERVER = Symbol("callObserver");
type Observable = { [OBSERVER]?: CallObserver | undefined };

/** Attaches `observer` to a handler made by {@link unary}; false for any other handler. */
export function observeUnary(handler: unknown, observer: CallObserver): boolean {
  if (typeof handler !== "function" || !(OBSERVER in handler)) return false;
  (handler as Observable)[OBSERVER] = observer;
  return true;
}

export function unary<Req, Res>(handler: UnaryHandler<Req, Res>): grpc.handleUnaryCall<Req, Res> {
  const fn: grpc.handleUnaryCall<Req, Res> & Observable = (call, callback) => {
    const observer = fn[OBSERVER];
    observer?.callStarted();
    let pending: Promise<Res>;
    try {
      pending = handler(call.request, contextOf(call as grpc.ServerUnaryCall<unknown, unknown>));
    } catch (err) {
      const e = grpcErrorOf(err);
      observer?.callFinished(e.code);
      callback(e);
      return;
    }
    pending.then(
      (response) => {
        observer?.callFinished(0);
        callback(null, response);
      },
      (err: unknown) => {
        const e = grpcErrorOf(err);
        observer?.callFinished(e.code);
        callback(e);
      },
    );
  };
  fn[OBSERVER] = undefined;
  return fn;
}

/** Resolves when a stream can take more writes — or never will (cancelled, closed). */
export function drained(call: EventEmitter): Promise<void> {
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
