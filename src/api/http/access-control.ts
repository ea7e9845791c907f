/**
 * etcd's `--cors` and `--host-whitelist` on the client port. A request over
 * plain HTTP whose Host is not whitelisted is refused with 421 (the
 * DNS-rebinding guard of CVE-2018-5702; over TLS any Host is accepted, as
 * etcd's message says); CORS headers go on every answer
 * when `*` is allowed, or when the request's Origin is listed; an OPTIONS
 * preflight is answered 200 right away.
 * @module
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { TLSSocket } from "node:tls";
import { goHttpError } from "./go-http.js";

export interface AccessOptions {
  /** Allowed origins; empty or containing "*" allows all. */
  cors: readonly string[];
  /** Accepted Host names; empty or containing "*" accepts all. */
  hostWhitelist: readonly string[];
}

export class AccessControl {
  readonly #cors: ReadonlySet<string>;
  readonly #hosts: ReadonlySet<string>;

  constructor(options: AccessOptions) {
    this.#cors = new Set(options.cors);
    this.#hosts = new Set(options.hostWhitelist);
  }

  hostAllowed(host: string): boolean {
    return this.#hosts.size === 0 || this.#hosts.has("*") || this.#hosts.has(host);
  }

  originAllowed(origin: string): boolean {
    return this.#cors.size === 0 || this.#cors.has("*") || this.#cors.has(origin);
  }

  /**
   * Applies both rules; false when the request has been answered here
   * (refused host, or a preflight).
   */
  admit(req: IncomingMessage, res: ServerResponse, onRefused: (host: string) => void): boolean {
    const host = hostnameOf(req.headers.host ?? "");
    const overTls = (req.socket as TLSSocket).encrypted === true;
    if (!overTls && !this.hostAllowed(host)) {
      onRefused(host);
      goHttpError(res, 421, rebindingMessage(host));
      return false;
    }
    if (this.originAllowed("*")) addCorsHeaders(res, "*");
    else {
      const origin = req.headers.origin ?? "";
      if (this.originAllowed(origin)) addCorsHeaders(res, origin);
    }
    if (req.method === "OPTIONS") {
      res.writeHead(200, { "content-length": 0 });
      res.end();
      return false;
    }
    return true;
  }
}

function addCorsHeaders(res: ServerResponse, origin: string): void {
  res.setHeader("access-control-allow-methods", "POST, GET, OPTIONS, PUT, DELETE");
  res.setHeader("access-control-allow-origin", origin);
  res.setHeader("access-control-allow-headers", "accept, content-type, authorization");
}

/** The host part of a Host header, as Go's net.SplitHostPort reads it (the whole header when it has no port). */
export function hostnameOf(hostHeader: string): string {
  const bracket = /^\[([^\]]*)\]:[^:]*$/.exec(hostHeader);
  if (bracket) return bracket[1]!;
  const colon = hostHeader.lastIndexOf(":");
  if (colon < 0 || hostHeader.startsWith("[")) return hostHeader;
  const host = hostHeader.slice(0, colon);
  // More than one colon without brackets is not host:port.
  return host.includes(":") ? hostHeader : host;
}

function rebindingMessage(host: string): string {
  return `
etcd received your request, but the Host header was unrecognized.

To fix this, choose one of the following options:
- Enable TLS, then any HTTPS request will be allowed.
- Add the hostname you want to use to the whitelist in settings.
  - e.g. etcd --host-whitelist ${JSON.stringify(host)}

This requirement has been added to help prevent "DNS Rebinding" attacks (CVE-2018-5702).
`;
}
