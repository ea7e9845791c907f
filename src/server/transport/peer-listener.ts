/**
 * The sockets of the peer URLs. Raft traffic between members is HTTP/2; tools
 * and joining members may also ask plain HTTP/1.1 questions (`GET /members`,
 * `/version`) as they do of etcd. So, as on the client port, a connection that
 * opens with the HTTP/2 preface goes to the HTTP/2 server and anything else
 * to an HTTP/1.1 server. For https URLs ALPN makes the same choice.
 * @module
 */
import * as http from "node:http";
import * as http2 from "node:http2";
import * as net from "node:net";
import * as tls from "node:tls";

const H2_PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");

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
  /** Per-session memory budget in MiB before nghttp2 refuses new frames. */
  maxSessionMemoryMb: number;
  /** Key and certificate for https peer URLs. */
  tls?: tls.SecureContextOptions & { requestCert?: boolean; ca?: string | Buffer | Array<string | Buffer> };
}

export class PeerListener {
  readonly #h2: http2.Http2Server;
  readonly #h1: http.Server;
  readonly #servers: net.Server[] = [];
  readonly #sockets = new Set<net.Socket>();
  readonly #options: PeerListenerOptions;

  constructor(handlers: PeerListenerHandlers, options: PeerListenerOptions) {
    this.#options = options;
    this.#h2 = http2.createServer({ settings: options.settings, maxSessionMemory: options.maxSessionMemoryMb });
    this.#h2.on("stream", (stream, headers) => {
      stream.on("error", () => {}); // a reset by the peer is reported through close; never crash on it
      handlers.onStream(stream, headers);
    });
    this.#h2.on("session", (session) => {
      session.on("error", () => session.destroy());
    });
    this.#h1 = http.createServer({ keepAlive: true }, (req, res) => handlers.onHttp1(req, res));
  }

  /** Binds one URL (http or https); port 0 picks a free port. */
  async listen(url: string): Promise<BoundAddress> {
    const parsed = new URL(url);
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw new Error(`transport: unsupported peer URL scheme ${url}`);
    const secure = parsed.protocol === "https:";
    if (secure && this.#options.tls === undefined) throw new Error(`transport: ${url} needs TLS settings`);
    const host = parsed.hostname === "localhost" ? "127.0.0.1" : parsed.hostname.replace(/^\[|\]$/g, "");
    const port = parsed.port === "" ? (secure ? 443 : 80) : Number(parsed.port);
    const server = secure
      ? tls.createServer({ ...this.#options.tls, ALPNProtocols: ["h2", "http/1.1"] }).on("secureConnection", (s) => this.#acceptTls(s))
      : net.createServer({ noDelay: true }, (s) => this.#acceptPlain(s));
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
    for (const socket of this.#sockets) socket.destroy();
    await closed;
    this.#h2.close();
    this.#h1.close();
    this.#h1.closeAllConnections();
  }

  #track(socket: net.Socket): void {
    this.#sockets.add(socket);
    socket.once("close", () => this.#sockets.delete(socket));
    socket.on("error", () => socket.destroy());
  }

  #acceptTls(socket: tls.TLSSocket): void {
    this.#track(socket);
    if (socket.alpnProtocol === "h2") this.#h2.emit("connection", socket);
    else this.#h1.emit("connection", socket);
  }

  #acceptPlain(socket: net.Socket): void {
    this.#track(socket);
    let head: Buffer = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
      const n = Math.min(head.length, H2_PREFACE.length);
      const isH2 = head.subarray(0, n).equals(H2_PREFACE.subarray(0, n));
      if (isH2 && head.length < H2_PREFACE.length) return; // not enough bytes to decide yet
      socket.off("data", onData);
      socket.pause();
      socket.unshift(head);
      if (isH2) {
        // The session takes the socket's handle and reads the unshifted
        // bytes itself; resuming the JS stream here would steal them.
        this.#h2.emit("connection", socket);
      } else {
        this.#h1.emit("connection", socket);
        socket.resume();
      }
    };
    socket.on("data", onData);
  }
}
