/**
 * Serving gRPC through grpc-js instead of our own HTTP/2 (ETCDTS_GRPC_SERVER=grpc-js):
 * connections are injected into a grpc-js server. Node's HTTP/2 refuses the
 * `:authority` etcd 3.4's clients send with `--endpoints http://…`, so the
 * first request is looked at before the connection is handed over, and the
 * client's header blocks are rewritten for such connections (h2/authority-fix.ts).
 * @module
 */
import type { Socket } from "node:net";
import type * as grpc from "@grpc/grpc-js";
import { EMPTY_SETTINGS, firstLook } from "./h2/authority-fix.js";
import { CLIENT_PREFACE } from "./h2/frames.js";
import { rewritingSocket } from "./h2/rewriting-socket.js";
import type { Http2Server } from "./client-listener.js";

/** How long an HTTP/2 client may take to send its first request before it is served the slow, always-correct way. */
const FIRST_REQUEST_WAIT_MS = 1000;

export class GrpcJsConnections implements Http2Server {
  readonly #injector: grpc.ConnectionInjector;

  constructor(injector: grpc.ConnectionInjector) {
    this.#injector = injector;
  }

  serve(socket: Socket, afterPreface: Buffer): void {
    let head = afterPreface;
    let timer: NodeJS.Timeout | undefined;
    const done = (): void => {
      socket.off("data", onData);
      clearTimeout(timer);
    };
    const native = (frames: Buffer): void => {
      done();
      socket.pause();
      socket.unshift(Buffer.concat([CLIENT_PREFACE, frames]));
      // The HTTP/2 session takes over the socket's handle and reads what was
      // unshifted; resuming the JS stream here would steal its bytes.
      this.#injector.injectConnection(socket);
    };
    const rewrite = (frames: Buffer, acksToDrop: number): void => {
      done();
      this.#injector.injectConnection(rewritingSocket(socket, Buffer.concat([CLIENT_PREFACE, frames]), CLIENT_PREFACE.length, acksToDrop));
    };
    const look = (): void => {
      const seen = firstLook(head);
      if (seen.verdict === "fix") rewrite(seen.frames, seen.ackSeen ? 0 : 1);
      else if (seen.verdict === "native" && seen.ackSeen) native(seen.frames);
    };
    const onData = (chunk: Buffer): void => {
      head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
      look();
    };
    // Answer the preface with our own (empty) SETTINGS so the client sends its
    // first request, and look at it before choosing how to serve the
    // connection. A client that sends no request for a while is served
    // through the rewriting path.
    socket.on("data", onData);
    socket.write(EMPTY_SETTINGS);
    timer = setTimeout(() => {
      const seen = firstLook(head);
      rewrite(seen.frames, seen.ackSeen ? 0 : 1);
    }, FIRST_REQUEST_WAIT_MS);
    look();
    socket.resume();
  }

  close(): void {
    this.#injector.destroy();
  }
}
