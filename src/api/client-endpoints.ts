/**
 * The client endpoints the member serves, from its listen URLs, grouped as
 * etcd groups them: one socket per address, so `http://` and `https://` on
 * the same address share a port (a TLS handshake is told apart from plain
 * text by its first byte); `unix://` and `unixs://` are unix sockets at the
 * URL's host (etcd's form, `unix://localhost:2379`, a path relative to the
 * working directory); and with `--listen-client-http-urls` the client URLs
 * serve only gRPC and the HTTP URLs only HTTP (etcd 3.5's split).
 * @module
 */
import type { EtcdUrl } from "../pkg/go-url.js";

/** Where a listener binds: a TCP address or a unix socket file. */
export type ListenSocket = { readonly kind: "tcp"; readonly host: string; readonly port: number } | { readonly kind: "unix"; readonly path: string };

/** Which transports a socket accepts: plain text, TLS, or both (told apart per connection). */
export type Security = "plain" | "tls" | "both";

/** What a socket serves: both protocols, as etcd does, or one side of the --listen-client-http-urls split. */
export type Protocols = "grpc+http" | "grpc" | "http";

export interface ClientEndpoint {
  readonly socket: ListenSocket;
  readonly security: Security;
  readonly protocols: Protocols;
  /** The URLs this endpoint serves, for logs and errors. */
  readonly urls: readonly string[];
}

/** Where a listen URL binds: its TCP address (`localhost` as 127.0.0.1), or for unix:// and unixs:// the socket file named by its host. */
export function listenSocketOf(url: Pick<EtcdUrl, "scheme" | "host" | "hostname" | "port">): ListenSocket {
  if (url.scheme === "unix" || url.scheme === "unixs") return { kind: "unix", path: url.host };
  return { kind: "tcp", host: url.hostname === "localhost" ? "127.0.0.1" : url.hostname, port: url.port };
}

function socketKey(socket: ListenSocket): string {
  return socket.kind === "unix" ? `unix:${socket.path}` : `tcp:${socket.host}:${socket.port}`;
}

function isSecure(url: EtcdUrl): boolean {
  return url.scheme === "https" || url.scheme === "unixs";
}

function mergeSecurity(a: Security, b: Security): Security {
  return a === b ? a : "both";
}

function mergeProtocols(a: Protocols, b: Protocols): Protocols {
  return a === b ? a : "grpc+http";
}

/**
 * The endpoints for --listen-client-urls and --listen-client-http-urls, in
 * the order first given. A port 0 is never merged: each asks for a port of
 * its own.
 */
export function clientEndpoints(clientUrls: readonly EtcdUrl[], httpUrls: readonly EtcdUrl[]): ClientEndpoint[] {
  const split = httpUrls.length > 0;
  const byKey = new Map<string, ClientEndpoint>();
  const endpoints: ClientEndpoint[] = [];
  const add = (url: EtcdUrl, protocols: Protocols): void => {
    const socket = listenSocketOf(url);
    const security: Security = isSecure(url) ? "tls" : "plain";
    const key = socket.kind === "tcp" && socket.port === 0 ? undefined : socketKey(socket);
    const existing = key === undefined ? undefined : byKey.get(key);
    if (key === undefined || existing === undefined) {
      const endpoint: ClientEndpoint = { socket, security, protocols, urls: [url.href] };
      endpoints.push(endpoint);
      if (key !== undefined) byKey.set(key, endpoint);
      return;
    }
    const merged: ClientEndpoint = {
      socket,
      security: mergeSecurity(existing.security, security),
      protocols: mergeProtocols(existing.protocols, protocols),
      urls: [...existing.urls, url.href],
    };
    endpoints[endpoints.indexOf(existing)] = merged;
    byKey.set(key, merged);
  };
  for (const url of clientUrls) add(url, split ? "grpc" : "grpc+http");
  for (const url of httpUrls) add(url, "http");
  return endpoints;
}

/** True when the endpoint accepts TLS connections. */
export function acceptsTls(endpoint: ClientEndpoint): boolean {
  return endpoint.security !== "plain";
}

/** True when the endpoint serves gRPC (the gateway and the member's own clients can dial it). */
export function servesGrpc(endpoint: ClientEndpoint): boolean {
  return endpoint.protocols !== "http";
}

/** A TCP endpoint of one scheme serving both protocols: what a single http:// or https:// URL gives. */
export function tcpEndpoint(host: string, port: number, security: Exclude<Security, "both"> = "plain"): ClientEndpoint {
  const scheme = security === "tls" ? "https" : "http";
  return { socket: { kind: "tcp", host, port }, security, protocols: "grpc+http", urls: [`${scheme}://${host}:${port}`] };
}
