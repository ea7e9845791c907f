/**
 * What the first bytes of a client connection say it speaks: the HTTP/2
 * preface (gRPC), an HTTP/1 request line, a TLS record, or nothing we serve.
 * Pure functions of the bytes read so far; the listener decides what to do.
 * @module
 */
import { CLIENT_PREFACE } from "./h2/frames.js";

/** HTTP/1 limit on a request head (Node's default, 431 past it); also bounds what is held while classifying. */
export const MAX_HEADER_BYTES = 16 * 1024;

/** The bytes "PRI": no HTTP/1 method starts with them, so a mismatch after them is a broken HTTP/2 client, not HTTP/1. */
const PREFACE_SIGNATURE_LENGTH = 3;

export type FirstBytes = "http2" | "http1" | "need-more" | "invalid-preface" | "not-http";

/**
 * An HTTP/1 request line: a method token, a target, and the version. Go's
 * server answers anything else with a 400; we close instead, as HTTP/2
 * requires for a connection that starts with neither (h2spec 3.5/2), and a
 * stranger sending garbage learns nothing.
 */
const HTTP1_REQUEST_LINE = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+ [^ \r\n]+ HTTP\/1\.[0-9]\r?$/;

/** Which protocol the first (plain-text or decrypted) bytes of a connection speak. */
export function classifyFirstBytes(head: Buffer): FirstBytes {
  const n = Math.min(head.length, CLIENT_PREFACE.length);
  let matched = 0;
  while (matched < n && head[matched] === CLIENT_PREFACE[matched]) matched++;
  if (matched === CLIENT_PREFACE.length) return "http2";
  if (matched === head.length) return "need-more";
  if (matched >= PREFACE_SIGNATURE_LENGTH) return "invalid-preface";
  const lineEnd = head.indexOf(0x0a);
  if (lineEnd === -1) return head.length < MAX_HEADER_BYTES ? "need-more" : "not-http";
  return HTTP1_REQUEST_LINE.test(head.toString("latin1", 0, lineEnd)) ? "http1" : "not-http";
}

/** The content type of a TLS handshake record: every TLS connection opens with one (the ClientHello). */
const TLS_HANDSHAKE_RECORD = 0x16;

/** True when a connection's first byte starts a TLS handshake. */
export function startsTlsHandshake(head: Buffer): boolean {
  return head[0] === TLS_HANDSHAKE_RECORD;
}
