/** Self-signed certificates for --auto-tls and --peer-auto-tls, as etcd makes them. */

export interface SelfSignedOptions {
  /** Where cert.pem and key.pem are written (etcd: <data-dir>/fixtures/client or /peer); reused when present and valid. */
  readonly dir: string;
  /** Host names and IPs for the SAN (from the listen URLs). */
  readonly hosts: readonly string[];
  /** --self-signed-cert-validity. */
  readonly validityYears: number;
}

/** Makes (or reuses) a self-signed certificate and key; resolves with their file paths. */
export async function selfSignedCertificate(options: SelfSignedOptions): Promise<{ certFile: string; keyFile: string }> {
  void options;
  throw new Error("src/tls: not built yet");
}
