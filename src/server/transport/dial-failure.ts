/**
 * Why a dial to a peer failed before the peer spoke HTTP, in words an
 * operator can act on. A refused or unreachable peer is ordinary (the
 * back-off handles it quietly); a failed TLS handshake or a peer that
 * answers in another protocol is a configuration mistake — a certificate
 * from another CA, a refused client certificate, or a peer URL whose scheme
 * does not match what the peer serves — and must be said clearly, not
 * retried in silence.
 * @module
 */

/** What a dial saw of its connection, recorded as it happens. */
export interface DialTrace {
  /** https URL: a TLS handshake was (to be) made. */
  readonly secure: boolean;
  /** The TCP connection was established. */
  connected: boolean;
  /** The peer answered in HTTP (its HTTP/2 SETTINGS, an HTTP/1.1 status line): whatever fails after is not a handshake problem. */
  spokeHttp: boolean;
  /** The first error of the socket or session. */
  error: (Error & { code?: string }) | undefined;
}

export function newDialTrace(secure: boolean): DialTrace {
  return { secure, connected: false, spokeHttp: false, error: undefined };
}

/** OpenSSL's words when the bytes that came back are not TLS at all (node gives them as ERR_SSL_… codes, or as EPROTO with the text). */
const PLAIN_ANSWER = /wrong version number|packet length too long|http request|WRONG_VERSION_NUMBER|PACKET_LENGTH_TOO_LONG/i;

/** OpenSSL's verify errors for a certificate no trusted CA signed. */
const UNTRUSTED_CODES = new Set(["UNABLE_TO_VERIFY_LEAF_SIGNATURE", "UNABLE_TO_GET_ISSUER_CERT_LOCALLY", "SELF_SIGNED_CERT_IN_CHAIN", "DEPTH_ZERO_SELF_SIGNED_CERT"]);

/** Node's codes for a failed handshake or certificate check (OpenSSL's verify errors have no ERR_ prefix). */
function isTlsFailure(code: string | undefined): boolean {
  return code !== undefined && (code === "EPROTO" || /^ERR_(SSL|TLS)_/.test(code) || /CERT|^UNABLE_TO_|SELF_SIGNED|^ERR_OSSL_/.test(code));
}

/**
 * The reason to log for a handshake or scheme problem, or undefined for an
 * ordinary failure (connection refused, reset after HTTP/2 started, …).
 */
export function handshakeProblem(trace: DialTrace): string | undefined {
  if (trace.spokeHttp) return undefined;
  const error = trace.error;
  if (trace.secure && error !== undefined && isTlsFailure(error.code)) return `TLS handshake failed: ${opensslReason(error.message)}${tlsHint(error)}`;
  if (!trace.connected) return undefined;
  if (trace.secure) {
    return "the peer closed the connection during the TLS handshake (did it refuse this member's certificate, or does it not serve https on this URL?)";
  }
  return "the peer closed the connection without answering in plain HTTP (it serves https, not http, on this URL?)";
}

function tlsHint(error: Error & { code?: string }): string {
  if (PLAIN_ANSWER.test(`${error.code} ${error.message}`)) return " (the peer answered in plain text: it serves http, not https, on this URL)";
  if (error.code !== undefined && UNTRUSTED_CODES.has(error.code)) return " (the peer's certificate is not signed by a CA this member trusts)";
  // An alert from the peer: it refused what this member presented.
  if (error.code !== undefined && error.code.includes("_ALERT_")) return " (the peer refused this member's certificate)";
  return "";
}

/** OpenSSL's "<id>:error:<code>:SSL routines:<function>:<reason>:<file>:<line>:" cut to its reason. */
function opensslReason(message: string): string {
  return /:SSL routines:[^:]*:([^:]+):/.exec(message)?.[1] ?? message.trim();
}
