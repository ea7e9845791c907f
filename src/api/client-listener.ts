/**
 * One client port, two protocols — as etcd serves them: a connection that
 * opens with the HTTP/2 preface is gRPC and goes to grpc-js; anything else
 * is HTTP/1.x and goes to the HTTP handler (gateway, /health, /metrics …).
 * @module
 */
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createNetServer, type Server as NetServer, type Socket } from "node:net";
import type * as grpc from "@grpc/grpc-js";
import { EMPTY_SETTINGS, firstLook } from "./h2/authority-fix.js";
import { rewritingSocket } from "./h2/rewriting-socket.js";

const H2_PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");
/** How long an HTTP/2 client may take to send its first request before it is served the slow, always-correct way. */
const FIRST_REQUEST_WAIT_MS = 1000;

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
    let looking = false;
    let timer: NodeJS.Timeout | undefined;
    const done = (): void => {
      socket.off("data", onData);
      clearTimeout(timer);
    };
    const native = (frames: Buffer): void => {
      done();
      socket.pause();
      socket.unshift(Buffer.concat([H2_PREFACE, frames]));
      // The HTTP/2 session takes over the socket's handle and reads what was
      // unshifted; resuming the JS stream here would steal its bytes.
      this.#grpc.injectConnection(socket);
    };
    const rewrite = (frames: Buffer, acksToDrop: number): void => {
      done();
      this.#grpc.injectConnection(rewritingSocket(socket, Buffer.concat([H2_PREFACE, frames]), H2_PREFACE.length, acksToDrop));
    };
    const look = (): void => {
      const seen = firstLook(head.subarray(H2_PREFACE.length));
      if (seen.verdict === "fix") rewrite(seen.frames, seen.ackSeen ? 0 : 1);
      else if (seen.verdict === "native" && seen.ackSeen) native(seen.frames);
    };
    const onData = (chunk: Buffer): void => {
      head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
      if (looking) {
        look();
        return;
      }
      const n = Math.min(head.length, H2_PREFACE.length);
      const isH2Prefix = head.subarray(0, n).equals(H2_PREFACE.subarray(0, n));
      if (isH2Prefix && head.length < H2_PREFACE.length) return; // need more bytes to decide
      if (!isH2Prefix) {
        done();
        socket.pause();
        socket.unshift(head);
        this.#http.emit("connection", socket);
        socket.resume();
        return;
      }
      // HTTP/2: answer the preface with our own (empty) SETTINGS so the client
      // sends its first request, and look at it before choosing how to serve
      // the connection (see h2/authority-fix.ts). A client that sends no
      // request for a while is served through the rewriting path.
      looking = true;
      socket.write(EMPTY_SETTINGS);
      timer = setTimeout(() => {
        const seen = firstLook(head.subarray(H2_PREFACE.length));
        rewrite(seen.frames, seen.ackSeen ? 0 : 1);
      }, FIRST_REQUEST_WAIT_MS);
      look();
    };
    socket.on("data", onData);
  }

}
