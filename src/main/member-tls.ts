/**
 * The member's TLS, built from its flags as etcd builds it: the client
 * port's server side (--cert-file, --key-file, --trusted-ca-file,
 * --client-cert-auth, --client-crl-file, --client-cert-allowed-hostname or
 * --auto-tls), how the member dials client URLs itself (--client-cert-file /
 * --client-key-file, else the server pair), and both sides between peers
 * (the --peer-* equivalents). Every file is read and checked here, before
 * the member starts: a bad one stops it with an error naming flag and file.
 * @module
 */
import { join } from "node:path";
import type { EtcdConfig, TlsConfig } from "../cli/etcd/index.js";
import type { ClientTlsSettings } from "../api/client-listener.js";
import type { Logger } from "../pkg/logger.js";
import type { PeerTlsSettings } from "../server/config.js";
import {
  CLIENT_DIAL_TLS_FLAGS,
  CLIENT_TLS_FLAGS,
  PEER_DIAL_TLS_FLAGS,
  PEER_TLS_FLAGS,
  policyFromFlags,
  selfSignedCertificate,
  TlsMaterial,
  type TlsClientSettings,
  type TlsFiles,
} from "../tls/index.js";

export interface MemberTls {
  /** The client port's side of handshakes; undefined when no client certificate is configured. */
  readonly clientServer: ClientTlsSettings | undefined;
  /** What the member presents and trusts when it dials a client URL (the gateway, the leader client). */
  readonly clientDial: TlsClientSettings | undefined;
  /** Both sides between members; undefined: plain peers. */
  readonly peer: PeerTlsSettings | undefined;
}

/** A peer handshake not finished by then is dropped. */
const PEER_HANDSHAKE_TIMEOUT_MS = 10_000;

/** etcd's TLSInfo.Empty(): a family is configured when it names a certificate or a key. */
function hasFiles(tls: Pick<TlsConfig, "certFile" | "keyFile">): boolean {
  return tls.certFile !== "" || tls.keyFile !== "";
}

/** The files etcd serves with after --auto-tls / --peer-auto-tls: given files win (with a warning), else a self-signed pair. */
async function effectiveFiles(tls: TlsConfig, family: "client" | "peer", hosts: readonly string[], config: EtcdConfig, logger: Logger): Promise<TlsConfig> {
  if (!tls.autoTls) return tls;
  if (hasFiles(tls)) {
    logger.warn({}, `ignoring ${family} auto TLS since certs given`);
    return tls;
  }
  const { certFile, keyFile } = await selfSignedCertificate({ dir: join(config.dataDir, "fixtures", family), hosts, validityYears: config.selfSignedCertValidityYears });
  // etcd's self-signed TLSInfo has no CA and no client-certificate auth: there is nothing to verify a client against.
  return { ...tls, certFile, keyFile, trustedCaFile: "", crlFile: "", clientCertAuth: false, clientCertFile: "", clientKeyFile: "" };
}

/** etcd asks for (and verifies) a client certificate when client-cert auth is on or a trusted CA is given (transport.TLSInfo.ServerConfig). */
function requiresClientCertificate(tls: TlsConfig): boolean {
  return tls.clientCertAuth || tls.trustedCaFile !== "";
}

/**
 * What a member presents and trusts when it dials: its own client pair
 * when given (--client-cert-file, --peer-client-cert-file), with the same
 * CA; otherwise the server side's material itself, so the same files are
 * read and watched once (its CRL only checks the other side, never a dial).
 */
function dialMaterial(tls: TlsConfig, serverMaterial: TlsMaterial, dialFlags: TlsFiles["flags"], load: (files: TlsFiles) => TlsMaterial): TlsMaterial {
  if (tls.clientCertFile === "" && tls.clientKeyFile === "") return serverMaterial;
  return load({ certFile: tls.clientCertFile, keyFile: tls.clientKeyFile, trustedCaFile: tls.trustedCaFile, crlFile: "", flags: dialFlags });
}

function serverFiles(tls: TlsConfig, flags: TlsFiles["flags"]): TlsFiles {
  return { certFile: tls.certFile, keyFile: tls.keyFile, trustedCaFile: tls.trustedCaFile, crlFile: tls.crlFile, flags };
}

