/**
 * --listen-metrics-urls: extra listeners that serve only /metrics, /health,
 * /livez and /readyz (etcd's metrics mux), so monitoring can be kept off the
 * client port. An https:// or unixs:// URL is served with the client TLS
 * settings (--cert-file, --client-cert-auth …), as etcd serves it — also
 * with etcd's check there that a client certificate's SANs name the
 * connection's remote address.
 * @module
 */
import { createServer as createHttpServer } from "node:http";
import { createServer as createNetServer, type Server, type Socket } from "node:net";
import type { Logger } from "../../pkg/logger.js";
import type { EtcdUrl } from "../../pkg/go-url.js";
import { acceptTls } from "../../tls/index.js";
import type { ClientTlsSettings } from "../client-listener.js";
import { listenSocketOf } from "../client-endpoints.js";
import { bindSocket, type BoundSocket } from "../listen-socket.js";
import type { HttpHandler } from "./router.js";

export type MetricsUrl = Pick<EtcdUrl, "scheme" | "host" | "hostname" | "port" | "href">;

export interface MetricsListeners {
  /** Bound addresses, in the order of the URLs served. */
  readonly addresses: readonly BoundSocket[];
  close(): Promise<void>;
}

/** A TLS handshake not finished by then is dropped (the client port's preface timeout). */
const HANDSHAKE_TIMEOUT_MS = 10_000;

/** Serves `handler` on every URL; `tls` is required when one of them is https:// or unixs://. */
export async function listenMetrics(urls: readonly MetricsUrl[], handler: HttpHandler, logger: Logger, tls?: ClientTlsSettings): Promise<MetricsListeners> {
  const http = createHttpServer({ keepAlive: true }, handler);
  const servers: Server[] = [];
  const sockets = new Set<Socket>();
  const addresses: BoundSocket[] = [];
  const close = async (): Promise<void> => {
    const closed = Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    for (const s of sockets) s.destroy();
    await closed;
    http.close();
  };
  try {
    for (const url of urls) {
      const secure = url.scheme === "https" || url.scheme === "unixs";
      if (secure && tls === undefined) throw new Error(`TLS key/cert (--cert-file, --key-file) must be provided for metrics url ${url.href} with HTTPS scheme`);
      const server = createNetServer((socket) => {
        sockets.add(socket);
        socket.once("close", () => sockets.delete(socket));
        socket.on("error", () => socket.destroy());
        if (secure && tls !== undefined) {
          // etcd's metrics listener is its generic TLS listener, which checks a client certificate's SANs against the remote address.
          acceptTls(socket, { ...tls, verifyClientSan: true, alpnProtocols: ["http/1.1"], handshakeTimeoutMs: HANDSHAKE_TIMEOUT_MS }, (secureSocket) => {
            secureSocket.on("error", () => secureSocket.destroy());
            http.emit("connection", secureSocket);
          });
        } else {
          http.emit("connection", socket);
        }
      });
      servers.push(server);
      addresses.push(await bindSocket(server, listenSocketOf(url)));
      logger.info({ address: url.href }, "serving metrics");
    }
  } catch (err) {
    await close();
    throw err;
  }
  return { addresses, close };
}
