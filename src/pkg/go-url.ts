/**
 * etcd's URL rules for client, peer and metrics URLs.
 *
 * etcd reads every URL flag with Go's `net/url.Parse` and then insists on
 * scheme http/https/unix/unixs, a `host:port` authority and no path
 * (pkg/types/urls.go). The WHATWG `URL` class disagrees with Go on exactly the
 * inputs operators get wrong (it drops default ports, adds a `/` path, accepts
 * `127.0.0.1:2379` as a scheme), so this module implements the subset of Go's
 * parser that decides acceptance, and keeps the text Go would print, because
 * advertised URLs go out verbatim in MemberList and in error messages.
 * @module
 */
import { isIP } from "node:net";
import { goQuote } from "./go-quote.js";

export type UrlScheme = "http" | "https" | "unix" | "unixs";

/** One validated URL, in the shape etcd keeps it. */
export interface EtcdUrl {
  readonly scheme: UrlScheme;
  /** Authority without user info, as given: `127.0.0.1:2379`, `[::1]:2379`, `localhost:2379`. */
  readonly host: string;
  /** Host part without brackets or port: `127.0.0.1`, `::1`, `localhost` (may be empty: `http://:2380`). */
  readonly hostname: string;
  /** Port number; 0 when the port is empty (`http://127.0.0.1:`), which Go binds to an ephemeral port. */
  readonly port: number;
  /** The URL as Go's `url.URL.String()` prints it: `http://127.0.0.1:2379`. */
  readonly href: string;
}

interface GoUrlParts {
  scheme: string;
  opaque: string;
  userinfo: string | undefined;
  /** Unescaped host, as Go's URL.Host. */
  host: string;
  path: string;
  rawQuery: string;
  forceQuery: boolean;
  fragment: string;
}

class GoUrlError extends Error {}

// The parser works on "byte strings" (each char is one UTF-8 byte, code 0-255)
// so that indices and error slices are the bytes Go sees.
function toBytes(s: string): string {
  return Buffer.from(s, "utf8").toString("latin1");
}

function fromBytes(b: string): string {
  return Buffer.from(b, "latin1").toString("utf8");
}

/** strconv.Quote of a byte string that may cut a UTF-8 sequence (escape errors do). */
function quoteBytes(b: string): string {
  const buf = Buffer.from(b, "latin1");
  let out = "";
  let i = 0;
  while (i < buf.length) {
    const lead = buf[i] ?? 0;
    const len = lead < 0x80 ? 1 : lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 0;
    const chunk = len === 0 ? undefined : buf.subarray(i, i + len);
    const decoded = chunk !== undefined && chunk.length === len ? chunk.toString("utf8") : "\ufffd";
    if (len === 0 || decoded.includes("\ufffd")) {
      out += "\\x" + lead.toString(16).padStart(2, "0");
      i += 1;
      continue;
    }
    out += goQuote(decoded).slice(1, -1);
    i += len;
  }
  return `"${out}"`;
}

/** Go's `url.Parse`, reduced to what decides acceptance. Throws GoUrlError with Go's message. */
function goParseUrl(raw: string): GoUrlParts {
  const bytes = toBytes(raw);
  const hash = bytes.indexOf("#");
  const main = hash < 0 ? bytes : bytes.slice(0, hash);
  let parts: GoUrlParts;
  try {
    parts = parseMain(main);
  } catch (e) {
    if (e instanceof GoUrlError) throw new GoUrlError(`parse ${goQuote(fromBytes(main))}: ${e.message}`);
    throw e;
  }
  if (hash >= 0) {
    const fragment = bytes.slice(hash + 1);
    const bad = escapeError(fragment, "other");
    if (bad !== undefined) throw new GoUrlError(`parse ${goQuote(raw)}: ${bad}`);
    parts.fragment = fragment;
  }
  return parts;
}

