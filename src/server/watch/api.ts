/**
 * What a transport (the gRPC Watch stream, the HTTP gateway's /v3/watch)
 * sees of watching: open a session, feed it the client's requests, take its
 * responses with back-pressure. Independent of grpc-js and of HTTP.
 * @module
 */
import type { EtcdError } from "../../pkg/errors.js";
import type { Credentials } from "../auth/credentials.js";
import type { WatchCancelRequest, WatchCreateRequest, WatchRequest, WatchResponse } from "../../gen/etcdserverpb/rpc.js";

/**
 * Where a session's responses go. `write` gets responses in order; it
 * returns false when the consumer cannot take more for now, and the session
 * then sends nothing until `resume()` is called (a stalled consumer costs a
 * bounded queue, see watch-session.ts).
 */
export interface WatchSink {
  write(responses: readonly WatchResponse[]): boolean;
  /**
   * The server ended the session: finish the transport stream — normally
   * (shutdown), or with `error` (e.g. "no leader" for a stream that required one).
   */
  end?(error?: Error): void;
  /** Too many responses wait: stop reading client requests until `resumeInput`. */
  pauseInput?(): void;
  resumeInput?(): void;
}

/** One client watch stream (etcd's serverWatchStream), with etcd's per-stream semantics. */
export interface WatchSessionApi extends AsyncIterable<WatchResponse> {
  /** Dispatches one client request (create, cancel or progress). */
  handle(req: WatchRequest): void;
  create(req: WatchCreateRequest): void;
  cancel(req: WatchCancelRequest): void;
  /** WatchProgressRequest: answered with watch id -1 once every watcher of the session is synced. */
  progress(): void;
  /** Sends every response to `sink` (batch form). Only one consumer: a sink, a callback, or iteration. */
  attach(sink: WatchSink): void;
  /** Sends every response to `cb` one by one; `false` from it means "pause until resume()". */
  onResponse(cb: (resp: WatchResponse) => boolean | void): void;
  /** The consumer has room again. */
  resume(): void;
  /** Cancels every watcher and drops what is queued. Idempotent. */
  close(): void;
  readonly closed: boolean;
}

/** How a session is opened: who the stream's client is, and how an error becomes a cancel reason. */
export interface WatchSessionOptions {
  /**
   * The stream's credentials: each create is checked for read permission on
   * its range with them (refused: created + canceled, watch id -1, the
   * reason from `describeError`), and a live watcher whose user loses that
   * permission is canceled the same way when the auth store changes.
   */
  credentials?: Credentials;
  /** etcd's cancel reason for an error, as Go's gRPC status prints it ("rpc error: code = PermissionDenied desc = etcdserver: permission denied"). */
  describeError?(err: EtcdError): string;
}

export interface WatchApi {
  openSession(options?: WatchSessionOptions): WatchSessionApi;
}
