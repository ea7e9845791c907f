/**
 * For tests: a hand-driven HTTP/2 client that writes and reads frames over a
 * plain socket, and an H2Connection served on a free loopback port with a
 * stream handler of the test's choosing.
 * @module
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { connect, createServer, type Socket } from "node:net";
import { H2Connection, type H2Options, type StreamHandler } from "./connection.js";
import { CLIENT_PREFACE, ErrorCode, Flag, FrameType, Setting } from "./frames.js";
import { encodeHeaders, HpackDecoder } from "./hpack.js";

export interface Frame {
  type: number;
  flags: number;
  streamId: number;
  payload: Buffer;
}

const openClients = new Set<Socket>();

/** Destroys every RawClient socket still open (for a test file's `after`). */
export function destroyRawClients(): void {
  for (const socket of openClients) socket.destroy();
  openClients.clear();
}

/** One frame's bytes; `declaredLength` may lie about the payload. */
export function rawFrame(type: FrameType | number, flags: number, streamId: number, payload: Buffer = Buffer.alloc(0), declaredLength = payload.length): Buffer {
  const head = Buffer.alloc(9);
  head.writeUIntBE(declaredLength, 0, 3);
  head[3] = type;
  head[4] = flags;
  head.writeUInt32BE(streamId, 5);
  return Buffer.concat([head, payload]);
}

/** A request header block; `extra` fields are appended. */
export function requestHeaders(path: string, extra: [string, string][] = []): Buffer {
  return encodeHeaders([
    [":method", "POST"],
    [":scheme", "http"],
    [":path", path],
    [":authority", "localhost"],
    ["content-type", "application/grpc"],
    ["te", "trailers"],
    ...extra,
  ]);
}

export interface ServedH2 {
  port: number;
  /** The server side of each connection accepted, with its socket. */
  connections: { conn: H2Connection; socket: Socket }[];
  close(): Promise<void>;
}

/** Serves H2Connections with `onStream` on a free loopback port; the client preface is read as the client listener does. */
export async function serveH2(options: Partial<H2Options>, onStream: StreamHandler): Promise<ServedH2> {
  const full: H2Options = {
    maxConcurrentStreams: 100,
    streamWindow: 65_535,
    connectionWindow: 65_535,
    maxHeaderListSize: 64 * 1024,
    keepaliveIntervalMs: 0,
    keepaliveTimeoutMs: 20_000,
    ...options,
  };
  const connections: ServedH2["connections"] = [];
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      head = Buffer.concat([head, chunk]);
      if (head.length < CLIENT_PREFACE.length) return;
      socket.off("data", onData);
      socket.pause();
      if (!head.subarray(0, CLIENT_PREFACE.length).equals(CLIENT_PREFACE)) {
        socket.destroy();
        return;
      }
      const conn = new H2Connection(socket, full, onStream);
      connections.push({ conn, socket });
      conn.start(head.subarray(CLIENT_PREFACE.length));
    };
    socket.on("data", onData);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  assert.ok(address !== null && typeof address === "object");
  return {
    port: address.port,
    connections,
    async close() {
      for (const socket of sockets) socket.destroy();
      server.close();
      await once(server, "close");
    },
  };
}

/** A hand-driven HTTP/2 client. */
export class RawClient {
  readonly socket: Socket;
  readonly frames: Frame[] = [];
  readonly decoder = new HpackDecoder({ maxTableSize: 4096, maxHeaderListSize: 1 << 20 });
  closed = false;
  readonly closedPromise: Promise<void>;
  #buf = Buffer.alloc(0);
  #wake: (() => void) | undefined;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on("data", (chunk: Buffer) => {
      this.#buf = Buffer.concat([this.#buf, chunk]);
      while (this.#buf.length >= 9) {
        const length = this.#buf.readUIntBE(0, 3);
        if (this.#buf.length < 9 + length) break;
        this.frames.push({ type: this.#buf[3]!, flags: this.#buf[4]!, streamId: this.#buf.readUInt32BE(5) & 0x7fffffff, payload: this.#buf.subarray(9, 9 + length) });
        this.#buf = this.#buf.subarray(9 + length);
      }
      this.#wake?.();
    });
    socket.on("error", () => {});
    this.closedPromise = new Promise((resolve) =>
      socket.once("close", () => {
        this.closed = true;
        this.#wake?.();
        resolve();
      }),
    );
  }

