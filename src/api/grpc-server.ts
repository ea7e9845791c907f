/**
 * Builds the gRPC server with etcd's services and limits: ours (src/api/grpc,
 * over our own HTTP/2) or, when asked for, grpc-js's. Either serves the same
 * methods — the services' handlers wrapped once in the interceptor chain
 * (the caller's, then etcd's leader/learner checks). Connections come from
 * {@link ClientListener}, which owns the sockets.
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import { AuthService, ClusterService, KVService, LeaseService, MaintenanceService } from "../gen/etcdserverpb/rpc.js";
import { ElectionService } from "../gen/v3electionpb/v3election.js";
import { LockService } from "../gen/v3lockpb/v3lock.js";
import type { ApiLimits, AuthApi, ClusterApi, ElectionApi, HeaderSource, KvApi, LeaseApi, LockApi, MaintenanceApi, WatchApi } from "../server/api.js";
import { authInterceptor } from "./auth-interceptor.js";
import { authHandlers } from "./auth-service.js";
import type { Http2Server } from "./client-listener.js";
import { clusterHandlers } from "./cluster-service.js";
import { credentialsReader } from "./credentials.js";
import { electionHandlers } from "./election-service.js";
import { registerWithGrpcJs } from "./grpc-js-adapter.js";
import { GrpcJsConnections } from "./grpc-js-connections.js";
import { GrpcServer } from "./grpc/server.js";
import { leaderInterceptor } from "./interceptors.js";
import { kvHandlers } from "./kv-service.js";
import { leaseHandlers } from "./lease-service.js";
import { lockHandlers } from "./lock-service.js";
import { maintenanceHandlers } from "./maintenance-service.js";
import { bindService, type Interceptor, type Method } from "./rpc/methods.js";
import { WATCH_SERVICE, watchHandlers } from "./watch-service.js";

/** etcd lets a gRPC message exceed --max-request-bytes by this much, so the server (not gRPC) answers "request is too large". */
export const GRPC_OVERHEAD_BYTES = 512 * 1024;

/**
 * Streams per connection when --max-concurrent-streams is left at etcd's
 * default (4294967295) or set to 2^31 or more. For grpc-go that default means
 * "unlimited"; served literally, one connection could open millions of
 * streams, each costing memory here. No etcd client comes near 1000 on one
 * connection (clientv3 multiplexes every watch of a context onto one stream).
 */
export const DEFAULT_MAX_CONCURRENT_STREAMS = 1000;

/**
 * grpc-go's EnforcementPolicy.MinTime when etcd passes none: etcd sets the
 * policy only for --grpc-keepalive-min-time > 0, so 0 leaves grpc-go's default.
 */
const GRPC_GO_DEFAULT_KEEPALIVE_MIN_TIME_MS = 5 * 60 * 1000;

/** The streams per connection advertised and enforced for a --max-concurrent-streams value. */
function effectiveMaxConcurrentStreams(flagValue: number): number {
  return flagValue > 0 && flagValue < 2 ** 31 ? flagValue : DEFAULT_MAX_CONCURRENT_STREAMS;
}

/** The shortest client ping interval enforced for a --grpc-keepalive-min-time value. */
function effectiveKeepaliveMinTimeMs(flagValueMs: number): number {
  return flagValueMs > 0 ? flagValueMs : GRPC_GO_DEFAULT_KEEPALIVE_MIN_TIME_MS;
}

/** Which implementation serves gRPC: ours by default; grpc-js as a fallback for comparison. */
export type GrpcImplementation = "ours" | "grpc-js";

export interface GrpcServerOptions extends ApiLimits {
  maxConcurrentStreams: number;
  keepaliveIntervalMs: number;
  keepaliveTimeoutMs: number;
  /** --grpc-keepalive-min-time: a client pinging more often is sent GOAWAY (ENHANCE_YOUR_CALM, "too_many_pings"). */
  keepaliveMinTimeMs: number;
  implementation?: GrpcImplementation;
  /** Told of an unexpected exception that closed a client connection (our server only). */
  onInternalError?: (err: unknown) => void;
  /** Run around every call, outermost first, before etcd's own checks (the gRPC metrics go here). */
  interceptors?: readonly Interceptor[];
  /** --client-cert-auth: a verified client certificate's common name is the caller when no token came. */
  clientCertAuth?: boolean;
}

