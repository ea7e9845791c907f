/**
 * HTTP/2 frame layout (RFC 7540 §4, §6): types, flags, error codes,
 * settings, and the writers for the frames a server sends.
 * @module
 */

export const FRAME_HEADER_LENGTH = 9;
export const CLIENT_PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");
export const DEFAULT_WINDOW = 65_535;
export const DEFAULT_MAX_FRAME = 16_384;
export const MAX_WINDOW = 2 ** 31 - 1;

export enum FrameType {
  Data = 0x0,
  Headers = 0x1,
  Priority = 0x2,
  RstStream = 0x3,
  Settings = 0x4,
  PushPromise = 0x5,
  Ping = 0x6,
  Goaway = 0x7,
  WindowUpdate = 0x8,
  Continuation = 0x9,
}

/** Frame flags; a bit means different things on different frame types (END_STREAM and ACK are both 0x1). */
export const Flag = {
  EndStream: 0x1,
  Ack: 0x1,
  EndHeaders: 0x4,
  Padded: 0x8,
  Priority: 0x20,
} as const;

export enum ErrorCode {
  NoError = 0x0,
  ProtocolError = 0x1,
  InternalError = 0x2,
  FlowControlError = 0x3,
  StreamClosed = 0x5,
  FrameSizeError = 0x6,
  RefusedStream = 0x7,
  Cancel = 0x8,
  CompressionError = 0x9,
  EnhanceYourCalm = 0xb,
}

export enum Setting {
  HeaderTableSize = 0x1,
  EnablePush = 0x2,
  MaxConcurrentStreams = 0x3,
  InitialWindowSize = 0x4,
  MaxFrameSize = 0x5,
  MaxHeaderListSize = 0x6,
}

/** A frame header followed by `payloadLength` bytes the caller fills in from offset 9. */
export function frame(type: FrameType, flags: number, streamId: number, payloadLength: number): Buffer {
  const buf = Buffer.allocUnsafe(FRAME_HEADER_LENGTH + payloadLength);
  writeFrameHeader(buf, 0, type, flags, streamId, payloadLength);
  return buf;
}

export function writeFrameHeader(buf: Buffer, offset: number, type: FrameType, flags: number, streamId: number, payloadLength: number): void {
  buf[offset] = payloadLength >>> 16;
  buf[offset + 1] = (payloadLength >>> 8) & 0xff;
  buf[offset + 2] = payloadLength & 0xff;
  buf[offset + 3] = type;
  buf[offset + 4] = flags;
  buf.writeUInt32BE(streamId, offset + 5);
}

export function settingsFrame(settings: readonly (readonly [Setting, number])[]): Buffer {
  const buf = frame(FrameType.Settings, 0, 0, settings.length * 6);
  settings.forEach(([id, value], i) => {
    buf.writeUInt16BE(id, 9 + i * 6);
    buf.writeUInt32BE(value, 11 + i * 6);
  });
  return buf;
}

export const SETTINGS_ACK = frame(FrameType.Settings, Flag.Ack, 0, 0);

export function windowUpdateFrame(streamId: number, increment: number): Buffer {
  const buf = frame(FrameType.WindowUpdate, 0, streamId, 4);
  buf.writeUInt32BE(increment, 9);
  return buf;
}

export function rstStreamFrame(streamId: number, code: ErrorCode): Buffer {
  const buf = frame(FrameType.RstStream, 0, streamId, 4);
  buf.writeUInt32BE(code, 9);
  return buf;
}

export function goawayFrame(lastStreamId: number, code: ErrorCode, debug = ""): Buffer {
  const text = Buffer.from(debug, "utf8");
  const buf = frame(FrameType.Goaway, 0, 0, 8 + text.length);
  buf.writeUInt32BE(lastStreamId, 9);
  buf.writeUInt32BE(code, 13);
  text.copy(buf, 17);
  return buf;
}

export function pingFrame(payload: Buffer, ack: boolean): Buffer {
  const buf = frame(FrameType.Ping, ack ? Flag.Ack : 0, 0, 8);
  payload.copy(buf, 9, 0, 8);
  return buf;
}