/** etcd's TLSInfo.String(), for the start-up log line. */
function describe(tls: TlsConfig): string {
  return `cert = ${tls.certFile}, key = ${tls.keyFile}, client-cert=${tls.clientCertFile}, client-key=${tls.clientKeyFile}, trusted-ca = ${tls.trustedCaFile}, client-cert-auth = ${String(tls.clientCertAuth)}, crl-file = ${tls.crlFile}`;
}

/** The hosts of listen URLs, for a self-signed certificate's SAN. */
function hostsOf(urls: EtcdConfig["listenClientUrls"]): string[] {
  return urls.map((u) => u.hostname).filter((h) => h !== "");
}

/**
 * Loads every TLS file the flags name (throws TlsConfigError naming flag and
 * file) and returns the settings for the listeners and dialers.
 */
export async function memberTls(config: EtcdConfig, logger: Logger): Promise<MemberTls> {
  const policy = policyFromFlags(config.cipherSuites, config.tlsMinVersion, config.tlsMaxVersion ?? "");
  if ("error" in policy) throw new Error(policy.error);
  const client = await effectiveFiles(config.clientTls, "client", hostsOf(config.listenClientUrls), config, logger);
  const peer = await effectiveFiles(config.peerTls, "peer", hostsOf(config.listenPeerUrls), config, logger);
  const tlsLogger = logger.child({ component: "tls" });
  const load = (files: TlsFiles): TlsMaterial => TlsMaterial.load({ files, policy, logger: tlsLogger });
  let clientServer: ClientTlsSettings | undefined;
  let clientDial: TlsClientSettings | undefined;
  if (hasFiles(client)) {
    logger.info({ "tls-info": describe(client), "cipher-suites": config.cipherSuites }, "starting with client TLS");
    const material = load(serverFiles(client, CLIENT_TLS_FLAGS));
    clientServer = {
      material,
      clientCertAuth: requiresClientCertificate(client),
      allowedCommonNames: client.allowedCns,
      allowedHostnames: client.allowedHostnames,
      verifyClientSan: false,
    };
    clientDial = { material: dialMaterial(client, material, CLIENT_DIAL_TLS_FLAGS, load), insecureSkipVerify: client.autoTls };
  }
  return { clientServer, clientDial, peer: hasFiles(peer) ? peerSettings(peer, load, config, logger) : undefined };
}

function peerSettings(peer: TlsConfig, load: (files: TlsFiles) => TlsMaterial, config: EtcdConfig, logger: Logger): PeerTlsSettings {
  logger.info({ "tls-info": describe(peer), "cipher-suites": config.cipherSuites }, "starting with peer TLS");
  const clientCertAuth = requiresClientCertificate(peer);
  const material = load(serverFiles(peer, PEER_TLS_FLAGS));
  return {
    server: {
      material,
      clientCertAuth,
      allowedCommonNames: peer.allowedCns,
      allowedHostnames: peer.allowedHostnames,
      verifyClientSan: clientCertAuth && !peer.skipClientSanVerify,
      handshakeTimeoutMs: PEER_HANDSHAKE_TIMEOUT_MS,
      alpnProtocols: ["h2", "http/1.1"],
    },
    // etcd dials peers with --peer-auto-tls certificates without verifying them (etcdmain: InsecureSkipVerify = PeerAutoTLS).
    client: { material: dialMaterial(peer, material, PEER_DIAL_TLS_FLAGS, load), insecureSkipVerify: peer.autoTls },
  };
}

/** etcd's warnings for plain URLs of a family that has TLS settings: the settings do not apply to them. */
export function plainUrlWarnings(config: EtcdConfig, logger: Logger): void {
  const warn = (urls: EtcdConfig["listenClientUrls"], tls: TlsConfig, key: string, authFlag: string): void => {
    for (const u of urls) {
      if (u.scheme !== "http" && u.scheme !== "unix") continue;
      if (hasFiles(tls)) logger.warn({ [key]: u.href }, "scheme is HTTP while key and cert files are present; ignoring key and cert files");
      if (tls.clientCertAuth) logger.warn({ [key]: u.href }, `scheme is HTTP while ${authFlag} is enabled; ignoring client cert auth for this URL`);
    }
  };
  warn(config.listenClientUrls, config.clientTls, "client-url", "--client-cert-auth");
  warn(config.listenPeerUrls, config.peerTls, "peer-url", "--peer-client-cert-auth");
}
