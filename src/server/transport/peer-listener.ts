/**
 * The sockets of the peer URLs. Raft traffic between members is HTTP/2; tools
 * and joining members may also ask plain HTTP/1.1 questions (`GET /members`,
 * `/version`) as they do of etcd. So, as on the client port, a connection that
 * opens with the HTTP/2 preface goes to the HTTP/2 server and anything else
 * to an HTTP/1.1 server. For https URLs ALPN makes the same choice, after a
 * handshake run by src/tls with the current certificate, CA and CRL (so a
 * rotated file applies to the next connection) and its checks of the
 * client certificate (--peer-client-cert-auth, allowed CN and hostnames,
 * the SAN against the remote address).
 *
 * The port is open to anyone who can reach the member, so the listener is
 * also where hostile connections are bounded (README.md, "Hostile peers"):
 * a connection that says nothing, or carries no member's stream and goes
 * silent, is closed after `idleTimeoutMs`; anonymous connections are capped
 * (connection-guard.ts) from the moment they are accepted, TLS handshakes
 * included, and a handshake gets no longer than `idleTimeoutMs`; the HTTP/2
 * and HTTP/1.1 servers get explicit limits; refused handshakes are logged
 * rate-limited ("rejected connection", as etcd); and no handler lets an
 * exception escape.
 * @module
 */
import * as http from "node:http";
import * as http2 from "node:http2";
import * as net from "node:net";
import type * as tls from "node:tls";
import type { Clock } from "../../pkg/clock.js";
import type { Logger } from "../../pkg/logger.js";
import { acceptTls, type TlsRefusal, type TlsServerSettings } from "../../tls/index.js";
import { ConnectionGuard, type GuardedConnection } from "./connection-guard.js";
import { checkPeerUrlSchemes } from "./peer-url-schemes.js";
import { RateLimitedLog } from "./rate-limited-log.js";

const H2_PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");
/** The first byte of a TLS record carrying a handshake: a ClientHello sent to a plain-HTTP URL. */
const TLS_HANDSHAKE_RECORD = 0x16;
/** Raft streams need HTTP/2; tools and joining members ask their GETs over HTTP/1.1. */
const PEER_ALPN = ["h2", "http/1.1"] as const;

/**
 * HTTP/2 limits of the peer port's server sessions. A member's session
 * carries one message stream and one probe at a time (snapshots get a
 * session of their own), and its headers are a handful of ids and URLs.
 */
const H2_LIMITS = {
  /** Streams open at once per session: a member uses two; room for tools. */
  maxConcurrentStreams: 16,
  /** Bytes of one request's header list (ours are < 1 KiB; many peer URLs fit). */
  maxHeaderListSize: 32 * 1024,
  /**
   * nghttp2's memory budget per session (MiB); past it new frames are
   * refused. What a session really holds is bounded by the windows and the
   * header limits here; a budget of 32 slowed a 50 MiB snapshot by a third.
   */
  maxSessionMemoryMb: 64,
  /** Malformed frames tolerated per session before it is closed (nghttp2 default 1000). */
  maxSessionInvalidFrames: 100,
  /** Streams refused (over maxConcurrentStreams, bad headers) per session before it is closed. */
  maxSessionRejectedStreams: 100,
} as const;

/**
 * HTTP/1.1 limits: it only answers the small GETs (`/members`, `/version`,
 * `/raft/probing`), never raft traffic, so a request has no business
 * taking long.
 */
const H1_LIMITS = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  maxHeadersCount: 64,
  /** How often node checks the two timeouts above. */
  checkIntervalMs: 1_000,
} as const;

export interface BoundAddress {
  /** The URL as given, with the real port when port 0 was asked for. */
  url: string;
  host: string;
  port: number;
}

export interface PeerListenerHandlers {
  /** Every HTTP/2 stream (raft streams, snapshots, and small GETs over HTTP/2). */
  onStream(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): void;
  /** Every HTTP/1.1 request. */
  onHttp1(req: http.IncomingMessage, res: http.ServerResponse): void;
}

export interface PeerListenerOptions {
  /** HTTP/2 settings this side advertises (window sizes decide throughput on fat streams). */
  settings: http2.Settings;
  /** A connection carrying no admitted stream is closed after this long without traffic (also one that never sends a byte). */
  idleTimeoutMs: number;
  /** Connections carrying no admitted stream, at most; past it the oldest is closed. */
  maxAnonymousConnections: number;
  logger: Logger;
  clock: Pick<Clock, "nowMs">;
  /** The server side of the handshake on https peer URLs; without it an https URL cannot be bound. */
  tls?: TlsServerSettings;
}

export class PeerListener {
  readonly #h2: http2.Http2Server;
  readonly #h1: http.Server;
  readonly #servers: net.Server[] = [];
  readonly #guard: ConnectionGuard;
  readonly #options: PeerListenerOptions;
  readonly #log: Logger;
  readonly #remoteWarnings: RateLimitedLog;
  /** The connection each HTTP/2 session runs on (set while the session is created, synchronously). */
  readonly #sessionConnections = new WeakMap<http2.Http2Session, GuardedConnection>();
  #routing: GuardedConnection | undefined;

