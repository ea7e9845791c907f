/**
 * One client port, two protocols — as etcd serves them: a connection that
 * opens with the HTTP/2 preface is gRPC; anything else is HTTP/1.x and goes
 * to the HTTP handler (gateway, /health, /metrics …).
 * @module
 */
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createNetServer, type Server as NetServer, type Socket } from "node:net";
import { CLIENT_PREFACE } from "./h2/frames.js";

export type HttpHandler = (req: IncomingMessage, res: ServerResponse) => void;

/** Takes over connections that opened with the HTTP/2 preface. */
export interface Http2Server {
  /** `socket` is paused; `afterPreface` is what the client sent after its preface so far. */
  serve(socket: Socket, afterPreface: Buffer): void;
}

export interface ListenAddress {
  host: string;
  port: number;
}

export class ClientListener {
  readonly #grpc: Http2Server;
  readonly #http = createHttpServer({ keepAlive: true });
  readonly #servers: NetServer[] = [];
  readonly #sockets = new Set<Socket>();

  constructor(grpc: Http2Server, httpHandler: HttpHandler) {
    this.#grpc = grpc;
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
      const n = Math.min(head.length, CLIENT_PREFACE.length);
      const isH2Prefix = head.subarray(0, n).equals(CLIENT_PREFACE.subarray(0, n));
      if (isH2Prefix && head.length < CLIENT_PREFACE.length) return; // need more bytes to decide
      socket.off("data", onData);
      socket.pause();
      if (isH2Prefix) {
        this.#grpc.serve(socket, head.subarray(CLIENT_PREFACE.length));
        return;
      }
      socket.unshift(head);
      this.#http.emit("connection", socket);
      socket.resume();
    };
    socket.on("data", onData);
  }
}
