/**
 * grpc_server_{started,handled,msg_received,msg_sent}_total, as etcd's
 * go-grpc-prometheus exports them: every method of every registered service
 * is listed from the start (all codes at 0), and each call is counted by
 * its type, service, method and final code.
 *
 * An interceptor (src/api/rpc/methods.ts): the per-method counts are found
 * once, at registration, so a call only bumps plain numbers — no lookup, no
 * allocation on the unary path; a stream gets a counting sink and request
 * iterator. The numbers move into the prom-client counters when /metrics is
 * scraped ({@link GrpcMetrics.flush}).
 * @module
 */
import type { CallContext, ResponseSink } from "./rpc/contract.js";
import type { AnyBidiStream, AnyServerStream, AnyUnary, Interceptor, MethodInfo, MethodKind } from "./rpc/methods.js";
import { toWireError } from "./status.js";

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

/** Go's codes.Code names, by number. */
const CODE_NAMES = [
  "OK", "Canceled", "Unknown", "InvalidArgument", "DeadlineExceeded", "NotFound", "AlreadyExists",
  "PermissionDenied", "ResourceExhausted", "FailedPrecondition", "Aborted", "OutOfRange",
  "Unimplemented", "Internal", "Unavailable", "DataLoss", "Unauthenticated",
] as const;
const UNKNOWN = 2;

/** One method's counts since start, and what has been handed to prom-client already. */
export class MethodCounts {
  started = 0;
  received = 0;
  sent = 0;
  readonly handled: number[] = CODE_NAMES.map(() => 0);
  readonly #exported = { started: 0, received: 0, sent: 0, handled: CODE_NAMES.map(() => 0) };
  readonly #labels: Record<string, string>;
  readonly #codeLabels: Record<string, string>[];
  /** One response per successful call: counted when it ends OK. */
  readonly #oneResponse: boolean;

  constructor(type: MethodKind, service: string, method: string) {
    this.#labels = { grpc_type: type, grpc_service: service, grpc_method: method };
    this.#codeLabels = CODE_NAMES.map((code) => ({ ...this.#labels, grpc_code: code }));
    this.#oneResponse = type === "unary";
  }

  /** A call started; `withRequest` when its one request came with it (unary, server stream). */
  callStarted(withRequest: boolean): void {
    this.started++;
    if (withRequest) this.received++;
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

/**
 * The status a call ended with: the transport's when the call ended before
 * its handler did (cancelled, deadline), else the handler's.
 */
function codeOf(ctx: CallContext, err: unknown): number {
  const reason = ctx.cancellation.reason;
  if (reason !== undefined) return reason.code;
  return err === undefined ? 0 : toWireError(err).code;
}

export class GrpcMetrics implements Interceptor {
  readonly #counters: GrpcCounters;
  readonly #methods = new Map<string, MethodCounts>();

  constructor(counters: GrpcCounters) {
    this.#counters = counters;
  }

  unary(method: MethodInfo, next: AnyUnary): AnyUnary {
    const counts = this.#countsFor(method);
    return async (request, ctx) => {
      counts.callStarted(true);
      try {
        const response = await next(request, ctx);
        counts.callFinished(codeOf(ctx, undefined));
        return response;
      } catch (err) {
        counts.callFinished(codeOf(ctx, err));
        throw err;
      }
    };
  }

  serverStream(method: MethodInfo, next: AnyServerStream): AnyServerStream {
    const counts = this.#countsFor(method);
    return async (request, sink, ctx) => {
      counts.callStarted(true);
      try {
        await next(request, countingSink(sink, counts), ctx);
        counts.callFinished(codeOf(ctx, undefined));
      } catch (err) {
        counts.callFinished(codeOf(ctx, err));
        throw err;
      }
    };
  }

  bidiStream(method: MethodInfo, next: AnyBidiStream): AnyBidiStream {
    const counts = this.#countsFor(method);
    return async (requests, sink, ctx) => {
      counts.callStarted(false);
      try {
        await next(countingRequests(requests, counts), countingSink(sink, counts), ctx);
        counts.callFinished(codeOf(ctx, undefined));
      } catch (err) {
        counts.callFinished(codeOf(ctx, err));
        throw err;
      }
    };
  }

  /** Counts for one method path (`/etcdserverpb.KV/Range`), for tests. */
  counts(path: string): MethodCounts | undefined {
    return this.#methods.get(path);
  }

  /** Hands the counts gathered since the last call to the prom-client counters (run at scrape time). */
  flush(): void {
    for (const m of this.#methods.values()) m.flush(this.#counters);
  }

  #countsFor(method: MethodInfo): MethodCounts {
    let counts = this.#methods.get(method.path);
    if (counts === undefined) {
      counts = new MethodCounts(method.kind, method.service, method.name);
      counts.register(this.#counters);
      this.#methods.set(method.path, counts);
    }
    return counts;
  }
}

function countingSink<Res>(sink: ResponseSink<Res>, counts: MethodCounts): ResponseSink<Res> {
  return {
    write(response) {
      if (!sink.closed) counts.sent++;
      return sink.write(response);
    },
    writeBatch(responses) {
      if (!sink.closed) counts.sent += responses.length;
      return sink.writeBatch(responses);
    },
    ready: () => sink.ready(),
    get closed() {
      return sink.closed;
    },
  };
}

function countingRequests<Req>(requests: AsyncIterable<Req>, counts: MethodCounts): AsyncIterable<Req> {
  return {
    [Symbol.asyncIterator]() {
      const inner = requests[Symbol.asyncIterator]();
      return {
        next: async () => {
          const step = await inner.next();
          if (step.done !== true) counts.received++;
          return step;
        },
        return: async () => (await inner.return?.()) ?? { value: undefined, done: true },
      };
    },
  };
}
