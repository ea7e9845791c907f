/**
 * Builds the grpc-js server with etcd's services and limits. Connections are
 * injected by {@link ClientListener}, which owns the sockets.
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import { ClusterService, KVService, MaintenanceService } from "../gen/etcdserverpb/rpc.js";
import type { ApiLimits, ClusterApi, HeaderSource, KvApi, MaintenanceApi } from "../server/api.js";
import { clusterHandlers } from "./cluster-service.js";
import { kvHandlers } from "./kv-service.js";
import { maintenanceHandlers } from "./maintenance-service.js";
import { LeaseService } from "../gen/etcdserverpb/rpc.js";
import type { LeaseApi } from "../server/api.js";
import { leaseHandlers } from "./lease-service.js";
import { LockService } from "../gen/v3lockpb/v3lock.js";
import { ElectionService } from "../gen/v3electionpb/v3election.js";
import type { ElectionApi, LockApi } from "../server/api.js";
import { lockHandlers } from "./lock-service.js";
import { electionHandlers } from "./election-service.js";
import type { WatchApi } from "../server/api.js";
import { WATCH_SERVICE, watchHandlers } from "./watch-service.js";

/** etcd lets a gRPC message exceed --max-request-bytes by this much, so the server (not gRPC) answers "request is too large". */
export const GRPC_OVERHEAD_BYTES = 512 * 1024;

export interface GrpcServerOptions extends ApiLimits {
  maxConcurrentStreams: number;
  keepaliveIntervalMs: number;
  keepaliveTimeoutMs: number;
  /** Called with the new server before any service is added (the gRPC metrics hook in here). */
  onCreate?: (server: grpc.Server) => void;
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
}

export function createGrpcServer(backends: ApiBackends, options: GrpcServerOptions): grpc.Server {
  const server = new grpc.Server({
    "grpc.max_receive_message_length": options.maxRequestBytes + GRPC_OVERHEAD_BYTES,
    "grpc.max_send_message_length": -1,
    ...(options.maxConcurrentStreams > 0 && options.maxConcurrentStreams < 2 ** 31 ? { "grpc.max_concurrent_streams": options.maxConcurrentStreams } : {}),
    "grpc.keepalive_time_ms": options.keepaliveIntervalMs,
    "grpc.keepalive_timeout_ms": options.keepaliveTimeoutMs,
    "grpc-node.max_session_memory": 64 * 1024 * 1024,
    // channelz bookkeeping costs an allocation-heavy wrapper per call; nothing reads it.
    "grpc.enable_channelz": 0,
  });
  options.onCreate?.(server);
  server.addService(KVService, kvHandlers(backends.kv, backends.header, options));
  server.addService(MaintenanceService, maintenanceHandlers(backends.maintenance, backends.header));
  server.addService(ClusterService, clusterHandlers(backends.cluster, backends.header));
  if (backends.lease !== undefined) server.addService(LeaseService, leaseHandlers(backends.lease, backends.header));
  if (backends.lock !== undefined) server.addService(LockService, lockHandlers(backends.lock, backends.header));
  if (backends.election !== undefined) server.addService(ElectionService, electionHandlers(backends.election, backends.header));
  if (backends.watch !== undefined) server.addService(WATCH_SERVICE, watchHandlers(backends.watch, backends.header));
  return server;
}
