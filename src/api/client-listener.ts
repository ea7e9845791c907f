/**
 * One client port, two protocols — as etcd serves them: a connection that
 * opens with the HTTP/2 preface is gRPC and goes to grpc-js; anything else
 * is HTTP/1.x and goes to the HTTP handler (gateway, /health, /metrics …).
 * @module
 */
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createNetServer, type Server as NetServer, type Socket } from "node:net";
import type * as grpc from "@grpc/grpc-js";

const H2_PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");

export type HttpHandler = (req: IncomingMessage, res: ServerResponse) => void;

export interface ListenAddress {
  host: string;
  port: number;
}

export class ClientListener {
  readonly #grpc: grpc.ConnectionInjector;
  readonly #http = createHttpServer({ keepAlive: true });
  readonly #servers: NetServer[] = [];
  readonly #sockets = new Set<Socket>();

  constructor(grpcInjector: grpc.ConnectionInjector, httpHandler: HttpHandler) {
    this.#grpc = grpcInjector;
    this.#http.on("request", httpHandler);
  }

  /** Starts listening; resolves with the bound address (port 0 picks a free port). */
  listen(address: ListenAddress): Promise<ListenAddress> {
    const server = createNetServer({ noDelay: true }, (socket) => this.#accept(socket));
    this.#servers.push(server);
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen({ host: address.host, port: address.port, exclusive: true }, () => {
        server.off("error", reject);
        const bound = server.address();
        if (bound === null || typeof bound === "string") reject(new Error("listener has no address"));
        else resolve({ host: bound.address, port: bound.port });
      });
    });
  }

  /** Stops accepting and closes every open connection. */
  async close(): Promise<void> {
    // net.Server.close waits for open connections to end: end them first.
    const closed = Promise.all(this.#servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    for (const socket of this.#sockets) socket.destroy();
    await closed;
    this.#http.close();
  }

  #accept(socket: Socket): void {
    this.#sockets.add(socket);
    socket.once("close", () => this.#sockets.delete(socket));
    socket.on("error", () => socket.destroy());
    let head: Buffer = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
      const n = Math.min(head.length, H2_PREFACE.length);
      const isH2Prefix = head.subarray(0, n).equals(H2_PREFACE.subarray(0, n));
      if (isH2Prefix && head.length < H2_PREFACE.length) return; // need more bytes to decide
      socket.off("data", onData);
      socket.pause();
      socket.unshift(head);
      if (isH2Prefix) {
        // The HTTP/2 session takes over the socket's handle and reads what was
        // unshifted; resuming the JS stream here would steal its bytes.
        this.#grpc.injectConnection(socket);
      } else {
        this.#http.emit("connection", socket);
        socket.resume();
      }
    };
    socket.on("data", onData);
  }
}
