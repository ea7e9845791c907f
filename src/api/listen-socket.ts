/**
 * Binding a server to a TCP address or a unix socket file, as etcd binds
 * them: a unix socket file left by an earlier run is removed first (etcd's
 * pkg/transport unix listener), and the port is exclusive to this process.
 * @module
 */
import { rmSync } from "node:fs";
import type { Server } from "node:net";
import type { ListenSocket } from "./client-endpoints.js";

export type BoundSocket = { readonly kind: "tcp"; readonly host: string; readonly port: number } | { readonly kind: "unix"; readonly path: string };

/** Starts `server` listening on `socket`; resolves with where it is bound (port 0 picks a free port). */
export function bindSocket(server: Server, socket: ListenSocket): Promise<BoundSocket> {
  // A stale file makes the bind fail with EADDRINUSE; libuv removes the file again when the server closes.
  if (socket.kind === "unix") rmSync(socket.path, { force: true });
  const options = socket.kind === "unix" ? { path: socket.path, exclusive: true } : { host: socket.host, port: socket.port, exclusive: true };
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(options, () => {
      server.off("error", reject);
      const bound = server.address();
      if (socket.kind === "unix") resolve({ kind: "unix", path: socket.path });
      else if (bound === null || typeof bound === "string") reject(new Error("listener has no address"));
      else resolve({ kind: "tcp", host: bound.address, port: bound.port });
    });
  });
}

/** `host:port` (IPv6 in brackets) or the socket path, for logs. */
export function describeBound(bound: BoundSocket): string {
  if (bound.kind === "unix") return bound.path;
  return bound.host.includes(":") ? `[${bound.host}]:${bound.port}` : `${bound.host}:${bound.port}`;
}

/** The port of a TCP binding (a unix socket has none). */
export function boundPort(bound: BoundSocket): number {
  if (bound.kind === "unix") throw new Error(`${bound.path} is a unix socket, not a TCP port`);
  return bound.port;
}
