/**
 * Opening HTTP/2 sessions to a peer URL (h2c for http, ALPN h2 for https,
 * presenting this member's peer certificate),
 * and small helpers for the request/answer plumbing shared by the message
 * stream, the prober and the snapshot sender.
 * @module
 */
import * as http2 from "node:http2";
import * as net from "node:net";
import * as tls from "node:tls";
import { clientConnectOptions, type TlsClientSettings } from "../../tls/index.js";
import { newDialTrace, type DialTrace } from "./dial-failure.js";

export interface DialOptions {
  settings: http2.Settings;
  connectionWindowBytes: number;
  maxSessionMemoryMb: number;
  /**
   * What this member presents and trusts on https peer URLs, read at every
   * dial so a rotated certificate or CA is used on the next connection.
   * Without it an https peer is checked against the system's roots and
   * shown no certificate (a member without --peer-* flags dialing a TLS peer).
   */
  tls?: TlsClientSettings;
}

/** Raft traffic is HTTP/2 only; the peer's listener offers h2 and http/1.1. */
const PEER_DIAL_ALPN = ["h2"] as const;

/** An HTTP/2 session to a peer, and what its dial saw of the connection (see dial-failure.ts). */
export interface PeerDial {
  readonly session: http2.ClientHttp2Session;
  readonly trace: DialTrace;
}

/**
 * Opens an HTTP/2 session to a peer URL. The socket is made here (TLS
 * through src/tls for https) so that its first error — a refused
 * certificate, a peer speaking another protocol — is recorded in the trace
 * before HTTP/2 turns it into a bare closed session.
 */
export function dialPeer(url: string, options: DialOptions): PeerDial {
  const target = new URL(url);
  const secure = target.protocol === "https:";
  const trace = newDialTrace(secure);
  const host = target.hostname.replace(/^\[|\]$/g, "");
  const port = target.port === "" ? (secure ? 443 : 80) : Number(target.port);
  const socket = secure ? tls.connect({ ...secureOptions(options.tls), host, port, ...(net.isIP(host) === 0 ? { servername: host } : {}) }) : net.connect({ host, port, noDelay: true });
  socket.once("connect", () => (trace.connected = true));
  socket.once("error", (err) => (trace.error ??= err));
  const session = http2.connect(url, {
    settings: options.settings,
    maxSessionMemory: options.maxSessionMemoryMb,
    createConnection: () => socket,
  });
  session.on("error", (err) => (trace.error ??= err)); // also surfaced through 'close' on the session and its streams
  session.once("remoteSettings", () => (trace.spokeHttp = true));
  session.once("connect", () => {
    try {
      session.setLocalWindowSize(options.connectionWindowBytes);
    } catch {
      // The session closed between connect and here; its close handler runs next.
    }
  });
  return { session, trace };
}

function secureOptions(settings: TlsClientSettings | undefined): tls.ConnectionOptions {
  return settings !== undefined ? clientConnectOptions(settings, PEER_DIAL_ALPN) : { ALPNProtocols: [...PEER_DIAL_ALPN] };
}

/**
 * Destroys a client session on the next turn. Destroying it from within
 * the 'close' of a stream the peer reset (or a promise settled by it), with
 * another stream such as a probe open, sent node 20's HTTP/2 into an endless
 * write loop that wedged the whole member.
 */
export function destroyLater(session: http2.ClientHttp2Session): void {
  setImmediate(() => session.destroy());
}

/** Reads a (small) answer body as text, up to `limit` bytes. */
export function readText(stream: http2.ClientHttp2Stream, limit = 64 * 1024): Promise<string> {
  return new Promise((resolve) => {
    let text = "";
    if (stream.readableEnded || stream.destroyed) {
      resolve(text);
      return;
    }
    stream.setEncoding("utf8");
    stream.on("data", (c: string) => {
      if (text.length < limit) text += c;
    });
    stream.on("end", () => resolve(text));
    stream.on("close", () => resolve(text));
    stream.on("error", () => resolve(text));
  });
}

/** The first response headers of a request, or the reason it never got them. */
export function awaitResponse(stream: http2.ClientHttp2Stream): Promise<http2.IncomingHttpHeaders & http2.IncomingHttpStatusHeader> {
  return new Promise((resolve, reject) => {
    const onClose = (): void => reject(new Error(`stream closed before an answer (code ${stream.rstCode ?? "none"})`));
    stream.once("response", (headers) => {
      stream.off("close", onClose);
      resolve(headers);
    });
    stream.once("close", onClose);
    stream.once("error", (err: Error) => {
      stream.off("close", onClose);
      reject(err);
    });
  });
}

/** Resolves on 'drain', rejects if the stream closes or fails first. */
export function drained(stream: http2.Http2Stream): Promise<void> {
  return new Promise((resolve, reject) => {
    const cleanup = (): void => {
      stream.off("drain", onDrain);
      stream.off("close", onClose);
      stream.off("error", onError);
    };
    const onDrain = (): void => {
      cleanup();
      resolve();
    };
    const onClose = (): void => {
      cleanup();
      reject(new Error("stream closed while waiting to write"));
    };
    const onError = (err: Error): void => {
      cleanup();
      reject(err);
    };
    stream.on("drain", onDrain);
    stream.on("close", onClose);
    stream.on("error", onError);
  });
}
