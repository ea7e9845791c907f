/**
 * grpc_server_{started,handled,msg_received,msg_sent}_total, as etcd's
 * go-grpc-prometheus exports them: every method of every registered service
 * is listed from the start (all codes at 0), and each call is counted by
 * its type, service, method and final code.
 *
 * The hot path only bumps plain numbers in a per-method object found once,
 * at registration: unary handlers made by the adapter carry an observer
 * slot (no wrapper, no allocation per call); stream handlers are wrapped,
 * which costs a few closures per stream, not per message. The numbers move
 * into the prom-client counters when /metrics is scraped ({@link flush}).
 * @module
 */
import type { EventEmitter } from "node:events";
import * as grpc from "@grpc/grpc-js";
import { observeUnary, type CallObserver } from "./grpc-adapter.js";
import type { ServiceRegistry } from "./grpc-server.js";

/** The prom-client counters this fills (ServerMetrics' grpc* fields fit). */
export interface GrpcCounters {
  grpcStarted: CounterLike;
  grpcHandled: CounterLike;
  grpcMsgReceived: CounterLike;
  grpcMsgSent: CounterLike;
}

interface CounterLike {
  inc(labels: Record<string, string>, value?: number): void;
}

type GrpcType = "unary" | "client_stream" | "server_stream" | "bidi_stream";

const COUNTS = Symbol("grpcMethodCounts");

/**
 * For a stream handler that writes framed messages to the HTTP/2 stream
 * itself instead of through `call.write` (the watch fast path): counts `n`
 * messages sent on `call` in grpc_server_msg_sent_total. A no-op when the
 * server is not instrumented.
 */
export function countMessagesSent(call: object, n: number): void {
  const counts = (call as { [COUNTS]?: MethodCounts })[COUNTS];
  if (counts !== undefined) counts.sent += n;
}

/** Go's codes.Code names, by number. */
const CODE_NAMES = [
  "OK", "Canceled", "Unknown", "InvalidArgument", "DeadlineExceeded", "NotFound", "AlreadyExists",
  "PermissionDenied", "ResourceExhausted", "FailedPrecondition", "Aborted", "OutOfRange",
  "Unimplemented", "Internal", "Unavailable", "DataLoss", "Unauthenticated",
] as const;
const UNKNOWN = 2;

/** One method's counts since start, and what has been handed to prom-client already. */
export class MethodCounts implements CallObserver {
  started = 0;
  received = 0;
  sent = 0;
  readonly handled: number[] = CODE_NAMES.map(() => 0);
  readonly #exported = { started: 0, received: 0, sent: 0, handled: CODE_NAMES.map(() => 0) };
  readonly #labels: Record<string, string>;
  readonly #codeLabels: Record<string, string>[];
  /** One request per call: counted when it starts. */
  readonly #oneRequest: boolean;
  /** One response per successful call: counted when it ends OK. */
  readonly #oneResponse: boolean;

  constructor(type: GrpcType, service: string, method: string) {
    this.#labels = { grpc_type: type, grpc_service: service, grpc_method: method };
    this.#codeLabels = CODE_NAMES.map((code) => ({ ...this.#labels, grpc_code: code }));
    this.#oneRequest = type === "unary" || type === "server_stream";
    this.#oneResponse = type === "unary" || type === "client_stream";
  }

