/**
 * A raw HTTP/2 client for attacks: writes any frame, well-formed or not, and
 * parses what the server sends back (to see its SETTINGS, RST_STREAM and
 * GOAWAY codes). Written from RFC 7540 without any of the server's code, so
 * a bug in our frame layer cannot hide itself here.
 * @module
 */
import { connect, type Socket } from "node:net";

export const PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");

export const Type = {
  Data: 0x0,
  Headers: 0x1,
  Priority: 0x2,
  RstStream: 0x3,
  Settings: 0x4,
  PushPromise: 0x5,
  Ping: 0x6,
  Goaway: 0x7,
  WindowUpdate: 0x8,
  Continuation: 0x9,
} as const;

export const Flags = { EndStream: 0x1, Ack: 0x1, EndHeaders: 0x4, Padded: 0x8, Priority: 0x20 } as const;

/** HTTP/2 error codes by name, and names by code for messages. */
export const Code = {
  NO_ERROR: 0x0,
  PROTOCOL_ERROR: 0x1,
  INTERNAL_ERROR: 0x2,
  FLOW_CONTROL_ERROR: 0x3,
  STREAM_CLOSED: 0x5,
  FRAME_SIZE_ERROR: 0x6,
  REFUSED_STREAM: 0x7,
  CANCEL: 0x8,
  COMPRESSION_ERROR: 0x9,
  ENHANCE_YOUR_CALM: 0xb,
} as const;

export function codeName(code: number): string {
  return Object.entries(Code).find(([, v]) => v === code)?.[0] ?? `0x${code.toString(16)}`;
}

export const Setting = { HeaderTableSize: 1, EnablePush: 2, MaxConcurrentStreams: 3, InitialWindowSize: 4, MaxFrameSize: 5, MaxHeaderListSize: 6 } as const;

// ---- frames ------------------------------------------------------------------

export function frame(type: number, flags: number, streamId: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const buf = Buffer.allocUnsafe(9 + payload.length);
  buf.writeUIntBE(payload.length, 0, 3);
  buf[3] = type;
  buf[4] = flags;
  buf.writeUInt32BE(streamId >>> 0, 5);
  payload.copy(buf, 9);
  return buf;
}

export function settings(entries: readonly (readonly [number, number])[] = []): Buffer {
  const payload = Buffer.alloc(entries.length * 6);
  entries.forEach(([id, value], i) => {
    payload.writeUInt16BE(id, i * 6);
    payload.writeUInt32BE(value, i * 6 + 2);
  });
  return frame(Type.Settings, 0, 0, payload);
}

export const settingsAck = (): Buffer => frame(Type.Settings, Flags.Ack, 0);
export const ping = (data = Buffer.alloc(8), ack = false): Buffer => frame(Type.Ping, ack ? Flags.Ack : 0, 0, data);
export const headers = (streamId: number, block: Buffer, flags: number): Buffer => frame(Type.Headers, flags, streamId, block);
export const continuation = (streamId: number, fragment: Buffer, endHeaders: boolean): Buffer =>
  frame(Type.Continuation, endHeaders ? Flags.EndHeaders : 0, streamId, fragment);
export const data = (streamId: number, payload: Buffer, endStream: boolean): Buffer => frame(Type.Data, endStream ? Flags.EndStream : 0, streamId, payload);

export function rstStream(streamId: number, code: number): Buffer {
  const payload = Buffer.alloc(4);
  payload.writeUInt32BE(code);
  return frame(Type.RstStream, 0, streamId, payload);
}

export function windowUpdate(streamId: number, increment: number): Buffer {
  const payload = Buffer.alloc(4);
  payload.writeUInt32BE(increment >>> 0);
  return frame(Type.WindowUpdate, 0, streamId, payload);
}

export function priority(streamId: number, dependsOn: number, weight: number): Buffer {
  const payload = Buffer.alloc(5);
  payload.writeUInt32BE(dependsOn >>> 0);
  payload[4] = weight;
  return frame(Type.Priority, 0, streamId, payload);
}

