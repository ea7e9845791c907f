/**
 * One client port, two protocols — as etcd serves them: a connection that
 * opens with the HTTP/2 preface is gRPC; anything else is HTTP/1.x and goes
 * to the HTTP handler (gateway, /health, /metrics …). On an https:// or
 * unixs:// endpoint the connection first completes a TLS handshake (ALPN h2
 * and http/1.1) and the decrypted bytes are told apart the same way; an
 * endpoint given both schemes tells a TLS handshake from plain text by the
 * first byte.
 *
 * The port is the one place every client reaches, so it also bounds what a
 * client that sends little or nothing can hold: how many connections are
 * open, how long a connection may take to finish its handshake and say which
 * protocol it speaks, and how long an HTTP/1 connection may sit without a
 * request in progress.
 * @module
 */
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createNetServer, type Server as NetServer, type Socket } from "node:net";
import type { TLSSocket } from "node:tls";
import { nullLogger, type Logger } from "../pkg/logger.js";
import { acceptTls, type TlsRefusal, type TlsServerSettings } from "../tls/index.js";
import { acceptsTls, type ClientEndpoint, type Protocols } from "./client-endpoints.js";
import { classifyFirstBytes, MAX_HEADER_BYTES, startsTlsHandshake } from "./first-bytes.js";
import { CLIENT_PREFACE } from "./h2/frames.js";
import { bindSocket, type BoundSocket } from "./listen-socket.js";

export type HttpHandler = (req: IncomingMessage, res: ServerResponse) => void;

/** Takes over connections that opened with the HTTP/2 preface. */
export interface Http2Server {
  /** `socket` is paused; `afterPreface` is what the client sent after its preface so far. */
  serve(socket: Socket, afterPreface: Buffer): void;
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
  /**
   * The TLS side of https:// and unixs:// endpoints (--cert-file, --client-cert-auth …);
   * the listener adds the ALPN protocols of each endpoint and the handshake deadline (the preface timeout).
   */
  tls?: ClientTlsSettings;
}

export type ClientTlsSettings = Omit<TlsServerSettings, "alpnProtocols" | "handshakeTimeoutMs">;

export const DEFAULT_CLIENT_LISTENER_OPTIONS: Readonly<ClientListenerOptions> = {
  prefaceTimeoutMs: 10_000,
  headersTimeoutMs: 10_000,
  // Node's default, kept on purpose: idle connections count against maxConnections.
  keepAliveTimeoutMs: 5_000,
  maxConnections: 0,
  refusalReportIntervalMs: 10_000,
  logger: nullLogger,
};

/** Far more headers than any HTTP/1 client sends. */
const MAX_HEADERS_COUNT = 100;

/**
 * A connection's one deadline: while it is armed, the connection is
 * destroyed when it expires. Absolute, unlike a socket's inactivity timeout,
 * so trickling a byte at a time does not extend it. It holds the accepted
 * socket: destroying it also ends a TLS session running on it.
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

/**
 * Reports a stream of like events at most once per interval, so a flood
 * costs one log line per interval: the first event at once, then how many
 * more came during each interval that had any.
 */
class ThrottledReport<E> {
  readonly #intervalMs: number;
  readonly #report: (latest: E, count: number) => void;
  /** Boxed: an event may itself be undefined. */
  #latest: { readonly event: E } | undefined;
  #unreported = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(intervalMs: number, report: (latest: E, count: number) => void) {
    this.#intervalMs = intervalMs;
    this.#report = report;
  }

  add(event: E): void {
    this.#latest = { event };
    this.#unreported++;
    if (this.#timer === undefined) this.#flush();
  }

  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #flush(): void {
    if (this.#unreported === 0 || this.#latest === undefined) {
      this.#timer = undefined;
      return;
    }
    this.#report(this.#latest.event, this.#unreported);
    this.#unreported = 0;
    this.#timer = setTimeout(() => this.#flush(), this.#intervalMs);
    this.#timer.unref();
  }
}

/**
 * ALPN protocols offered on a TLS endpoint, in the server's preference
 * order: what the endpoint serves. Our HTTP/2 serves gRPC only (etcd's Go
 * server also routes non-gRPC HTTP/2 requests to the gateway), so a client
 * that offers both (curl, browsers, HTTP libraries) is given http/1.1, and
 * gRPC clients, which offer only h2, get h2.
 */
function alpnFor(protocols: Protocols): readonly string[] {
  switch (protocols) {
    case "grpc+http":
      return ["http/1.1", "h2"];
    case "grpc":
      return ["h2"];
    case "http":
      return ["http/1.1"];
  }
}

export class ClientListener {
  readonly #grpc: Http2Server;
  readonly #options: ClientListenerOptions;
  readonly #http;
  readonly #servers: NetServer[] = [];
  readonly #sockets = new Set<Socket>();
  readonly #http1 = new WeakMap<Socket, Http1Connection>();
  readonly #overCap: ThrottledReport<undefined>;
  readonly #tlsRefusals: ThrottledReport<TlsRefusal>;

