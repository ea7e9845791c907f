/**
 * Malformed frames of every type, each with the answer RFC 7540 requires:
 * a connection error (GOAWAY with the code, then close) or, where the RFC
 * allows a stream error, RST_STREAM with the code. Shared by the suite's
 * run against ours (asserted) and against real etcd (compared).
 * @module
 */
import { Code, codeName, Flags, frame, grpcRequestBlock, hpackBlock, ping, PREFACE, RawConnection, Setting, settings, Type } from "./raw-h2.js";

export interface MalformedCase {
  name: string;
  /** Bytes after the preface and an empty SETTINGS (or instead of both, when `raw`). */
  bytes: Buffer;
  raw?: boolean;
  /** The required error code; `stream` when a RST_STREAM with it is a correct answer too. */
  code: number;
  stream?: boolean;
}

const u32 = (...values: number[]): Buffer => {
  const b = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => b.writeUInt32BE(v >>> 0, i * 4));
  return b;
};
const request = (id: number, flags = Flags.EndHeaders | Flags.EndStream): Buffer => frame(Type.Headers, flags, id, grpcRequestBlock("/etcdserverpb.KV/Range"));

export const MALFORMED: readonly MalformedCase[] = [
  { name: "first frame after the preface is not SETTINGS", bytes: Buffer.concat([PREFACE, ping()]), raw: true, code: Code.PROTOCOL_ERROR },
  { name: "DATA on stream 0", bytes: frame(Type.Data, 0, 0, Buffer.from("x")), code: Code.PROTOCOL_ERROR },
  { name: "DATA on an idle stream", bytes: frame(Type.Data, 0, 1, Buffer.from("x")), code: Code.PROTOCOL_ERROR },
  { name: "DATA larger than SETTINGS_MAX_FRAME_SIZE", bytes: Buffer.concat([request(1, Flags.EndHeaders), frame(Type.Data, 0, 1, Buffer.alloc(16_385))]), code: Code.FRAME_SIZE_ERROR },
  { name: "DATA with padding longer than the frame", bytes: Buffer.concat([request(1, Flags.EndHeaders), frame(Type.Data, Flags.Padded, 1, Buffer.from([9, 0, 0]))]), code: Code.PROTOCOL_ERROR },
  { name: "HEADERS on stream 0", bytes: request(0), code: Code.PROTOCOL_ERROR },
  { name: "HEADERS on an even stream id", bytes: request(2), code: Code.PROTOCOL_ERROR },
  { name: "HEADERS on a stream id lower than the last", bytes: Buffer.concat([request(5), request(3)]), code: Code.PROTOCOL_ERROR },
  { name: "HEADERS with padding longer than the frame", bytes: frame(Type.Headers, Flags.EndHeaders | Flags.Padded, 1, Buffer.from([200, 0x82])), code: Code.PROTOCOL_ERROR },
  { name: "HEADERS depending on itself", bytes: frame(Type.Headers, Flags.EndHeaders | Flags.EndStream | Flags.Priority, 1, Buffer.concat([u32(1), Buffer.from([16]), grpcRequestBlock("/etcdserverpb.KV/Range")])), code: Code.PROTOCOL_ERROR, stream: true },
  { name: "HEADERS with an invalid HPACK index", bytes: frame(Type.Headers, Flags.EndHeaders | Flags.EndStream, 1, Buffer.from([0xff, 0xff, 0xff, 0x0f])), code: Code.COMPRESSION_ERROR },
  { name: "HEADERS with an uppercase header name", bytes: frame(Type.Headers, Flags.EndHeaders | Flags.EndStream, 1, Buffer.concat([grpcRequestBlock("/etcdserverpb.KV/Range"), hpackBlock([["X-Upper", "1"]])])), code: Code.PROTOCOL_ERROR, stream: true },
  { name: "PRIORITY on stream 0", bytes: frame(Type.Priority, 0, 0, Buffer.concat([u32(0), Buffer.from([16])])), code: Code.PROTOCOL_ERROR },
  { name: "PRIORITY of 4 bytes", bytes: frame(Type.Priority, 0, 1, u32(0)), code: Code.FRAME_SIZE_ERROR, stream: true },
  { name: "RST_STREAM on stream 0", bytes: frame(Type.RstStream, 0, 0, u32(Code.CANCEL)), code: Code.PROTOCOL_ERROR },
  { name: "RST_STREAM on an idle stream", bytes: frame(Type.RstStream, 0, 1, u32(Code.CANCEL)), code: Code.PROTOCOL_ERROR },
  { name: "RST_STREAM of 3 bytes", bytes: Buffer.concat([request(1, Flags.EndHeaders), frame(Type.RstStream, 0, 1, Buffer.alloc(3))]), code: Code.FRAME_SIZE_ERROR },
  { name: "SETTINGS on stream 1", bytes: frame(Type.Settings, 0, 1, Buffer.alloc(0)), code: Code.PROTOCOL_ERROR },
  { name: "SETTINGS of 5 bytes", bytes: frame(Type.Settings, 0, 0, Buffer.alloc(5)), code: Code.FRAME_SIZE_ERROR },
  { name: "SETTINGS ACK with a payload", bytes: frame(Type.Settings, Flags.Ack, 0, Buffer.alloc(6)), code: Code.FRAME_SIZE_ERROR },
  { name: "SETTINGS_ENABLE_PUSH of 2", bytes: settings([[Setting.EnablePush, 2]]), code: Code.PROTOCOL_ERROR },
  { name: "SETTINGS_INITIAL_WINDOW_SIZE over 2^31-1", bytes: settings([[Setting.InitialWindowSize, 2 ** 31]]), code: Code.FLOW_CONTROL_ERROR },
  { name: "SETTINGS_MAX_FRAME_SIZE below 16384", bytes: settings([[Setting.MaxFrameSize, 100]]), code: Code.PROTOCOL_ERROR },
  { name: "PUSH_PROMISE from the client", bytes: frame(Type.PushPromise, Flags.EndHeaders, 1, Buffer.concat([u32(2), hpackBlock([[":method", "GET"]])])), code: Code.PROTOCOL_ERROR },
  { name: "PING on stream 1", bytes: frame(Type.Ping, 0, 1, Buffer.alloc(8)), code: Code.PROTOCOL_ERROR },
  { name: "PING of 7 bytes", bytes: frame(Type.Ping, 0, 0, Buffer.alloc(7)), code: Code.FRAME_SIZE_ERROR },
  { name: "GOAWAY on stream 1", bytes: frame(Type.Goaway, 0, 1, u32(0, 0)), code: Code.PROTOCOL_ERROR },
  { name: "WINDOW_UPDATE of 3 bytes", bytes: frame(Type.WindowUpdate, 0, 0, Buffer.alloc(3)), code: Code.FRAME_SIZE_ERROR },
  { name: "WINDOW_UPDATE of 0 on the connection", bytes: frame(Type.WindowUpdate, 0, 0, u32(0)), code: Code.PROTOCOL_ERROR },
  { name: "WINDOW_UPDATE overflowing the connection window", bytes: Buffer.concat([frame(Type.WindowUpdate, 0, 0, u32(2 ** 31 - 1)), frame(Type.WindowUpdate, 0, 0, u32(2 ** 31 - 1))]), code: Code.FLOW_CONTROL_ERROR },
  { name: "CONTINUATION without HEADERS", bytes: frame(Type.Continuation, Flags.EndHeaders, 1, hpackBlock([["a", "b"]])), code: Code.PROTOCOL_ERROR },
  { name: "HEADERS interrupted by another frame", bytes: Buffer.concat([request(1, 0), ping()]), code: Code.PROTOCOL_ERROR },
];

/** What the server answered to the case: the code of its GOAWAY, or of a RST_STREAM where that is allowed. */
export async function answerTo(port: number, c: MalformedCase): Promise<{ code: number | undefined; how: string }> {
  const conn = await RawConnection.open(port, { h2: !c.raw });
  try {
    conn.write(c.bytes);
    await conn.waitFor(() => conn.closed || conn.goaway !== undefined || (c.stream === true && conn.frames.some((f) => f.type === Type.RstStream)), 3_000);
    if (conn.goaway !== undefined) return { code: conn.goaway.code, how: conn.describeEnd() };
    const rst = conn.frames.find((f) => f.type === Type.RstStream);
    if (c.stream === true && rst !== undefined) return { code: rst.payload.readUInt32BE(0), how: `RST_STREAM ${codeName(rst.payload.readUInt32BE(0))}` };
    return { code: undefined, how: conn.describeEnd() };
  } finally {
    conn.destroy();
  }
}
