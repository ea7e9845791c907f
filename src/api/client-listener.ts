/**
 * One client port, two protocols — as etcd serves them: a connection that
 * opens with the HTTP/2 preface is gRPC; anything else is HTTP/1.x and goes
 * to the HTTP handler (gateway, /health, /metrics …).
 *
 * The port is the one place every client reaches, so it also bounds what a
 * client that sends little or nothing can hold: how many connections are
 * open, how long a connection may take to say which protocol it speaks, and
 * how long an HTTP/1 connection may sit without a request in progress.
 * @module
 */
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createNetServer, type Server as NetServer, type Socket } from "node:net";
import { nullLogger, type Logger } from "../pkg/logger.js";
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

export interface ClientListenerOptions {
  /**
   * Time a new connection has to send the whole HTTP/2 preface or, for
   * HTTP/1, the head of its first request. A client connects and writes at
   * once; 10 s is many round trips even on a bad link.
   */
  prefaceTimeoutMs: number;
  /** HTTP/1: time to send the head of a later request on a kept-alive connection (Node's headersTimeout). */
  headersTimeoutMs: number;
  /** HTTP/1: idle time after a response before the connection is closed (Node's keepAliveTimeout). */
  keepAliveTimeoutMs: number;
  /** Open connections across every address this listener serves; more are closed on accept. 0: no limit. */
  maxConnections: number;
  /** Refused connections are reported at most once per this interval. */
  refusalReportIntervalMs: number;
  logger: Logger;
}

export const DEFAULT_CLIENT_LISTENER_OPTIONS: Readonly<ClientListenerOptions> = {
  prefaceTimeoutMs: 10_000,
  headersTimeoutMs: 10_000,
  // Node's default, kept on purpose: idle connections count against maxConnections.
  keepAliveTimeoutMs: 5_000,
  maxConnections: 0,
  refusalReportIntervalMs: 10_000,
  logger: nullLogger,
};

/** HTTP/1 limits that need no tuning: Node's header size default (16 KiB, 431 past it), and far more headers than any client sends. */
const MAX_HEADER_BYTES = 16 * 1024;
const MAX_HEADERS_COUNT = 100;

/** The bytes "PRI": no HTTP/1 method starts with them, so a mismatch after them is a broken HTTP/2 client, not HTTP/1. */
const PREFACE_SIGNATURE_LENGTH = 3;

type FirstBytes = "http2" | "http1" | "need-more" | "invalid-preface" | "not-http";

/**
 * An HTTP/1 request line: a method token, a target, and the version. Go's
 * server answers anything else with a 400; we close instead, as HTTP/2
 * requires for a connection that starts with neither (h2spec 3.5/2), and a
 * stranger sending garbage learns nothing.
 */
const HTTP1_REQUEST_LINE = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+ [^ \r\n]+ HTTP\/1\.[0-9]\r?$/;

/** Which protocol the first bytes of a connection speak. */
function classifyFirstBytes(head: Buffer): FirstBytes {
  const n = Math.min(head.length, CLIENT_PREFACE.length);
  let matched = 0;
  while (matched < n && head[matched] === CLIENT_PREFACE[matched]) matched++;
  if (matched === CLIENT_PREFACE.length) return "http2";
  if (matched === head.length) return "need-more";
  if (matched >= PREFACE_SIGNATURE_LENGTH) return "invalid-preface";
  const lineEnd = head.indexOf(0x0a);
  if (lineEnd === -1) return head.length < MAX_HEADER_BYTES ? "need-more" : "not-http";
  return HTTP1_REQUEST_LINE.test(head.toString("latin1", 0, lineEnd)) ? "http1" : "not-http";
}

/**
 * A connection's one deadline: while it is armed, the connection is
 * destroyed when it expires. Absolute, unlike a socket's inactivity timeout,
 * so trickling a byte at a time does not extend it.
 */
class Deadline {
  readonly #socket: Socket;
  #timer: NodeJS.Timeout | undefined;

  constructor(socket: Socket) {
    this.#socket = socket;
  }

  arm(ms: number): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#socket.destroy(), ms);
  }

  clear(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}

/** HTTP/1 bookkeeping of one connection: requests in progress, and the deadline for the next request head when none is. */
interface Http1Connection {
  readonly deadline: Deadline;
  inProgress: number;
}

