/**
 * The HTTP side of the client port, assembled: the gateway, /version,
 * /health, /livez, /readyz, /metrics, CORS and the Host whitelist. The
 * composition root builds it once and hands {@link HttpApi.handler} to the
 * ClientListener; the gateway learns the port it calls once the listener
 * is bound.
 * @module
 */
import { RangeRequest } from "../../gen/etcdserverpb/rpc.js";
import type { Logger } from "../../pkg/logger.js";
import type { KvApi } from "../../server/api.js";
import type { TlsClientSettings } from "../../tls/index.js";
import { channelCredentials } from "../grpc-credentials.js";
import { GRPC_OVERHEAD_BYTES } from "../grpc-server.js";
import type { BoundSocket } from "../listen-socket.js";
import { AccessControl } from "./access-control.js";
import { Gateway, type GatewayTarget } from "./gateway.js";
import { HealthChecks, type HealthMetrics } from "./health.js";
import { ProtoSchema } from "./proto-schema.js";
import { createHttpRouter, type HttpHandler, type MetricsEndpoint, type Versions } from "./router.js";

export { Gateway } from "./gateway.js";
export { HealthChecks, type HealthSource } from "./health.js";
export { GATEWAY_ROUTES } from "./routes.js";
export { listenMetrics, type MetricsListeners } from "./metrics-listener.js";
export type { HttpHandler, MetricsEndpoint, Versions } from "./router.js";

/** What the HTTP side reads from the server. */
export interface HttpServerView {
  kv: Pick<KvApi, "range">;
  hasLeader(): boolean;
  alarms(): readonly { alarm: number }[];
  clusterVersion(): string | undefined;
}

export interface HttpApiOptions {
  server: HttpServerView;
  serverVersion: string;
  /** /metrics and the health metrics; undefined serves no /metrics. */
  metrics?: MetricsEndpoint & HealthMetrics;
  /** --enable-grpc-gateway. */
  enableGateway: boolean;
  /** --max-request-bytes (bounds the JSON bodies the gateway reads). */
  maxRequestBytes: number;
  /** How long a health check's read may take (etcd: the request timeout). */
  requestTimeoutMs: number;
  /** --cors */
  cors: readonly string[];
  /** --host-whitelist */
  hostWhitelist: readonly string[];
  logger: Logger;
}

export interface HttpApi {
  /** The client port's HTTP/1.x side. */
  readonly handler: HttpHandler;
  /** For --listen-metrics-urls: /metrics, /health, /livez, /readyz only. */
  readonly metricsHandler: HttpHandler;
  /**
   * Points the gateway at a bound gRPC endpoint (a wildcard host means
   * loopback); `tls` when the endpoint takes TLS: etcd's gateway presents
   * the member's client certificate and skips verifying its own server.
   */
  setGatewayTarget(bound: BoundSocket, tls: TlsClientSettings | undefined): void;
  close(): void;
}

export function createHttpApi(options: HttpApiOptions): HttpApi {
  const logger = options.logger;
  let target: GatewayTarget | undefined;
  let gateway: Gateway | undefined;
  if (options.enableGateway) {
    gateway = new Gateway({
      schema: ProtoSchema.generated(),
      target: () => {
        if (target === undefined) throw new Error("gateway: no client address bound yet");
        return target;
      },
      maxMessageBytes: options.maxRequestBytes + GRPC_OVERHEAD_BYTES,
      logger,
    });
  }
  const health = new HealthChecks({
    source: {
      alarms: () => options.server.alarms(),
      hasLeader: () => options.server.hasLeader(),
      read: (serializable, signal) => options.server.kv.range(RangeRequest.fromPartial({ keysOnly: true, limit: 1n, serializable }), signal),
    },
    timeoutMs: options.requestTimeoutMs,
    logger,
    ...(options.metrics !== undefined ? { metrics: options.metrics } : {}),
  });
  const metricsHandler = createHttpRouter({ access: undefined, gateway: undefined, health, metrics: options.metrics, versions: undefined, logger });
  const handler = createHttpRouter({
    access: new AccessControl({ cors: options.cors, hostWhitelist: options.hostWhitelist }),
    gateway,
    health,
    metrics: options.metrics,
    versions: (): Versions => ({ server: options.serverVersion, cluster: options.server.clusterVersion() }),
    logger,
  });
  return {
    handler,
    metricsHandler,
    setGatewayTarget(bound, tls) {
      if (target !== undefined) return;
      target = { address: dialAddress(bound), credentials: channelCredentials(tls === undefined ? undefined : { ...tls, insecureSkipVerify: true }) };
    },
    close() {
      gateway?.close();
    },
  };
}

/** grpc-js's target for a bound endpoint: a wildcard host is dialed on loopback. */
function dialAddress(bound: BoundSocket): string {
  if (bound.kind === "unix") return `unix:${bound.path}`;
  const host = bound.host === "0.0.0.0" || bound.host === "" ? "127.0.0.1" : bound.host === "::" ? "::1" : bound.host;
  return host.includes(":") ? `[${host}]:${bound.port}` : `${host}:${bound.port}`;
}
