/**
 * A hand-written encoder for `raftpb.Entry`, the one message the WAL encodes
 * per proposal. The generated codec costs ~1.8 µs per entry (a writer object,
 * bigint varints); this one writes into an exactly-sized buffer. The bytes
 * are etcd's: fields in number order, Type/Term/Index always present, Data
 * when non-empty — what etcd's gogoproto encoder writes for the same entry.
 * Decoding stays with the generated codec.
 * @module
 */
import type { Entry } from "../gen/raftpb/raft.js";
import { int64Size, varintSize, writeInt64, writeVarint } from "../pkg/varint.js";

/** Encodes `e` as protobuf bytes (readable by `Entry.decode` and by etcd). */
export function encodeEntry(e: Entry): Buffer {
  const type = e.Type >>> 0;
  const dataLen = e.Data.length;
  const size =
    1 + varintSize(type) + 1 + int64Size(e.Term) + 1 + int64Size(e.Index) + (dataLen > 0 ? 1 + varintSize(dataLen) + dataLen : 0);
  const buf = Buffer.allocUnsafe(size);
  let p = 0;
  buf[p++] = 0x08;
  p = writeVarint(buf, p, type);
  buf[p++] = 0x10;
  p = writeInt64(buf, p, e.Term);
  buf[p++] = 0x18;
  p = writeInt64(buf, p, e.Index);
  if (dataLen > 0) {
    buf[p++] = 0x22;
    p = writeVarint(buf, p, dataLen);
    buf.set(e.Data, p);
  }
  return buf;
}