/** Counts refused connections and logs them at most once per interval, so a flood costs one line per interval. */
class RefusalReport {
  readonly #logger: Logger;
  readonly #intervalMs: number;
  readonly #limit: number;
  #unreported = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(logger: Logger, intervalMs: number, limit: number) {
    this.#logger = logger;
    this.#intervalMs = intervalMs;
    this.#limit = limit;
  }

  refused(): void {
    this.#unreported++;
    if (this.#timer === undefined) this.#report();
  }

  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #report(): void {
    if (this.#unreported === 0) {
      this.#timer = undefined;
      return;
    }
    this.#logger.warn({ refused: this.#unreported, "max-client-connections": this.#limit }, "refused client connections over --max-client-connections");
    this.#unreported = 0;
    this.#timer = setTimeout(() => this.#report(), this.#intervalMs);
    this.#timer.unref();
  }
}

export class ClientListener {
  readonly #grpc: Http2Server;
  readonly #options: ClientListenerOptions;
  readonly #http;
  readonly #servers: NetServer[] = [];
  readonly #sockets = new Set<Socket>();
  readonly #http1 = new WeakMap<Socket, Http1Connection>();
  readonly #refusals: RefusalReport;

  constructor(grpc: Http2Server, httpHandler: HttpHandler, options: Partial<ClientListenerOptions> = {}) {
    this.#grpc = grpc;
    this.#options = { ...DEFAULT_CLIENT_LISTENER_OPTIONS, ...options };
    const { headersTimeoutMs, keepAliveTimeoutMs, maxConnections, refusalReportIntervalMs, logger } = this.#options;
    this.#refusals = new RefusalReport(logger, refusalReportIntervalMs, maxConnections);
    this.#http = createHttpServer({
      keepAlive: true,
      keepAliveTimeout: keepAliveTimeoutMs,
      headersTimeout: headersTimeoutMs,
      // Node's requestTimeout runs until the request body ends; a bidi gateway
      // stream (/v3/watch) keeps its body open for as long as it watches.
      requestTimeout: 0,
      // How often Node checks headersTimeout (default 30 s, which would triple it).
      connectionsCheckingInterval: Math.min(1000, headersTimeoutMs),
      maxHeaderSize: MAX_HEADER_BYTES,
    });
    this.#http.maxHeadersCount = MAX_HEADERS_COUNT;
    this.#http.on("request", (req: IncomingMessage, res: ServerResponse) => {
      this.#requestStarted(req.socket, res);
      httpHandler(req, res);
    });
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
    this.#refusals.stop();
    await closed;
    this.#http.close();
  }

  #accept(socket: Socket): void {
    socket.on("error", () => socket.destroy());
    const { maxConnections } = this.#options;
    if (maxConnections > 0 && this.#sockets.size >= maxConnections) {
      socket.destroy();
      this.#refusals.refused();
      return;
    }
    this.#sockets.add(socket);
    const deadline = new Deadline(socket);
    socket.once("close", () => {
      deadline.clear();
      this.#sockets.delete(socket);
    });
    deadline.arm(this.#options.prefaceTimeoutMs);
    // At most one chunk plus a request line (bounded by the header limit) is held here.
    let head: Buffer = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
      const verdict = classifyFirstBytes(head);
      if (verdict === "need-more") return;
      socket.off("data", onData);
      socket.pause();
      switch (verdict) {
        case "http2":
          deadline.clear();
          this.#grpc.serve(socket, head.subarray(CLIENT_PREFACE.length));
          return;
        case "invalid-preface":
        case "not-http":
          // RFC 9113 §3.4: a broken preface is a connection error; there is no HTTP/2 connection to send GOAWAY on.
          socket.destroy();
          return;
        case "http1":
          // The preface deadline runs on until the first request head is complete.
          this.#http1.set(socket, { deadline, inProgress: 0 });
          socket.unshift(head);
          this.#http.emit("connection", socket);
          socket.resume();
          return;
      }
    };
    socket.on("data", onData);
  }

  /**
   * Node's own HTTP/1 timers leave a gap: between requests only its
   * keep-alive inactivity timeout runs, which a client renews forever by
   * trickling bytes (empty lines) that never start a request. So while no
   * request is in progress, the connection has an absolute deadline for the
   * next request head.
   */
  #requestStarted(socket: Socket, res: ServerResponse): void {
    const conn = this.#http1.get(socket);
    if (conn === undefined) return;
    conn.inProgress++;
    conn.deadline.clear();
    res.once("close", () => {
      conn.inProgress--;
      if (conn.inProgress === 0 && !socket.destroyed) conn.deadline.arm(this.#options.keepAliveTimeoutMs + this.#options.headersTimeoutMs);
    });
  }
}