export function goaway(lastStreamId: number, code: number): Buffer {
  const payload = Buffer.alloc(8);
  payload.writeUInt32BE(lastStreamId);
  payload.writeUInt32BE(code, 4);
  return frame(Type.Goaway, 0, 0, payload);
}

// ---- HPACK (literal header fields without indexing, no Huffman) ----------------

function hpackInt(out: number[], first: number, prefixBits: number, value: number): void {
  const max = (1 << prefixBits) - 1;
  if (value < max) {
    out.push(first | value);
    return;
  }
  out.push(first | max);
  let rest = value - max;
  while (rest >= 128) {
    out.push((rest % 128) + 128);
    rest = Math.floor(rest / 128);
  }
  out.push(rest);
}

/** A header block of literal fields without indexing (RFC 7541 §6.2.2), new names, raw strings. */
export function hpackBlock(fields: readonly (readonly [string, string])[]): Buffer {
  const out: number[] = [];
  for (const [name, value] of fields) {
    out.push(0x00);
    for (const s of [name, value]) {
      const bytes = Buffer.from(s, "latin1");
      hpackInt(out, 0x00, 7, bytes.length);
      for (const b of bytes) out.push(b);
    }
  }
  return Buffer.from(out);
}

/** The request header block of a gRPC call to `path`. */
export function grpcRequestBlock(path: string, extra: readonly (readonly [string, string])[] = []): Buffer {
  return hpackBlock([
    [":method", "POST"],
    [":scheme", "http"],
    [":path", path],
    [":authority", "127.0.0.1"],
    ["content-type", "application/grpc"],
    ["te", "trailers"],
    ...extra,
  ]);
}

/** A gRPC length-prefixed message. */
export function grpcMessage(body: Uint8Array, compressed = false): Buffer {
  const out = Buffer.allocUnsafe(5 + body.length);
  out[0] = compressed ? 1 : 0;
  out.writeUInt32BE(body.length, 1);
  out.set(body, 5);
  return out;
}

// ---- connection --------------------------------------------------------------

export interface Frame {
  type: number;
  flags: number;
  streamId: number;
  payload: Buffer;
}

export interface Goaway {
  lastStreamId: number;
  code: number;
  debug: string;
}

/** A TCP connection to the server speaking raw frames; everything the server sends is parsed and kept (counted, for DATA). */
export class RawConnection {
  readonly socket: Socket;
  /** Frames received, except DATA (counted in `dataBytes` only, to keep memory flat). */
  readonly frames: Frame[] = [];
  dataBytes = 0;
  goaway: Goaway | undefined;
  closed = false;
  readonly #waiters = new Set<() => void>();
  #pending: Buffer = Buffer.alloc(0);

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on("data", (chunk: Buffer) => this.#receive(chunk));
    socket.on("error", () => {});
    socket.on("close", () => {
      this.closed = true;
      this.#wake();
    });
  }

