/**
 * Everything HTTP/1.x on the client port, dispatched the way etcd's serve
 * mux does: `/v3beta/` and `/v3alpha/` rewritten to `/v3/`, the Host
 * whitelist and CORS first, then the gateway under `/v3/`, and `/version`,
 * `/health`, `/livez`, `/readyz`, `/metrics`; anything else is Go's
 * "404 page not found". The same router, without gateway, /version, Host
 * check and CORS, serves --listen-metrics-urls.
 * @module
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "../../pkg/logger.js";
import type { AccessControl } from "./access-control.js";
import type { Gateway } from "./gateway.js";
import { goHttpError, goMethodNotAllowed, goMovedPermanently, goNotFound } from "./go-http.js";
import { goJsonString } from "./go-json.js";
import type { HealthChecks } from "./health.js";

export interface MetricsEndpoint {
  readonly contentType: string;
  /** The text exposition of every metric (scrape-time values refreshed first). */
  render(): Promise<string>;
}

export interface Versions {
  server: string;
  /** Undefined until the cluster has agreed on one ("not_decided"). */
  cluster: string | undefined;
}

export interface HttpRouterOptions {
  /** Undefined on the metrics listener (no Host check, no CORS, as etcd's metrics mux). */
  access: AccessControl | undefined;
  /** Undefined when the gateway is off (--enable-grpc-gateway=false). */
  gateway: Gateway | undefined;
  health: HealthChecks;
  /** Undefined when metrics are served elsewhere. */
  metrics: MetricsEndpoint | undefined;
  /** Undefined where /version is not served (the metrics listener). */
  versions: (() => Versions) | undefined;
  logger: Logger;
}

export type HttpHandler = (req: IncomingMessage, res: ServerResponse) => void;

const LEGACY_PREFIXES = ["/v3beta/", "/v3alpha/"];

export function createHttpRouter(options: HttpRouterOptions): HttpHandler {
  const { access, gateway, health, metrics, versions, logger } = options;
  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? "/", "http://localhost");
    let path: string;
    try {
      path = decodeURIComponent(url.pathname);
    } catch {
      goHttpError(res, 400, "Bad Request");
      return;
    }
    for (const prefix of LEGACY_PREFIXES) {
      if (path.startsWith(prefix)) path = `/v3/${path.slice(prefix.length)}`;
    }
    if (access !== undefined && !access.admit(req, res, (host) => logger.warn({ host }, "rejecting HTTP request to prevent DNS rebinding attacks"))) return;

    if (gateway !== undefined) {
      if (path.startsWith("/v3/")) {
        gateway.serve(req, res, path);
        return;
      }
      if (path === "/v3") {
        goMovedPermanently(res, req.method, `/v3/${url.search}`);
        return;
      }
    }
    if (path === "/version" && versions !== undefined) {
      serveVersion(req, res, versions());
      return;
    }
    if (health.handles(path)) {
      await health.serve(req.method, path, url.searchParams, res);
      return;
    }
    if (path === "/metrics" && metrics !== undefined) {
      const text = await metrics.render();
      res.writeHead(200, { "content-type": metrics.contentType, "content-length": Buffer.byteLength(text) });
      res.end(text);
      return;
    }
    goNotFound(res);
  };
  return (req, res) => {
    route(req, res).catch((err: unknown) => {
      logger.error({ error: err instanceof Error ? err.message : String(err), path: req.url }, "http handler failed");
      if (!res.headersSent) goHttpError(res, 500, "Internal Server Error");
      else res.destroy();
    });
  };
}

function serveVersion(req: IncomingMessage, res: ServerResponse, v: Versions): void {
  if (req.method !== "GET") {
    goMethodNotAllowed(res, "GET");
    return;
  }
  const body = `{"etcdserver":${goJsonString(v.server)},"etcdcluster":${goJsonString(v.cluster ?? "not_decided")}}`;
  res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
  res.end(body);
}