  callStarted(): void {
    this.started++;
    if (this.#oneRequest) this.received++;
  }

  callFinished(code: number): void {
    this.handled[code >= 0 && code < CODE_NAMES.length ? code : UNKNOWN]!++;
    if (code === 0 && this.#oneResponse) this.sent++;
  }

  /** Lists the method at 0 (go-grpc-prometheus pre-registers every method). */
  register(c: GrpcCounters): void {
    c.grpcStarted.inc(this.#labels, 0);
    c.grpcMsgReceived.inc(this.#labels, 0);
    c.grpcMsgSent.inc(this.#labels, 0);
    for (const labels of this.#codeLabels) c.grpcHandled.inc(labels, 0);
  }

  flush(c: GrpcCounters): void {
    const e = this.#exported;
    if (this.started > e.started) c.grpcStarted.inc(this.#labels, this.started - e.started);
    if (this.received > e.received) c.grpcMsgReceived.inc(this.#labels, this.received - e.received);
    if (this.sent > e.sent) c.grpcMsgSent.inc(this.#labels, this.sent - e.sent);
    e.started = this.started;
    e.received = this.received;
    e.sent = this.sent;
    for (let i = 0; i < CODE_NAMES.length; i++) {
      const n = this.handled[i]!;
      if (n > e.handled[i]!) c.grpcHandled.inc(this.#codeLabels[i]!, n - e.handled[i]!);
      e.handled[i] = n;
    }
  }
}

export class GrpcMetrics {
  readonly #counters: GrpcCounters;
  readonly #methods = new Map<string, MethodCounts>();

  constructor(counters: GrpcCounters) {
    this.#counters = counters;
  }

  /** Makes every service added to `server` from now on counted. Call before the first addService. */
  instrument(server: ServiceRegistry): void {
    const addService = server.addService.bind(server);
    server.addService = (service: grpc.ServiceDefinition, implementation: grpc.UntypedServiceImplementation): void => {
      addService(service, this.wrapService(service, implementation));
    };
  }

  /** The implementation with every method counted (unimplemented ones answer UNIMPLEMENTED, counted too). */
  wrapService(service: grpc.ServiceDefinition, implementation: grpc.UntypedServiceImplementation): grpc.UntypedServiceImplementation {
    const wrapped: grpc.UntypedServiceImplementation = {};
    for (const [name, def] of Object.entries(service)) {
      const { serviceName, methodName } = splitPath(def.path);
      const type: GrpcType = def.requestStream ? (def.responseStream ? "bidi_stream" : "client_stream") : def.responseStream ? "server_stream" : "unary";
      const counts = new MethodCounts(type, serviceName, methodName);
      counts.register(this.#counters);
      this.#methods.set(def.path, counts);
      const handler = implementation[name] ?? (def.originalName !== undefined ? implementation[def.originalName] : undefined);
      if (handler === undefined) wrapped[name] = unimplemented(type, def.path, counts);
      else if (type === "unary" && observeUnary(handler, counts)) wrapped[name] = (handler as AnyHandler).bind(implementation) as grpc.UntypedHandleCall;
      else wrapped[name] = countedHandler(type, handler, implementation, counts);
    }
    return wrapped;
  }

  /** Counts for one method path (`/etcdserverpb.KV/Range`), for tests. */
  counts(path: string): MethodCounts | undefined {
    return this.#methods.get(path);
  }

  /** Hands the counts gathered since the last call to the prom-client counters (run at scrape time). */
  flush(): void {
    for (const m of this.#methods.values()) m.flush(this.#counters);
  }
}

function splitPath(path: string): { serviceName: string; methodName: string } {
  const slash = path.lastIndexOf("/");
  return { serviceName: path.slice(1, slash), methodName: path.slice(slash + 1) };
}

type AnyHandler = (...args: never[]) => void;

/**
 * A non-unary handler (or a unary one not made by the adapter) counted from
 * outside: the call's own methods are wrapped for messages in and out, and
 * its end (status sent, or cancelled) is counted once.
 */
function countedHandler(type: GrpcType, handler: grpc.UntypedHandleCall, self: object, counts: MethodCounts): grpc.UntypedHandleCall {
  const original = handler as unknown as AnyHandler;
  if (type === "unary" || type === "client_stream") {
    return ((call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
      counts.callStarted();
      if (type === "client_stream") countReceived(call as unknown as StreamCall, counts);
      original.call(self, ...([call, (err: grpc.ServerErrorResponse | null, value?: unknown) => {
        counts.callFinished(err ? (typeof err.code === "number" ? err.code : UNKNOWN) : 0);
        callback(err, value);
      }] as unknown as never[]));
    }) as unknown as grpc.UntypedHandleCall;
  }
  return ((call: StreamCall) => {
    counts.callStarted();
    (call as { [COUNTS]?: MethodCounts })[COUNTS] = counts;
    if (type === "bidi_stream") countReceived(call, counts);
    const write = call.write;
    call.write = function (this: StreamCall, ...args: unknown[]): boolean {
      counts.sent++;
      return write.apply(this, args);
    };
    let code = 0;
    let done = false;
    const finish = (final: number): void => {
      if (done) return;
      done = true;
      counts.callFinished(final);
    };
    call.on("error", (err: { code?: unknown }) => {
      code = typeof err?.code === "number" ? err.code : UNKNOWN;
    });
    call.once("finish", () => finish(code));
    call.once("cancelled", () => finish(1));
    call.once("close", () => finish(code));
    original.call(self, ...([call] as unknown as never[]));
  }) as unknown as grpc.UntypedHandleCall;
}

interface StreamCall extends EventEmitter {
  write(...args: unknown[]): boolean;
  push(chunk: unknown, encoding?: BufferEncoding): boolean;
}

/** Counts messages as grpc-js pushes them into the call's readable side. */
function countReceived(call: StreamCall, counts: MethodCounts): void {
  const push = call.push;
  call.push = function (this: StreamCall, chunk: unknown, encoding?: BufferEncoding): boolean {
    if (chunk !== null) counts.received++;
    return push.call(this, chunk, encoding);
  };
}

/** grpc-js's answer for a method the service object lacks, counted. */
function unimplemented(type: GrpcType, path: string, counts: MethodCounts): grpc.UntypedHandleCall {
  const status = { code: grpc.status.UNIMPLEMENTED, details: `The server does not implement the method ${path.slice(path.lastIndexOf("/") + 1)}` };
  if (type === "unary" || type === "client_stream") {
    return ((_call: unknown, callback: grpc.sendUnaryData<unknown>) => {
      counts.callStarted();
      counts.callFinished(status.code);
      callback(status as grpc.ServerErrorResponse, null);
    }) as unknown as grpc.UntypedHandleCall;
  }
  return ((call: EventEmitter) => {
    counts.callStarted();
    counts.callFinished(status.code);
    call.emit("error", status);
  }) as unknown as grpc.UntypedHandleCall;
}
