/**
 * The peer listen URLs' schemes against the TLS settings, in etcd's words:
 * an https URL without a certificate cannot start (etcd: "cannot listen on
 * TLS for …: KeyFile and CertFile are not presented"), an http URL next to
 * TLS settings serves plain HTTP and says so.
 * @module
 */
import type { Logger } from "../../pkg/logger.js";
import type { PeerTlsOptions } from "./types.js";

/** A peer URL the member cannot serve with the settings it was given. */
export class PeerUrlSchemeError extends Error {
  override readonly name = "PeerUrlSchemeError";
}

/** Throws for the first https URL when there are no TLS settings. */
export function checkPeerUrlSchemes(listenUrls: readonly string[], hasTls: boolean): void {
  if (hasTls) return;
  for (const url of listenUrls) {
    const parsed = new URL(url);
    if (parsed.protocol !== "https:") continue;
    throw new PeerUrlSchemeError(
      `cannot listen on TLS for ${parsed.host}: KeyFile and CertFile are not presented (peer URL ${url} needs --peer-cert-file and --peer-key-file, or --peer-auto-tls)`,
    );
  }
}

/** etcd's warnings for plain-HTTP peer URLs of a member configured for TLS. */
export function warnPlainPeerUrls(listenUrls: readonly string[], tls: PeerTlsOptions | undefined, logger: Logger): void {
  if (tls === undefined) return;
  for (const url of listenUrls) {
    if (new URL(url).protocol !== "http:") continue;
    logger.warn({ "peer-url": url }, "scheme is HTTP while key and cert files are present; ignoring key and cert files");
    if (tls.server.clientCertAuth) logger.warn({ "peer-url": url }, "scheme is HTTP while --peer-client-cert-auth is enabled; ignoring client cert auth for this URL");
  }
}
