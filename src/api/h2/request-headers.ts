/**
 * What a request's header list must look like (RFC 9113 §8.2, §8.3): the
 * checks Go's net/http2 server makes before a request reaches a handler.
 * A list that breaks one is a malformed request, which the connection
 * answers with a stream error of type PROTOCOL_ERROR.
 * @module
 */
import type { HeaderList } from "./hpack.js";

/** The request carried no content-length. */
export const NO_CONTENT_LENGTH = -1;

export type RequestHeadersCheck = { readonly ok: true; readonly contentLength: number } | { readonly ok: false; readonly reason: string };

/** Fields that belong to one HTTP/1.1 connection and have no meaning in HTTP/2 (§8.2.2). */
const CONNECTION_SPECIFIC = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade"]);

const OK_WITHOUT_LENGTH: RequestHeadersCheck = { ok: true, contentLength: NO_CONTENT_LENGTH };

const invalid = (reason: string): RequestHeadersCheck => ({ ok: false, reason });

/** Checks the header list of a request (its first header block) and reads its content-length. */
export function checkRequestHeaders(list: HeaderList): RequestHeadersCheck {
  let method: string | undefined;
  let scheme: string | undefined;
  let path: string | undefined;
  let authority: string | undefined;
  let contentLength = NO_CONTENT_LENGTH;
  let regularSeen = false;
  for (let i = 0; i < list.length; i += 2) {
    const name = list[i]!;
    const value = list[i + 1]!;
    if (name.charCodeAt(0) === 0x3a /* ':' */) {
      // Only the four names below pass, so an upper-case pseudo-header fails here too.
      if (regularSeen) return invalid(`pseudo-header ${name} after a regular field`);
      switch (name) {
        case ":method":
          if (method !== undefined) return invalid("duplicate :method");
          method = value;
          break;
        case ":scheme":
          if (scheme !== undefined) return invalid("duplicate :scheme");
          scheme = value;
          break;
        case ":path":
          if (path !== undefined) return invalid("duplicate :path");
          path = value;
          break;
        case ":authority":
          if (authority !== undefined) return invalid("duplicate :authority");
          authority = value;
          break;
        default:
          // :status and any unknown pseudo-header alike.
          return invalid(`pseudo-header ${name} not allowed in a request`);
      }
      continue;
    }
    regularSeen = true;
    if (hasUpperCase(name)) return invalid(`upper-case header name "${name}"`);
    if (CONNECTION_SPECIFIC.has(name)) return invalid(`connection-specific field ${name}`);
    if (name === "te" && value !== "trailers") return invalid(`te: ${value}`);
    if (name === "content-length") {
      if (contentLength !== NO_CONTENT_LENGTH || !/^[0-9]{1,15}$/.test(value)) return invalid("bad or repeated content-length");
      contentLength = Number(value);
    }
  }
  if (method === "CONNECT") {
    if (scheme !== undefined || path !== undefined || authority === undefined) return invalid("CONNECT with :scheme or :path, or without :authority");
  } else if (method === undefined || scheme === undefined || path === undefined || path === "") {
    return invalid("missing :method, :scheme or :path");
  }
  return contentLength === NO_CONTENT_LENGTH ? OK_WITHOUT_LENGTH : { ok: true, contentLength };
}

/** Checks a trailing header block: no pseudo-headers there (§8.1). */
export function checkTrailers(list: HeaderList): string | undefined {
  for (let i = 0; i < list.length; i += 2) {
    const name = list[i]!;
    if (name.charCodeAt(0) === 0x3a) return `pseudo-header ${name} in trailers`;
    if (hasUpperCase(name)) return `upper-case header name "${name}"`;
  }
  return undefined;
}

/** V8 returns an all-lower-case string itself from toLowerCase, without copying: the cheapest check measured. */
function hasUpperCase(name: string): boolean {
  return name.toLowerCase() !== name;
}