  /** Opens a TCP connection; with `h2`, sends the preface and an empty SETTINGS (and ACKs nothing: tests decide). */
  static open(port: number, options: { h2: boolean } = { h2: true }): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: "127.0.0.1", port });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error("connect timed out"));
      }, 10_000);
      socket.once("error", (err) => {
        clearTimeout(timer);
        reject(err);
      });
      socket.once("connect", () => {
        clearTimeout(timer);
        socket.setNoDelay(true);
        const conn = new RawConnection(socket);
        if (options.h2) conn.write(Buffer.concat([PREFACE, settings()]));
        resolve(conn);
      });
    });
  }

  /** Writes; false when the kernel buffer is full (the caller may wait for `drained`). */
  write(buf: Buffer): boolean {
    if (this.closed || this.socket.destroyed) return false;
    return this.socket.write(buf);
  }

  /** Resolves when the socket can take writes again, or is closed, or after `ms`. */
  drained(ms: number): Promise<void> {
    if (!this.socket.writableNeedDrain || this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.socket.off("drain", done);
        this.socket.off("close", done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.socket.once("drain", done);
      this.socket.once("close", done);
    });
  }

  /** Stops reading from the socket: the server's writes pile up in the kernel, then in the server. */
  stopReading(): void {
    this.socket.pause();
  }

  /** Resolves true when `check` holds (tested on every frame and on close), false after `ms`. */
  waitFor(check: () => boolean, ms: number): Promise<boolean> {
    if (check()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const waiter = (): void => {
        if (!check()) return;
        finish(true);
      };
      const finish = (ok: boolean): void => {
        clearTimeout(timer);
        this.#waiters.delete(waiter);
        resolve(ok);
      };
      const timer = setTimeout(() => finish(check()), ms);
      this.#waiters.add(waiter);
    });
  }

  /** Waits until the server sent GOAWAY or closed the connection. */
  waitClosedOrGoaway(ms: number): Promise<boolean> {
    return this.waitFor(() => this.closed || this.goaway !== undefined, ms);
  }

  /** The error code of the first RST_STREAM on a stream, if any. */
  rstCode(streamId: number): number | undefined {
    const f = this.frames.find((x) => x.type === Type.RstStream && x.streamId === streamId);
    return f === undefined ? undefined : f.payload.readUInt32BE(0);
  }

  /** Whether a HEADERS frame came on the stream (a response). */
  answered(streamId: number): boolean {
    return this.frames.some((x) => x.type === Type.Headers && x.streamId === streamId);
  }

  /** A short description of how the connection ended, for messages. */
  describeEnd(): string {
    const g = this.goaway;
    const goawayText = g === undefined ? "no GOAWAY" : `GOAWAY ${codeName(g.code)}${g.debug === "" ? "" : ` "${g.debug}"`}`;
    return `${goawayText}, ${this.closed ? "closed" : "still open"}`;
  }

  destroy(): void {
    this.socket.destroy();
  }

  #receive(chunk: Buffer): void {
    let buf: Buffer = this.#pending.length === 0 ? chunk : Buffer.concat([this.#pending, chunk]);
    while (buf.length >= 9) {
      const length = buf.readUIntBE(0, 3);
      if (buf.length < 9 + length) break;
      const f: Frame = { type: buf[3]!, flags: buf[4]!, streamId: buf.readUInt32BE(5) & 0x7fffffff, payload: Buffer.from(buf.subarray(9, 9 + length)) };
      buf = buf.subarray(9 + length);
      if (f.type === Type.Data) this.dataBytes += f.payload.length;
      else if (this.frames.length < 100_000) this.frames.push(f);
      if (f.type === Type.Goaway && this.goaway === undefined && f.payload.length >= 8) {
        this.goaway = { lastStreamId: f.payload.readUInt32BE(0) & 0x7fffffff, code: f.payload.readUInt32BE(4), debug: f.payload.subarray(8).toString("utf8") };
      }
    }
    this.#pending = buf;
    this.#wake();
  }

  #wake(): void {
    for (const waiter of [...this.#waiters]) waiter();
  }
}

/**
 * Writes frames from `next` as fast as the socket takes them until `next`
 * returns undefined, the connection closes or `ms` pass. Returns the bytes written.
 */
export async function flood(conn: RawConnection, next: (i: number) => Buffer | undefined, ms: number): Promise<{ bytes: number; frames: number }> {
  const deadline = Date.now() + ms;
  let bytes = 0;
  let frames = 0;
  while (!conn.closed && Date.now() < deadline) {
    // Write a batch per turn, so the event loop (and the server's replies) keep moving.
    const batch: Buffer[] = [];
    let size = 0;
    while (size < 64 * 1024) {
      const f = next(frames);
      if (f === undefined) break;
      batch.push(f);
      size += f.length;
      frames++;
    }
    if (batch.length === 0) break;
    bytes += size;
    if (!conn.write(Buffer.concat(batch, size))) await conn.drained(Math.max(1, deadline - Date.now()));
    else await new Promise((resolve) => setImmediate(resolve));
  }
  return { bytes, frames };
}
