/**
 * etcdserverpb.Lease over gRPC. The unary calls go through the shared
 * adapter; LeaseKeepAlive is a bidi stream handled here: requests of one
 * stream are answered one at a time, in order (as etcd's loop does), the
 * stream is paused while too many wait, and a response waits for grpc-js's
 * `drain` when the client reads slowly — so a stream holds a bounded amount
 * of memory whatever the client does. A failed renewal ends the stream with
 * etcd's status; a client half-close ends it with OK once every request
 * received so far is answered.
 * @module
 */
import type * as grpc from "@grpc/grpc-js";
import type {
  LeaseGrantRequest,
  LeaseGrantResponse,
  LeaseKeepAliveRequest,
  LeaseKeepAliveResponse,
  LeaseLeasesRequest,
  LeaseLeasesResponse,
  LeaseRevokeRequest,
  LeaseRevokeResponse,
  LeaseTimeToLiveRequest,
  LeaseTimeToLiveResponse,
} from "../gen/etcdserverpb/rpc.js";
import type { HeaderSource, LeaseApi } from "../server/api.js";
import { drained, grpcErrorOf, unary } from "./grpc-adapter.js";
import { EtcdError } from "../pkg/errors.js";
import { admitStream, checkLeaderRequirement, monitorLeader } from "./interceptors.js";

/** Requests read ahead of the one being answered before the stream is paused. */
const MAX_QUEUED_KEEPALIVES = 64;

export function leaseHandlers(api: LeaseApi, header: HeaderSource) {
  return {
    leaseGrant: unary<LeaseGrantRequest, LeaseGrantResponse>(async (req, ctx) => {
      checkLeaderRequirement(ctx, header);
      return api.grant(req, ctx.signal);
    }),
    leaseRevoke: unary<LeaseRevokeRequest, LeaseRevokeResponse>(async (req, ctx) => {
      checkLeaderRequirement(ctx, header);
      return api.revoke(req, ctx.signal);
    }),
    leaseTimeToLive: unary<LeaseTimeToLiveRequest, LeaseTimeToLiveResponse>(async (req, ctx) => {
      checkLeaderRequirement(ctx, header);
      return api.timeToLive(req, ctx.signal);
    }),
    leaseLeases: unary<LeaseLeasesRequest, LeaseLeasesResponse>(async (req, ctx) => {
      checkLeaderRequirement(ctx, header);
      return api.leases(req, ctx.signal);
    }),
    leaseKeepAlive: keepAliveHandler(api, header),
  };
}

type KeepAliveCall = grpc.ServerDuplexStream<LeaseKeepAliveRequest, LeaseKeepAliveResponse>;

function keepAliveHandler(api: LeaseApi, header: HeaderSource): grpc.handleBidiStreamingCall<LeaseKeepAliveRequest, LeaseKeepAliveResponse> {
  return (call) => {
    const ctx = admitStream(call, header);
    if (ctx === undefined) return;
    const stream = new KeepAliveStream(api, call);
    stream.start();
    // clientv3's lease client requires a leader: its keepalives then move to a member that has one.
    monitorLeader(call, ctx, header, () => stream.fail(new EtcdError("NoLeader")));
  };
}

class KeepAliveStream {
  readonly #api: LeaseApi;
  readonly #call: KeepAliveCall;
  readonly #queue: LeaseKeepAliveRequest[] = [];
  #busy = false;
  #halfClosed = false;
  #done = false;

  constructor(api: LeaseApi, call: KeepAliveCall) {
    this.#api = api;
    this.#call = call;
  }

  start(): void {
    const call = this.#call;
    call.on("data", (req: LeaseKeepAliveRequest) => {
      if (this.#done) return;
      this.#queue.push(req);
      if (this.#queue.length >= MAX_QUEUED_KEEPALIVES) call.pause();
      if (!this.#busy) void this.#run();
    });
    call.on("end", () => {
      this.#halfClosed = true;
      if (!this.#busy) this.#finish();
    });
    call.on("cancelled", () => {
      this.#done = true;
    });
    call.on("error", () => {
      this.#done = true;
    });
  }

  async #run(): Promise<void> {
    this.#busy = true;
    const call = this.#call;
    try {
      while (this.#queue.length > 0 && !this.#done) {
        const req = this.#queue.shift()!;
        if (call.isPaused() && this.#queue.length <= MAX_QUEUED_KEEPALIVES / 2) call.resume();
        // No cancellation signal: a renewal is answered at once in the common
        // case, and a waiting one is bounded by the request timeout; creating
        // (and aborting) a signal per stream is a measurable cost for
        // clients that open a stream per keepalive.
        const resp = await this.#api.keepAlive(req);
        if (this.#done || call.cancelled) return;
        if (!call.write(resp)) await drained(call);
      }
    } catch (err) {
      if (!this.#done && !call.cancelled) {
        this.#done = true;
        call.emit("error", grpcErrorOf(err));
      }
      return;
    } finally {
      this.#busy = false;
    }
    if (this.#halfClosed) this.#finish();
  }

  /** Ends the stream with an error status (nothing more is answered). */
  fail(err: unknown): void {
    if (this.#done || this.#call.cancelled) return;
    this.#done = true;
    this.#call.emit("error", grpcErrorOf(err));
  }

  #finish(): void {
    if (this.#done) return;
    this.#done = true;
    this.#call.end();
  }
}
