/**
 * TLS for every listener and dial of the member: certificate, key, CA and
 * CRL files loaded and checked once at start (errors name the flag and the
 * file), re-read when they change on disk (rotation without restart), etcd's
 * policy flags (Go cipher-suite names, TLS versions), self-signed
 * certificates for --auto-tls / --peer-auto-tls, and the identity of a
 * verified peer certificate. Imports nothing of ours but src/pkg.
 * @module
 */
export type { TlsVersionName, TlsPolicy, TlsFiles, TlsFlagNames } from "./types.js";
export { TlsConfigError, DEFAULT_TLS_POLICY, CLIENT_TLS_FLAGS, PEER_TLS_FLAGS, CLIENT_DIAL_TLS_FLAGS, PEER_DIAL_TLS_FLAGS } from "./types.js";
export { TlsMaterial, type TlsMaterialOptions } from "./material.js";
export { acceptTls, type TlsServerSettings, type TlsRefusal } from "./server.js";
export { clientConnectOptions, type TlsClientSettings } from "./client.js";
export { peerIdentity, type TlsPeerIdentity } from "./identity.js";
export { selfSignedCertificate, type SelfSignedOptions } from "./auto-tls.js";
export { policyFromFlags } from "./policy.js";