export interface GrpcEndpoint {
  /** Give it the connections that opened with the HTTP/2 preface. */
  readonly connections: Http2Server;
  /** Closes every gRPC connection. */
  shutdown(): void;
}

export interface ApiBackends {
  kv: KvApi;
  maintenance: MaintenanceApi;
  cluster: ClusterApi;
  header: HeaderSource;
  lease?: LeaseApi;
  lock?: LockApi;
  election?: ElectionApi;
  watch?: WatchApi;
  auth?: AuthApi;
}

/**
 * Every method of etcd's services present in `backends`, each wrapped once
 * in the interceptor chain: the caller's, etcd's leader/learner checks,
 * then (with an Auth backend) the root-only checks.
 */
function etcdMethods(backends: ApiBackends, options: GrpcServerOptions): Method[] {
  const credentials = credentialsReader({ clientCertAuth: options.clientCertAuth ?? false });
  const chain = [...(options.interceptors ?? []), leaderInterceptor(backends.header)];
  if (backends.auth !== undefined) chain.push(authInterceptor(backends.auth, credentials));
  const methods = [
    ...bindService(KVService, kvHandlers(backends.kv, options, credentials), chain),
    ...bindService(MaintenanceService, maintenanceHandlers(backends.maintenance), chain),
    ...bindService(ClusterService, clusterHandlers(backends.cluster), chain),
  ];
  if (backends.lease !== undefined) methods.push(...bindService(LeaseService, leaseHandlers(backends.lease, credentials), chain));
  if (backends.lock !== undefined) methods.push(...bindService(LockService, lockHandlers(backends.lock, credentials), chain));
  if (backends.election !== undefined) methods.push(...bindService(ElectionService, electionHandlers(backends.election, credentials), chain));
  if (backends.watch !== undefined) methods.push(...bindService(WATCH_SERVICE, watchHandlers(backends.watch, credentials), chain));
  if (backends.auth !== undefined) methods.push(...bindService(AuthService, authHandlers(backends.auth, credentials), chain));
  return methods;
}

export function createGrpcServer(backends: ApiBackends, options: GrpcServerOptions): GrpcEndpoint {
  const maxReceiveBytes = options.maxRequestBytes + GRPC_OVERHEAD_BYTES;
  const maxConcurrentStreams = effectiveMaxConcurrentStreams(options.maxConcurrentStreams);
  const methods = etcdMethods(backends, options);
  if (options.implementation === "grpc-js") {
    const server = new grpc.Server({
      "grpc.max_receive_message_length": maxReceiveBytes,
      "grpc.max_send_message_length": -1,
      "grpc.max_concurrent_streams": maxConcurrentStreams,
      // grpc-js's server has no ping enforcement policy: --grpc-keepalive-min-time has no counterpart there.
      "grpc.keepalive_time_ms": options.keepaliveIntervalMs,
      "grpc.keepalive_timeout_ms": options.keepaliveTimeoutMs,
      "grpc-node.max_session_memory": 64 * 1024 * 1024,
      // channelz bookkeeping costs an allocation-heavy wrapper per call; nothing reads it.
      "grpc.enable_channelz": 0,
    });
    registerWithGrpcJs(server, methods);
    const connections = new GrpcJsConnections(server.createConnectionInjector(grpc.ServerCredentials.createInsecure()));
    return {
      connections,
      shutdown: () => {
        connections.close();
        server.forceShutdown();
      },
    };
  }
  const server = new GrpcServer({
    maxReceiveBytes,
    maxConcurrentStreams,
    keepaliveIntervalMs: options.keepaliveIntervalMs,
    keepaliveTimeoutMs: options.keepaliveTimeoutMs,
    keepaliveMinTimeMs: effectiveKeepaliveMinTimeMs(options.keepaliveMinTimeMs),
    // etcd's policy (embed/etcd.go): pings are expected only while a stream is open.
    keepalivePermitWithoutStream: false,
    ...(options.onInternalError !== undefined ? { onInternalError: options.onInternalError } : {}),
  });
  server.addMethods(methods);
  return { connections: server, shutdown: () => server.forceShutdown() };
}
