/**
 * Protobuf encoding of `etcdserverpb.WatchResponse`, written for fan-out:
 * the bytes of an event are computed once and reused for every watcher that
 * gets the same event object (1,000 watchers of one key cost one event
 * encoding, not 1,000), and so are the bytes of a response header. The
 * output is byte-identical to ts-proto's encoder (and to etcd's: fields in
 * number order, zero values omitted); `watch-codec.test.ts` checks that.
 *
 * `frameWatchResponses` also adds gRPC's 5-byte message prefix, so a whole
 * batch of responses becomes one buffer for one transport write.
 * @module
 */

import type { ResponseHeader, WatchResponse } from "../../gen/etcdserverpb/rpc.js";
import type { Event, KeyValue } from "../../gen/mvccpb/kv.js";
import { int64Size, varintSize, writeInt64, writeVarint } from "../../pkg/varint.js";
import { encodeKeyValue } from "../../storage/mvcc/index.js";

const eventBytes = new WeakMap<Event, Buffer>();
const headerBytes = new WeakMap<ResponseHeader, Buffer>();
const kvBytes = new WeakMap<KeyValue, Buffer>();

function encodeKv(kv: KeyValue): Buffer {
  let bytes = kvBytes.get(kv);
  if (bytes === undefined) {
    bytes = encodeKeyValue(kv);
    kvBytes.set(kv, bytes);
  }
  return bytes;
}

/** The encoded `mvccpb.Event` (cached per event object; events are never modified once sent). */
export function encodeEvent(ev: Event): Buffer {
  let bytes = eventBytes.get(ev);
  if (bytes !== undefined) return bytes;
  const kv = ev.kv === undefined ? undefined : encodeKv(ev.kv);
  const prev = ev.prevKv === undefined ? undefined : encodeKv(ev.prevKv);
  let size = 0;
  if (ev.type !== 0) size += 1 + varintSize(ev.type);
  if (kv !== undefined) size += 1 + varintSize(kv.length) + kv.length;
  if (prev !== undefined) size += 1 + varintSize(prev.length) + prev.length;
  bytes = Buffer.allocUnsafe(size);
  let pos = 0;
  if (ev.type !== 0) {
    bytes[pos++] = 0x08;
    pos = writeVarint(bytes, pos, ev.type);
  }
  if (kv !== undefined) {
    bytes[pos++] = 0x12;
    pos = writeVarint(bytes, pos, kv.length);
    pos += kv.copy(bytes, pos);
  }
  if (prev !== undefined) {
    bytes[pos++] = 0x1a;
    pos = writeVarint(bytes, pos, prev.length);
    prev.copy(bytes, pos);
  }
  eventBytes.set(ev, bytes);
  return bytes;
}

function encodeHeader(h: ResponseHeader): Buffer {
  let bytes = headerBytes.get(h);
  if (bytes !== undefined) return bytes;
  let size = 0;
  if (h.clusterId !== 0n) size += 1 + int64Size(h.clusterId);
  if (h.memberId !== 0n) size += 1 + int64Size(h.memberId);
  if (h.revision !== 0n) size += 1 + int64Size(h.revision);
  if (h.raftTerm !== 0n) size += 1 + int64Size(h.raftTerm);
  bytes = Buffer.allocUnsafe(size);
  let pos = 0;
  if (h.clusterId !== 0n) {
    bytes[pos++] = 0x08;
    pos = writeInt64(bytes, pos, h.clusterId);
  }
  if (h.memberId !== 0n) {
    bytes[pos++] = 0x10;
    pos = writeInt64(bytes, pos, h.memberId);
  }
  if (h.revision !== 0n) {
    bytes[pos++] = 0x18;
    pos = writeInt64(bytes, pos, h.revision);
  }
  if (h.raftTerm !== 0n) {
    bytes[pos++] = 0x20;
    writeInt64(bytes, pos, h.raftTerm);
  }
  headerBytes.set(h, bytes);
  return bytes;
}

/** Encoded size of `resp` in bytes (without the gRPC prefix). Caches the parts it encodes. */
export function watchResponseSize(resp: WatchResponse): number {
  let size = 0;
  if (resp.header !== undefined) {
    const h = encodeHeader(resp.header);
    size += 1 + varintSize(h.length) + h.length;
  }
  if (resp.watchId !== 0n) size += 1 + int64Size(resp.watchId);
  if (resp.created) size += 2;
  if (resp.canceled) size += 2;
  if (resp.compactRevision !== 0n) size += 1 + int64Size(resp.compactRevision);
  if (resp.cancelReason.length > 0) {
    const n = Buffer.byteLength(resp.cancelReason, "utf8");
    size += 1 + varintSize(n) + n;
  }
  if (resp.fragment) size += 2;
  for (const ev of resp.events) {
    const e = encodeEvent(ev);
    size += 1 + varintSize(e.length) + e.length;
  }
  return size;
}

function writeResponse(buf: Buffer, pos: number, resp: WatchResponse): number {
  if (resp.header !== undefined) {
    const h = encodeHeader(resp.header);
    buf[pos++] = 0x0a;
    pos = writeVarint(buf, pos, h.length);
    pos += h.copy(buf, pos);
  }
  if (resp.watchId !== 0n) {
    buf[pos++] = 0x10;
    pos = writeInt64(buf, pos, resp.watchId);
  }
  if (resp.created) {
    buf[pos++] = 0x18;
    buf[pos++] = 1;
  }
  if (resp.canceled) {
    buf[pos++] = 0x20;
    buf[pos++] = 1;
  }
  if (resp.compactRevision !== 0n) {
    buf[pos++] = 0x28;
    pos = writeInt64(buf, pos, resp.compactRevision);
  }
  if (resp.cancelReason.length > 0) {
    const n = Buffer.byteLength(resp.cancelReason, "utf8");
    buf[pos++] = 0x32;
    pos = writeVarint(buf, pos, n);
    pos += buf.write(resp.cancelReason, pos, "utf8");
  }
  if (resp.fragment) {
    buf[pos++] = 0x38;
    buf[pos++] = 1;
  }
  for (const ev of resp.events) {
    const e = encodeEvent(ev);
    buf[pos++] = 0x5a;
    pos = writeVarint(buf, pos, e.length);
    pos += e.copy(buf, pos);
  }
  return pos;
}

/** The protobuf bytes of one response. */
export function encodeWatchResponse(resp: WatchResponse): Buffer {
  const buf = Buffer.allocUnsafe(watchResponseSize(resp));
  writeResponse(buf, 0, resp);
  return buf;
}

/** Responses as consecutive gRPC messages (each: flag 0, 4-byte big-endian length, bytes) in one buffer. */
export function frameWatchResponses(resps: readonly WatchResponse[]): Buffer {
  const sizes = new Array<number>(resps.length);
  let total = 0;
  for (let i = 0; i < resps.length; i++) {
    const n = watchResponseSize(resps[i]!);
    sizes[i] = n;
    total += 5 + n;
  }
  const buf = Buffer.allocUnsafe(total);
  let pos = 0;
  for (let i = 0; i < resps.length; i++) {
    buf[pos] = 0;
    buf.writeUInt32BE(sizes[i]!, pos + 1);
    pos = writeResponse(buf, pos + 5, resps[i]!);
  }
  return buf;
}