function parseMain(raw: string): GoUrlParts {
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) throw new GoUrlError("net/url: invalid control character in URL");
  }
  const parts: GoUrlParts = {
    scheme: "",
    opaque: "",
    userinfo: undefined,
    host: "",
    path: "",
    rawQuery: "",
    forceQuery: false,
    fragment: "",
  };
  let rest = raw;
  if (raw !== "*") {
    const [scheme, after] = splitScheme(raw);
    parts.scheme = scheme.toLowerCase();
    rest = after;
  }
  if (rest.endsWith("?") && countOf(rest, "?") === 1) {
    parts.forceQuery = true;
    rest = rest.slice(0, -1);
  } else {
    const q = rest.indexOf("?");
    if (q >= 0) {
      parts.rawQuery = rest.slice(q + 1);
      rest = rest.slice(0, q);
    }
  }
  if (!rest.startsWith("/")) {
    if (parts.scheme !== "") {
      parts.opaque = rest;
      return parts;
    }
    const slash = rest.indexOf("/");
    const segment = slash < 0 ? rest : rest.slice(0, slash);
    if (segment.includes(":")) throw new GoUrlError("first path segment in URL cannot contain colon");
  }
  if ((parts.scheme !== "" || !rest.startsWith("///")) && rest.startsWith("//")) {
    const afterSlashes = rest.slice(2);
    const slash = afterSlashes.indexOf("/");
    const authority = slash < 0 ? afterSlashes : afterSlashes.slice(0, slash);
    rest = slash < 0 ? "" : afterSlashes.slice(slash);
    const at = authority.lastIndexOf("@");
    parts.host = parseHost(at < 0 ? authority : authority.slice(at + 1));
    if (at >= 0) parts.userinfo = parseUserinfo(authority.slice(0, at));
  }
  const pathError = escapeError(rest, "other");
  if (pathError !== undefined) throw new GoUrlError(pathError);
  parts.path = rest;
  return parts;
}

function parseUserinfo(userinfo: string): string {
  if (!/^[A-Za-z0-9\-._:~!$&'()*+,;=%@]*$/.test(userinfo)) throw new GoUrlError("net/url: invalid userinfo");
  const colon = userinfo.indexOf(":");
  const pieces = colon < 0 ? [userinfo] : [userinfo.slice(0, colon), userinfo.slice(colon + 1)];
  for (const piece of pieces) {
    const bad = escapeError(piece, "other");
    if (bad !== undefined) throw new GoUrlError(bad);
  }
  return userinfo;
}

/** getScheme: a scheme is letters then letters/digits/+-. up to the first colon. */
function splitScheme(raw: string): [string, string] {
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i] ?? "";
    if ((c >= "a" && c <= "z") || (c >= "A" && c <= "Z")) continue;
    if ((c >= "0" && c <= "9") || c === "+" || c === "-" || c === ".") {
      if (i === 0) return ["", raw];
      continue;
    }
    if (c === ":") {
      if (i === 0) throw new GoUrlError("missing protocol scheme");
      return [raw.slice(0, i), raw.slice(i + 1)];
    }
    return ["", raw];
  }
  return ["", raw];
}

function countOf(s: string, ch: string): number {
  let n = 0;
  for (const c of s) if (c === ch) n++;
  return n;
}

function validOptionalPort(colonPort: string): boolean {
  if (colonPort === "") return true;
  if (colonPort[0] !== ":") return false;
  return /^[0-9]*$/.test(colonPort.slice(1));
}

const HOST_PUNCTUATION = "!$&'()*+,;=:[]<>\"-_.~";

/**
 * Go's unescape() validation: every % must start a two-hex-digit escape; in a
 * host only bytes >= 0x80 may be escaped (plus %25), and only letters, digits,
 * a few punctuation marks and non-ASCII bytes may appear. Returns Go's error text.
 */
function escapeError(s: string, mode: "host" | "other"): string | undefined {
  for (let i = 0; i < s.length; ) {
    const c = s[i] ?? "";
    if (c === "%") {
      if (i + 2 >= s.length || !isHex(s[i + 1]) || !isHex(s[i + 2])) return `invalid URL escape ${quoteBytes(s.slice(i, i + 3))}`;
      if (mode === "host" && parseInt(s[i + 1] ?? "0", 16) < 8 && s.slice(i, i + 3) !== "%25") {
        return `invalid URL escape ${quoteBytes(s.slice(i, i + 3))}`;
      }
      i += 3;
      continue;
    }
    if (mode === "host" && c.charCodeAt(0) < 0x80 && !/^[A-Za-z0-9]$/.test(c) && !HOST_PUNCTUATION.includes(c)) {
      return `invalid character ${goQuote(c)} in host name`;
    }
    i++;
  }
  return undefined;
}

function isHex(c: string | undefined): boolean {
  return c !== undefined && /^[0-9A-Fa-f]$/.test(c);
}

