/**
 * Builds the gRPC server with etcd's services and limits: ours (src/api/grpc,
 * over our own HTTP/2) or, when asked for, grpc-js's. Connections come from
 * {@link ClientListener}, which owns the sockets.
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import type { Http2Server } from "./client-listener.js";
import { GrpcJsConnections } from "./grpc-js-connections.js";
import { GrpcServer, type ServiceDefinition, type ServiceImplementation } from "./grpc/server.js";
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

/** Which implementation serves gRPC: ours by default; grpc-js as a fallback for comparison. */
export type GrpcImplementation = "ours" | "grpc-js";

export interface GrpcServerOptions extends ApiLimits {
  maxConcurrentStreams: number;
  keepaliveIntervalMs: number;
  keepaliveTimeoutMs: number;
  implementation?: GrpcImplementation;
  /** Told of an unexpected exception that closed a client connection (our server only). */
  onInternalError?: (err: unknown) => void;
  /** Called with the new server before any service is added (the gRPC metrics hook in here). */
  onCreate?: (server: ServiceRegistry) => void;
}

/** Where services are added: grpc-js's Server has this method, and so does ours behind an adapter. */
export interface ServiceRegistry {
  addService(service: grpc.ServiceDefinition, implementation: grpc.UntypedServiceImplementation): void;
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
}

export function createGrpcServer(backends: ApiBackends, options: GrpcServerOptions): GrpcEndpoint {
  const maxReceiveBytes = options.maxRequestBytes + GRPC_OVERHEAD_BYTES;
  const maxConcurrentStreams = options.maxConcurrentStreams > 0 && options.maxConcurrentStreams < 2 ** 31 ? options.maxConcurrentStreams : 2 ** 31 - 1;
  let registry: ServiceRegistry;
  let endpoint: GrpcEndpoint;
  if (options.implementation === "grpc-js") {
    const server = new grpc.Server({
      "grpc.max_receive_message_length": maxReceiveBytes,
      "grpc.max_send_message_length": -1,
      ...(maxConcurrentStreams < 2 ** 31 - 1 ? { "grpc.max_concurrent_streams": maxConcurrentStreams } : {}),
      "grpc.keepalive_time_ms": options.keepaliveIntervalMs,
      "grpc.keepalive_timeout_ms": options.keepaliveTimeoutMs,
      "grpc-node.max_session_memory": 64 * 1024 * 1024,
      // channelz bookkeeping costs an allocation-heavy wrapper per call; nothing reads it.
      "grpc.enable_channelz": 0,
    });
    const connections = new GrpcJsConnections(server.createConnectionInjector(grpc.ServerCredentials.createInsecure()));
    registry = server;
    endpoint = {
      connections,
      shutdown: () => {
        connections.close();
        server.forceShutdown();
      },
    };
  } else {
    const server = new GrpcServer({
      maxReceiveBytes,
      maxConcurrentStreams,
      keepaliveIntervalMs: options.keepaliveIntervalMs,
      keepaliveTimeoutMs: options.keepaliveTimeoutMs,
      ...(options.onInternalError !== undefined ? { onInternalError: options.onInternalError } : {}),
    });
    registry = { addService: (service, impl) => server.addService(service as unknown as ServiceDefinition, impl as unknown as ServiceImplementation) };
    endpoint = { connections: server, shutdown: () => server.forceShutdown() };
  }
  options.onCreate?.(registry);
  registry.addService(KVService, kvHandlers(backends.kv, backends.header, options));
  registry.addService(MaintenanceService, maintenanceHandlers(backends.maintenance, backends.header));
  registry.addService(ClusterService, clusterHandlers(backends.cluster, backends.header));
  if (backends.lease !== undefined) registry.addService(LeaseService, leaseHandlers(backends.lease, backends.header));
  if (backends.lock !== undefined) registry.addService(LockService, lockHandlers(backends.lock, backends.header));
  if (backends.election !== undefined) registry.addService(ElectionService, electionHandlers(backends.election, backends.header));
  if (backends.watch !== undefined) registry.addService(WATCH_SERVICE, watchHandlers(backends.watch, backends.header));
  return endpoint;
}
