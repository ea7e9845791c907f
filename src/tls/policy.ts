/** etcd's TLS policy flags checked and turned into Node's options. */
import type { TlsPolicy, TlsVersionName } from "./types.js";

/**
 * Checks --cipher-suites, --tls-min-version, --tls-max-version as etcd does
 * and returns the policy, or etcd's error text.
 */
export function policyFromFlags(cipherSuites: readonly string[], minVersion: string, maxVersion: string): TlsPolicy | { error: string } {
  void cipherSuites;
  void minVersion;
  void maxVersion;
  const v: TlsVersionName = "TLS1.2";
  void v;
  throw new Error("src/tls: not built yet");
}