  /** Connects and sends the preface and a SETTINGS frame of `settings` (or no SETTINGS frame at all). */
  static async connect(port: number, settings: [Setting, number][] | "no SETTINGS" = []): Promise<RawClient> {
    const socket = connect(port, "127.0.0.1");
    await once(socket, "connect");
    const client = new RawClient(socket);
    openClients.add(socket);
    socket.once("close", () => openClients.delete(socket));
    socket.write(CLIENT_PREFACE);
    if (settings !== "no SETTINGS") client.settings(settings);
    return client;
  }

  /** Stops handing frames to `frames` and stops reading the socket: a client that never reads. */
  stopReading(): void {
    this.socket.pause();
  }

  /** Writes one frame; false when the socket's buffer is full (the server is not reading). */
  send(type: FrameType | number, flags: number, streamId: number, payload: Buffer = Buffer.alloc(0), declaredLength = payload.length): boolean {
    return this.socket.write(rawFrame(type, flags, streamId, payload, declaredLength));
  }

  rst(streamId: number, code: ErrorCode): void {
    const payload = Buffer.alloc(4);
    payload.writeUInt32BE(code);
    this.send(FrameType.RstStream, 0, streamId, payload);
  }

  /** The code of the RST_STREAM the server sends next on `streamId`. */
  async rstCode(streamId: number): Promise<number> {
    const f = await this.next((f) => f.streamId === streamId && f.type === FrameType.RstStream, `RST_STREAM on stream ${streamId}`);
    return f.payload.readUInt32BE(0);
  }

  settings(settings: [Setting, number][]): void {
    const payload = Buffer.alloc(settings.length * 6);
    settings.forEach(([id, value], i) => {
      payload.writeUInt16BE(id, i * 6);
      payload.writeUInt32BE(value, i * 6 + 2);
    });
    this.send(FrameType.Settings, 0, 0, payload);
  }

  windowUpdate(streamId: number, increment: number): void {
    const payload = Buffer.alloc(4);
    payload.writeUInt32BE(increment);
    this.send(FrameType.WindowUpdate, 0, streamId, payload);
  }

  /** Waits for (and removes) the first frame that matches. */
  async next(match: (f: Frame) => boolean, what = "a frame", timeoutMs = 3000): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.frames.findIndex(match);
      if (i >= 0) return this.frames.splice(i, 1)[0]!;
      if (this.closed) assert.fail(`connection closed while waiting for ${what}`);
      const left = deadline - Date.now();
      if (left <= 0) assert.fail(`timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.#wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.#wake = undefined;
    }
  }

  async goaway(): Promise<{ lastStreamId: number; code: number; debug: string }> {
    const f = await this.next((f) => f.type === FrameType.Goaway, "GOAWAY");
    return { lastStreamId: f.payload.readUInt32BE(0) & 0x7fffffff, code: f.payload.readUInt32BE(4), debug: f.payload.subarray(8).toString() };
  }

  /** Reads one stream's response: headers, body, trailers (or a reset). */
  async response(streamId: number, autoWindow = true): Promise<{ headers: Map<string, string>; body: Buffer; trailers: Map<string, string>; dataFrames: number[]; rst?: number }> {
    const headers = new Map<string, string>();
    const trailers = new Map<string, string>();
    const body: Buffer[] = [];
    const dataFrames: number[] = [];
    let sawHeaders = false;
    for (;;) {
      const f = await this.next((f) => f.streamId === streamId, `a frame on stream ${streamId}`);
      if (f.type === FrameType.RstStream) return { headers, body: Buffer.concat(body), trailers, dataFrames, rst: f.payload.readUInt32BE(0) };
      if (f.type === FrameType.Data) {
        body.push(f.payload);
        dataFrames.push(f.payload.length);
        if (autoWindow && f.payload.length > 0) {
          this.windowUpdate(0, f.payload.length);
          this.windowUpdate(streamId, f.payload.length);
        }
      } else if (f.type === FrameType.Headers) {
        assert.ok(f.flags & Flag.EndHeaders, "the server's header blocks fit in one frame");
        const list = this.decoder.decode(f.payload);
        const target = sawHeaders ? trailers : headers;
        for (let i = 0; i < list.length; i += 2) target.set(list[i]!, list[i + 1]!);
        sawHeaders = true;
      }
      if (f.flags & Flag.EndStream && (f.type === FrameType.Data || f.type === FrameType.Headers)) {
        return { headers, body: Buffer.concat(body), trailers, dataFrames };
      }
    }
  }
}

