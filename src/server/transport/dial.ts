/**
 * Opening HTTP/2 sessions to a peer URL (h2c for http, ALPN h2 for https),
 * and small helpers for the request/answer plumbing shared by the message
 * stream, the prober and the snapshot sender.
 * @module
 */
import * as http2 from "node:http2";
import type * as tls from "node:tls";

export interface DialOptions {
  settings: http2.Settings;
  connectionWindowBytes: number;
  maxSessionMemoryMb: number;
  tls?: tls.SecureContextOptions & { ca?: string | Buffer | Array<string | Buffer>; rejectUnauthorized?: boolean };
}

export function dialPeer(url: string, options: DialOptions): http2.ClientHttp2Session {
  const session = http2.connect(url, {
    settings: options.settings,
    maxSessionMemory: options.maxSessionMemoryMb,
    ...(url.startsWith("https:") ? { ...(options.tls ?? {}), ALPNProtocols: ["h2"] } : {}),
  });
  session.on("error", () => {}); // surfaced through 'close' on the session and its streams
  session.once("connect", () => {
    try {
      session.setLocalWindowSize(options.connectionWindowBytes);
    } catch {
      // The session closed between connect and here; its close handler runs next.
    }
  });
  return session;
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
