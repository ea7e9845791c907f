/**
 * The sliver of DER that src/tls needs: reading a CRL's revoked serials and
 * writing a self-signed certificate. Node's crypto parses certificates and
 * keys but neither parses CRLs nor builds certificates.
 */

/** One TLV: its tag byte and where its content lies in the buffer. */
export interface DerNode {
  readonly tag: number;
  readonly start: number;
  readonly end: number;
}

export const TAG = {
  integer: 0x02,
  bitString: 0x03,
  octetString: 0x04,
  oid: 0x06,
  utf8String: 0x0c,
  utcTime: 0x17,
  generalizedTime: 0x18,
  sequence: 0x30,
  set: 0x31,
  boolean: 0x01,
} as const;

/** Reads the TLV starting at `offset`; throws on a truncated or indefinite-length encoding. */
export function readNode(der: Uint8Array, offset: number, limit = der.length): DerNode {
  if (offset + 2 > limit) throw new Error("asn1: truncated element");
  const tag = der[offset]!;
  let length = der[offset + 1]!;
  let start = offset + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 4) throw new Error("asn1: unsupported length encoding");
    if (start + count > limit) throw new Error("asn1: truncated length");
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + der[start + i]!;
    start += count;
  }
  const end = start + length;
  if (end > limit) throw new Error("asn1: element longer than its container");
  return { tag, start, end };
}

/** The elements inside a constructed node, in order. */
export function childrenOf(der: Uint8Array, node: DerNode): DerNode[] {
  const out: DerNode[] = [];
  for (let offset = node.start; offset < node.end; ) {
    const child = readNode(der, offset, node.end);
    out.push(child);
    offset = child.end;
  }
  return out;
}

/** Reads a node and checks its tag. */
export function expectNode(der: Uint8Array, offset: number, tag: number, limit?: number): DerNode {
  const node = readNode(der, offset, limit);
  if (node.tag !== tag) throw new Error(`asn1: expected tag 0x${tag.toString(16)}, found 0x${node.tag.toString(16)}`);
  return node;
}

// ---- writing ----

function lengthBytes(length: number): number[] {
  if (length < 0x80) return [length];
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
  return [0x80 | bytes.length, ...bytes];
}

export function encode(tag: number, ...contents: Uint8Array[]): Buffer {
  const body = Buffer.concat(contents);
  return Buffer.concat([Buffer.from([tag, ...lengthBytes(body.length)]), body]);
}

export const sequence = (...items: Uint8Array[]): Buffer => encode(TAG.sequence, ...items);
export const set = (...items: Uint8Array[]): Buffer => encode(TAG.set, ...items);

/** A non-negative INTEGER from its big-endian magnitude (a 0x00 is prefixed when the top bit is set). */
export function unsignedInteger(magnitude: Uint8Array): Buffer {
  let first = 0;
  while (first < magnitude.length - 1 && magnitude[first] === 0) first++;
  const trimmed = magnitude.subarray(first);
  return encode(TAG.integer, (trimmed[0] ?? 0) & 0x80 ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed);
}

export function objectIdentifier(dotted: string): Buffer {
  const arcs = dotted.split(".").map(Number);
  const bytes: number[] = [arcs[0]! * 40 + arcs[1]!];
  for (const arc of arcs.slice(2)) {
    const chunk: number[] = [arc & 0x7f];
    for (let n = Math.floor(arc / 128); n > 0; n = Math.floor(n / 128)) chunk.unshift((n & 0x7f) | 0x80);
    bytes.push(...chunk);
  }
  return encode(TAG.oid, Buffer.from(bytes));
}

export const utf8String = (text: string): Buffer => encode(TAG.utf8String, Buffer.from(text, "utf8"));
export const octetString = (content: Uint8Array): Buffer => encode(TAG.octetString, content);
export const bitString = (content: Uint8Array): Buffer => encode(TAG.bitString, Buffer.from([0]), content);
export const booleanTrue = (): Buffer => encode(TAG.boolean, Buffer.from([0xff]));
/** [n] EXPLICIT */
export const explicit = (n: number, content: Uint8Array): Buffer => encode(0xa0 | n, content);
/** [n] IMPLICIT primitive (a SAN's dNSName is [2], iPAddress [7]) */
export const implicitPrimitive = (n: number, content: Uint8Array): Buffer => encode(0x80 | n, content);

/** RFC 5280: UTCTime through 2049, GeneralizedTime from 2050. */
export function time(date: Date): Buffer {
  const iso = date.toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
  const digits = iso.slice(0, 19).replace(/[-T:]/g, "") + "Z";
  const year = date.getUTCFullYear();
  return year < 2050 ? encode(TAG.utcTime, Buffer.from(digits.slice(2), "ascii")) : encode(TAG.generalizedTime, Buffer.from(digits, "ascii"));
}