function percentDecode(s: string): string {
  return s.replace(/%([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
}

function parseHost(host: string): string {
  if (host.startsWith("[")) {
    const close = host.lastIndexOf("]");
    if (close < 0) throw new GoUrlError("missing ']' in host");
    const colonPort = host.slice(close + 1);
    if (!validOptionalPort(colonPort)) throw new GoUrlError(`invalid port ${quoteBytes(colonPort)} after host`);
  } else {
    const colon = host.lastIndexOf(":");
    if (colon >= 0) {
      const colonPort = host.slice(colon);
      if (!validOptionalPort(colonPort)) throw new GoUrlError(`invalid port ${quoteBytes(colonPort)} after host`);
    }
  }
  const bad = escapeError(host, "host");
  if (bad !== undefined) throw new GoUrlError(bad);
  return percentDecode(host);
}

/** Go's `net.SplitHostPort`; returns undefined where Go returns an error. */
export function splitHostPort(hostport: string): { host: string; port: string } | undefined {
  const i = hostport.lastIndexOf(":");
  if (i < 0) return undefined;
  let host: string;
  let j = 0;
  let k = 0;
  if (hostport.startsWith("[")) {
    const end = hostport.indexOf("]");
    if (end < 0) return undefined;
    if (end + 1 === hostport.length) return undefined;
    if (end + 1 !== i) return undefined;
    host = hostport.slice(1, end);
    j = 1;
    k = end + 1;
  } else {
    host = hostport.slice(0, i);
    if (host.includes(":")) return undefined;
  }
  if (hostport.slice(j).includes("[")) return undefined;
  if (hostport.slice(k).includes("]")) return undefined;
  return { host, port: hostport.slice(i + 1) };
}

function escapeBytes(s: string, keep: (c: string) => boolean): string {
  let out = "";
  for (const c of s) out += keep(c) ? c : "%" + c.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0");
  return out;
}

const FRAGMENT_SAFE = /^[A-Za-z0-9\-_.~$&+,/:;=?@!()*]$/;

/** Go's URL.EscapedFragment: keep a validly encoded fragment, else re-escape it. */
function escapedFragment(raw: string): string {
  const valid = Array.from(raw).every((c) => c === "%" || "!$&'()*+,;=:@[]".includes(c) || FRAGMENT_SAFE.test(c));
  if (valid) return raw;
  return escapeBytes(percentDecode(raw), (c) => FRAGMENT_SAFE.test(c));
}

/** Go's url.URL.String() for the URLs etcd accepts (scheme, authority, query, fragment). Works on byte strings. */
function goUrlString(p: GoUrlParts): string {
  let out = p.scheme + "://";
  if (p.userinfo !== undefined) out += p.userinfo + "@";
  out += escapeBytes(p.host, (c) => c.charCodeAt(0) < 0x80 && c !== "%");
  if (p.forceQuery || p.rawQuery !== "") out += "?" + p.rawQuery;
  if (p.fragment !== "") out += "#" + escapedFragment(p.fragment);
  return out;
}

/** Thrown by {@link parseEtcdUrls} with etcd's message. */
export class EtcdUrlError extends Error {
  override readonly name = "EtcdUrlError";
}

/** Parses and validates one URL the way etcd's `types.NewURLs` does for each element. */
export function parseEtcdUrl(input: string): EtcdUrl {
  const text = input.trim();
  let parts: GoUrlParts;
  try {
    parts = goParseUrl(text);
  } catch (e) {
    if (e instanceof GoUrlError) throw new EtcdUrlError(e.message);
    throw e;
  }
  const scheme = parts.scheme;
  if (scheme !== "http" && scheme !== "https" && scheme !== "unix" && scheme !== "unixs") {
    throw new EtcdUrlError(`URL scheme must be http, https, unix, or unixs: ${text}`);
  }
  const hp = splitHostPort(parts.host);
  if (hp === undefined) throw new EtcdUrlError(`URL address does not have the form "host:port": ${text}`);
  if (parts.path !== "") throw new EtcdUrlError(`URL must not contain a path: ${text}`);
  return Object.freeze({
    scheme,
    host: fromBytes(parts.host),
    hostname: fromBytes(hp.host),
    port: hp.port === "" ? 0 : Number(hp.port),
    href: fromBytes(goUrlString(parts)),
  });
}

/**
 * etcd's `types.NewURLs(strings.Split(s, ","))`: every element must be valid,
 * and the result is sorted by its printed form (etcd sorts too, so the order
 * an operator wrote does not matter).
 */
export function parseEtcdUrls(commaSeparated: string): EtcdUrl[] {
  const urls = commaSeparated.split(",").map(parseEtcdUrl);
  return urls.sort((a, b) => (a.href < b.href ? -1 : a.href > b.href ? 1 : 0));
}

/**
 * Whether etcd can bind to this URL's host without a name lookup: unix
 * sockets, the literal `localhost`, or an IP literal (Go's `net.ParseIP`,
 * which has no zone and no leading zeros).
 */
export function isBindableUrl(url: EtcdUrl): boolean {
  if (url.scheme === "unix" || url.scheme === "unixs") return true;
  if (url.hostname === "localhost") return true;
  return url.hostname !== "" && !url.hostname.includes("%") && isIP(url.hostname) !== 0;
}