  constructor(handlers: PeerListenerHandlers, options: PeerListenerOptions) {
    this.#options = options;
    this.#log = options.logger;
    this.#remoteWarnings = new RateLimitedLog(options.logger, options.clock);
    this.#guard = new ConnectionGuard(options.maxAnonymousConnections, (c) =>
      this.#remoteWarnings.warn({ remote: c.socket.remoteAddress, limit: options.maxAnonymousConnections }, "closed the oldest anonymous peer connection: too many"),
    );
    this.#h2 = http2.createServer({
      settings: { ...options.settings, maxConcurrentStreams: H2_LIMITS.maxConcurrentStreams, maxHeaderListSize: H2_LIMITS.maxHeaderListSize },
      maxSessionMemory: H2_LIMITS.maxSessionMemoryMb,
      maxSessionInvalidFrames: H2_LIMITS.maxSessionInvalidFrames,
      maxSessionRejectedStreams: H2_LIMITS.maxSessionRejectedStreams,
    });
    this.#h2.on("session", (session) => this.#guardSession(session));
    this.#h2.on("stream", (stream, headers) => {
      stream.on("error", () => {}); // a reset by the peer is reported through close; never crash on it
      try {
        handlers.onStream(stream, headers);
      } catch (err) {
        this.#log.error({ error: describe(err), path: headers[":path"] }, "failed to handle a peer request");
        if (!stream.destroyed) stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
      }
    });
    this.#h2.on("sessionError", () => {}); // the session's own error handler destroys it
    this.#h1 = http.createServer(
      {
        keepAlive: true,
        headersTimeout: H1_LIMITS.headersTimeoutMs,
        requestTimeout: H1_LIMITS.requestTimeoutMs,
        connectionsCheckingInterval: H1_LIMITS.checkIntervalMs,
      },
      (req, res) => {
        try {
          handlers.onHttp1(req, res);
        } catch (err) {
          this.#log.error({ error: describe(err), path: req.url }, "failed to handle a peer request");
          if (!res.headersSent) res.writeHead(500).end();
          else res.destroy();
        }
      },
    );
    this.#h1.maxHeadersCount = H1_LIMITS.maxHeadersCount;
    // Idle keep-alive sockets: the same bound as every anonymous connection.
    this.#h1.timeout = options.idleTimeoutMs;
    this.#h1.on("clientError", (_err, socket) => {
      if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n");
      socket.destroy();
    });
  }

  /** Connections open now, and how many of them carry no admitted request. */
  connections(): { total: number; anonymous: number } {
    return { total: this.#guard.size, anonymous: this.#guard.anonymousCount };
  }

  /**
   * Marks the connection carrying `stream` as a member's for as long as the
   * stream is open: it is then exempt from the idle timeout and the cap.
   * Called once the identity check admitted the stream.
   */
  holdWhileOpen(stream: http2.ServerHttp2Stream): void {
    const connection = this.#sessionConnections.get(stream.session as http2.Http2Session);
    if (connection === undefined) return;
    const release = this.#guard.hold(connection);
    stream.once("close", release);
  }

  /** Binds one URL (http or https); port 0 picks a free port. */
  async listen(url: string): Promise<BoundAddress> {
    const parsed = new URL(url);
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw new Error(`transport: unsupported peer URL scheme ${url}`);
    const secure = parsed.protocol === "https:";
    checkPeerUrlSchemes([url], this.#options.tls !== undefined);
    const host = parsed.hostname === "localhost" ? "127.0.0.1" : parsed.hostname.replace(/^\[|\]$/g, "");
    const port = parsed.port === "" ? (secure ? 443 : 80) : Number(parsed.port);
    const handshake = secure ? this.#handshakeSettings() : undefined;
    const server = net.createServer({ noDelay: true }, (s) =>
      this.#guarded(s, () => (handshake !== undefined ? this.#acceptTls(s, handshake) : this.#acceptPlain(s))),
    );
    server.on("error", () => {});
    this.#servers.push(server);
    const bound = await new Promise<net.AddressInfo>((resolve, reject) => {
      server.once("error", reject);
      server.listen({ host, port, exclusive: true }, () => {
        server.off("error", reject);
        const a = server.address();
        if (a === null || typeof a === "string") reject(new Error("transport: listener has no address"));
        else resolve(a);
      });
    });
    const shown = new URL(url);
    shown.port = String(bound.port);
    return { url: shown.href.replace(/\/$/, ""), host: bound.address, port: bound.port };
  }

  /** Stops accepting, closes every connection and session. */
  async close(): Promise<void> {
    const closed = Promise.all(this.#servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    // Cut open connections first: close() waits for them.
    this.#guard.destroyAll();
    await closed;
    this.#h2.close();
    this.#h1.close();
    this.#h1.closeAllConnections();
  }

  /** Runs an accept step; a failure costs the connection, never the process. */
  #guarded(socket: net.Socket, accept: () => void): void {
    try {
      accept();
    } catch (err) {
      this.#log.error({ error: describe(err) }, "failed to accept a peer connection");
      socket.destroy();
    }
  }

  #track(socket: net.Socket): GuardedConnection {
    socket.on("error", () => socket.destroy());
    return this.#guard.add(socket);
  }

  /** The configured handshake with the peer port's ALPN, and no longer than the idle bound. */
  #handshakeSettings(): TlsServerSettings | undefined {
    const settings = this.#options.tls;
    if (settings === undefined) return undefined;
    return { ...settings, alpnProtocols: PEER_ALPN, handshakeTimeoutMs: Math.min(settings.handshakeTimeoutMs, this.#options.idleTimeoutMs) };
  }

  /**
   * Counted by the guard from the first byte, so a flood of handshakes that
   * never finish evicts its own oldest members; the handshake takes the
   * material's current context.
   */
  #acceptTls(socket: net.Socket, settings: TlsServerSettings): void {
    const connection = this.#track(socket);
    if (socket.destroyed) return;
    acceptTls(
      socket,
      settings,
      (secure) => this.#guarded(secure, () => this.#onSecure(connection, secure)),
      (refusal) => this.#logRejected(refusal),
    );
  }

  #onSecure(connection: GuardedConnection, secure: tls.TLSSocket): void {
    secure.on("error", () => secure.destroy());
    if (connection.socket.destroyed || secure.destroyed) return;
    if (secure.alpnProtocol === "h2") {
      this.#toH2(connection, secure);
    } else {
      this.#h1.emit("connection", secure);
    }
  }

  /** etcd's "rejected connection" line for a handshake refused (anyone can provoke it: rate-limited). */
  #logRejected(refusal: TlsRefusal): void {
    this.#remoteWarnings.warn({ "remote-addr": refusal.remoteAddress, error: refusal.reason }, "rejected connection");
  }

  #acceptPlain(socket: net.Socket): void {
    const connection = this.#track(socket);
    if (socket.destroyed) return;
    // Until the first bytes decide the protocol, silence is bounded here.
    socket.setTimeout(this.#options.idleTimeoutMs, () => {
      this.#remoteWarnings.warn({ remote: socket.remoteAddress, "timeout-ms": this.#options.idleTimeoutMs }, "closed a peer connection that sent nothing");
      socket.destroy();
    });
    let head: Buffer = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      this.#guarded(socket, () => {
        head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
        if (head[0] === TLS_HANDSHAKE_RECORD) {
          // Plain text back makes the dialer's TLS fail at once with "wrong version number", not a reset it might retry as a network fault.
          this.#logRejected({ remoteAddress: socket.remoteAddress ?? "", reason: "a TLS handshake on a plain-HTTP peer URL (the members' peer URL schemes do not match)" });
          socket.off("data", onData);
          socket.end("HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n");
          return;
        }
        const n = Math.min(head.length, H2_PREFACE.length);
        const isH2 = head.subarray(0, n).equals(H2_PREFACE.subarray(0, n));
        if (isH2 && head.length < H2_PREFACE.length) return; // not enough bytes to decide yet
        socket.off("data", onData);
        socket.setTimeout(0);
        socket.pause();
        socket.unshift(head);
        if (isH2) {
          // The session takes the socket's handle and reads the unshifted
          // bytes itself; resuming the JS stream here would steal them.
          this.#toH2(connection, socket);
        } else {
          this.#h1.emit("connection", socket);
          socket.resume();
        }
      });
    };
    socket.on("data", onData);
  }

  /** Hands `socket` (the connection's own, or the TLS socket over it) to the HTTP/2 server. */
  #toH2(connection: GuardedConnection, socket: net.Socket): void {
    this.#routing = connection;
    try {
      this.#h2.emit("connection", socket);
    } finally {
      this.#routing = undefined;
    }
  }

  /** Ties a new session to its connection and bounds its silence. */
  #guardSession(session: http2.ServerHttp2Session): void {
    session.on("error", () => session.destroy());
    const connection = this.#routing;
    if (connection === undefined) return;
    this.#sessionConnections.set(session, connection);
    const idleMs = this.#options.idleTimeoutMs;
    const onIdle = (): void => {
      if (session.destroyed) return;
      if (this.#guard.isHeld(connection)) {
        // A member's session (its streams have their own bounds); look again later.
        session.setTimeout(idleMs, onIdle);
        return;
      }
      this.#remoteWarnings.warn({ remote: connection.socket.remoteAddress, "timeout-ms": idleMs }, "closed an idle peer connection");
      session.destroy();
    };
    session.setTimeout(idleMs, onIdle);
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