  constructor(grpc: Http2Server, httpHandler: HttpHandler, options: Partial<ClientListenerOptions> = {}) {
    this.#grpc = grpc;
    this.#options = { ...DEFAULT_CLIENT_LISTENER_OPTIONS, ...options };
    const { headersTimeoutMs, keepAliveTimeoutMs, maxConnections, refusalReportIntervalMs, logger } = this.#options;
    this.#overCap = new ThrottledReport(refusalReportIntervalMs, (_, refused) =>
      logger.warn({ refused, "max-client-connections": maxConnections }, "refused client connections over --max-client-connections"),
    );
    // etcd logs each failed handshake ("rejected connection"); a flood of them is one line per interval here.
    this.#tlsRefusals = new ThrottledReport(refusalReportIntervalMs, (latest, count) =>
      logger.warn({ "remote-addr": latest.remoteAddress, error: latest.reason, rejected: count }, "rejected connection"),
    );
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

  /** Starts serving an endpoint; resolves with where it is bound (port 0 picks a free port). */
  listen(endpoint: ClientEndpoint): Promise<BoundSocket> {
    if (acceptsTls(endpoint) && this.#options.tls === undefined) {
      return Promise.reject(new Error(`TLS key/cert (--cert-file, --key-file) must be provided for client url ${endpoint.urls.join(",")} with HTTPS scheme`));
    }
    const server = createNetServer({ noDelay: true }, (socket) => this.#accept(socket, endpoint));
    this.#servers.push(server);
    return bindSocket(server, endpoint.socket);
  }

  /** Stops accepting and closes every open connection. */
  async close(): Promise<void> {
    // net.Server.close waits for open connections to end: end them first.
    const closed = Promise.all(this.#servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    for (const socket of this.#sockets) socket.destroy();
    this.#overCap.stop();
    this.#tlsRefusals.stop();
    await closed;
    this.#http.close();
  }

  #accept(socket: Socket, endpoint: ClientEndpoint): void {
    socket.on("error", () => socket.destroy());
    const { maxConnections } = this.#options;
    if (maxConnections > 0 && this.#sockets.size >= maxConnections) {
      socket.destroy();
      this.#overCap.add(undefined);
      return;
    }
    this.#sockets.add(socket);
    const deadline = new Deadline(socket);
    socket.once("close", () => {
      deadline.clear();
      this.#sockets.delete(socket);
    });
    // One deadline for the TLS handshake (if any) and the protocol's first bytes together.
    deadline.arm(this.#options.prefaceTimeoutMs);
    this.#readFirstBytes(socket, (head) => {
      if (startsTlsHandshake(head)) {
        if (endpoint.security === "plain") return "close";
        this.#handshake(socket, head, endpoint.protocols, deadline);
        return "taken";
      }
      if (endpoint.security !== "tls") return this.#serveProtocol(socket, head, endpoint.protocols, deadline);
      // Plain text on a TLS-only endpoint: etcd's TLS listener fails the handshake and closes unanswered
      // (Go's HTTPS server would answer HTTP with a 400, but etcd handshakes before its HTTP server sees the connection).
      this.#tlsRefusals.add({ remoteAddress: socket.remoteAddress ?? "", reason: "tls: first record does not look like a TLS handshake" });
      return "close";
    });
  }

  /**
   * Gathers the first bytes of `socket` until `decide` settles: "need-more"
   * waits for the next chunk, "close" ends the connection unanswered,
   * "taken" means `decide` handed it on.
   */
  #readFirstBytes(socket: Socket, decide: (head: Buffer) => "need-more" | "close" | "taken"): void {
    // At most one chunk plus a request line (bounded by the header limit) is held here.
    let head: Buffer = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
      socket.pause();
      const outcome = decide(head);
      if (outcome === "need-more") {
        socket.resume();
        return;
      }
      socket.off("data", onData);
      if (outcome === "close") socket.destroy();
    };
    socket.on("data", onData);
  }

  #handshake(socket: Socket, head: Buffer, protocols: Protocols, deadline: Deadline): void {
    const tls = this.#options.tls;
    if (tls === undefined) throw new Error("client listener: TLS endpoint without TLS settings");
    // The TLS socket reads what is buffered on the accepted socket before its handle.
    socket.unshift(head);
    acceptTls(
      socket,
      { ...tls, alpnProtocols: alpnFor(protocols), handshakeTimeoutMs: this.#options.prefaceTimeoutMs },
      (secure: TLSSocket) => {
        secure.on("error", () => secure.destroy());
        this.#readFirstBytes(secure, (decrypted) => this.#serveProtocol(secure, decrypted, protocols, deadline));
      },
      (refusal) => this.#tlsRefusals.add(refusal),
    );
  }

  /** Hands a connection on by its first (plain or decrypted) bytes to gRPC or HTTP/1, as the endpoint serves them. */
  #serveProtocol(socket: Socket, head: Buffer, protocols: Protocols, deadline: Deadline): "need-more" | "close" | "taken" {
    // A TLS ClientHello on a plain port is no HTTP: closed now, not after the wait for a newline.
    if (startsTlsHandshake(head)) return "close";
    const verdict = classifyFirstBytes(head);
    switch (verdict) {
      case "need-more":
        return "need-more";
      case "http2":
        if (protocols === "http") return "close";
        deadline.clear();
        this.#grpc.serve(socket, head.subarray(CLIENT_PREFACE.length));
        return "taken";
      case "invalid-preface":
      case "not-http":
        // RFC 9113 §3.4: a broken preface is a connection error; there is no HTTP/2 connection to send GOAWAY on.
        return "close";
      case "http1":
        // etcd's gRPC-only endpoints (--listen-client-http-urls given) have no HTTP/1 server behind them.
        if (protocols === "grpc") return "close";
        // The preface deadline runs on until the first request head is complete.
        this.#http1.set(socket, { deadline, inProgress: 0 });
        socket.unshift(head);
        this.#http.emit("connection", socket);
        socket.resume();
        return "taken";
    }
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
