/**
 * --listen-metrics-urls: extra plain-HTTP listeners that serve only
 * /metrics, /health, /livez and /readyz (etcd's metrics mux), so monitoring
 * can be kept off the client port.
 * @module
 */
import { createServer, type Server } from "node:http";
import type { Socket } from "node:net";
import type { Logger } from "../../pkg/logger.js";
import type { HttpHandler } from "./router.js";

export interface MetricsUrl {
  readonly scheme: string;
  readonly hostname: string;
  readonly port: number;
  readonly href: string;
}

export interface MetricsListeners {
  /** Bound addresses, in the order of the URLs served. */
  readonly addresses: readonly { host: string; port: number }[];
  close(): Promise<void>;
}

export async function listenMetrics(urls: readonly MetricsUrl[], handler: HttpHandler, logger: Logger): Promise<MetricsListeners> {
  const servers: Server[] = [];
  const sockets = new Set<Socket>();
  const addresses: { host: string; port: number }[] = [];
  for (const url of urls) {
    if (url.scheme !== "http") {
      logger.warn({ address: url.href }, "metrics over TLS is not supported yet; URL not served");
      continue;
    }
    const server = createServer({ keepAlive: true }, handler);
    server.on("connection", (s: Socket) => {
      sockets.add(s);
      s.once("close", () => sockets.delete(s));
    });
    const host = url.hostname === "localhost" || url.hostname === "" ? "127.0.0.1" : url.hostname;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen({ host, port: url.port, exclusive: true }, () => {
        server.off("error", reject);
        resolve();
      });
    });
    const bound = server.address();
    if (bound !== null && typeof bound === "object") addresses.push({ host: bound.address, port: bound.port });
    servers.push(server);
    logger.info({ address: url.href }, "serving metrics");
  }
  return {
    addresses,
    async close() {
      const closed = Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}
