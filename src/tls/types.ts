/** Shared TLS types and the one error type of src/tls. */

/** etcd's spelling of a TLS version (`--tls-min-version`, `--tls-max-version`). */
export type TlsVersionName = "TLS1.2" | "TLS1.3";

/** The policy flags, shared by client and peer sides as in etcd. */
export interface TlsPolicy {
  /** Go cipher-suite names (`--cipher-suites`); empty: the library's defaults. */
  readonly cipherSuites: readonly string[];
  readonly minVersion: TlsVersionName;
  /** Undefined: the library's highest (TLS 1.3). */
  readonly maxVersion: TlsVersionName | undefined;
}

export const DEFAULT_TLS_POLICY: TlsPolicy = { cipherSuites: [], minVersion: "TLS1.2", maxVersion: undefined };

/** The flags that named each file, so an error can say which flag and which file. */
export interface TlsFlagNames {
  readonly cert: string;
  readonly key: string;
  readonly trustedCa: string;
  readonly crl: string;
}

/** The flags of the client side's files (what the client listeners present and check). */
export const CLIENT_TLS_FLAGS: TlsFlagNames = { cert: "--cert-file", key: "--key-file", trustedCa: "--trusted-ca-file", crl: "--client-crl-file" };
/** The flags of the peer side's files (the peer listeners, and the dialer unless --peer-client-cert-file is given). */
export const PEER_TLS_FLAGS: TlsFlagNames = { cert: "--peer-cert-file", key: "--peer-key-file", trustedCa: "--peer-trusted-ca-file", crl: "--peer-crl-file" };
/** The member dialing its own client port with --client-cert-file / --client-key-file. */
export const CLIENT_DIAL_TLS_FLAGS: TlsFlagNames = { cert: "--client-cert-file", key: "--client-key-file", trustedCa: "--trusted-ca-file", crl: "--client-crl-file" };
/** A member dialing its peers with --peer-client-cert-file / --peer-client-key-file. */
export const PEER_DIAL_TLS_FLAGS: TlsFlagNames = { cert: "--peer-client-cert-file", key: "--peer-client-key-file", trustedCa: "--peer-trusted-ca-file", crl: "--peer-crl-file" };

/** The files of one side. '' means not given. */
export interface TlsFiles {
  readonly certFile: string;
  readonly keyFile: string;
  /** CA bundle that verifies the other side's certificates. */
  readonly trustedCaFile: string;
  /** Revocation list checked against the other side's certificates. */
  readonly crlFile: string;
  readonly flags: TlsFlagNames;
}

/** A TLS setting the member cannot start with; the message names the flag and the file. */
export class TlsConfigError extends Error {
  readonly flag: string;
  readonly file: string;
  constructor(flag: string, file: string, message: string) {
    super(message);
    this.name = "TlsConfigError";
    this.flag = flag;
    this.file = file;
  }
}
