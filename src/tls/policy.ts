/** etcd's TLS policy flags checked and turned into Node's options. */
import * as tls from "node:tls";
import type { TlsPolicy, TlsVersionName } from "./types.js";

/** TLS 1.3's suites: named the same in Go and OpenSSL, always enabled in Go (they cannot be configured there). */
const TLS13_SUITES = ["TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"] as const;

/** Go's crypto/tls names (CipherSuites and InsecureCipherSuites, plus etcd's two legacy aliases) → OpenSSL's names. */
const TLS12_SUITES: ReadonlyMap<string, string> = new Map([
  ["TLS_RSA_WITH_RC4_128_SHA", "RC4-SHA"],
  ["TLS_RSA_WITH_3DES_EDE_CBC_SHA", "DES-CBC3-SHA"],
  ["TLS_RSA_WITH_AES_128_CBC_SHA", "AES128-SHA"],
  ["TLS_RSA_WITH_AES_256_CBC_SHA", "AES256-SHA"],
  ["TLS_RSA_WITH_AES_128_CBC_SHA256", "AES128-SHA256"],
  ["TLS_RSA_WITH_AES_128_GCM_SHA256", "AES128-GCM-SHA256"],
  ["TLS_RSA_WITH_AES_256_GCM_SHA384", "AES256-GCM-SHA384"],
  ["TLS_ECDHE_ECDSA_WITH_RC4_128_SHA", "ECDHE-ECDSA-RC4-SHA"],
  ["TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", "ECDHE-ECDSA-AES128-SHA"],
  ["TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", "ECDHE-ECDSA-AES256-SHA"],
  ["TLS_ECDHE_RSA_WITH_RC4_128_SHA", "ECDHE-RSA-RC4-SHA"],
  ["TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA", "ECDHE-RSA-DES-CBC3-SHA"],
  ["TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", "ECDHE-RSA-AES128-SHA"],
  ["TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", "ECDHE-RSA-AES256-SHA"],
  ["TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", "ECDHE-ECDSA-AES128-SHA256"],
  ["TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", "ECDHE-RSA-AES128-SHA256"],
  ["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "ECDHE-RSA-AES128-GCM-SHA256"],
  ["TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "ECDHE-ECDSA-AES128-GCM-SHA256"],
  ["TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "ECDHE-RSA-AES256-GCM-SHA384"],
  ["TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "ECDHE-ECDSA-AES256-GCM-SHA384"],
  ["TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-RSA-CHACHA20-POLY1305"],
  ["TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-ECDSA-CHACHA20-POLY1305"],
  ["TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305", "ECDHE-RSA-CHACHA20-POLY1305"],
  ["TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305", "ECDHE-ECDSA-CHACHA20-POLY1305"],
]);

const isTls13Suite = (name: string): boolean => (TLS13_SUITES as readonly string[]).includes(name);

function versionName(flag: string): TlsVersionName | undefined | { error: string } {
  if (flag === "") return undefined;
  if (flag === "TLS1.2" || flag === "TLS1.3") return flag;
  return { error: `unexpected TLS version "${flag}" (must be one of: TLS1.2, TLS1.3)` };
}

/**
 * Checks --cipher-suites, --tls-min-version, --tls-max-version as etcd 3.5
 * does (in its order) and returns the policy, or etcd's error text. Beyond
 * etcd: a list none of whose TLS 1.2 suites this Node's OpenSSL offers (RC4,
 * 3DES) is refused here rather than at the first handshake.
 */
export function policyFromFlags(cipherSuites: readonly string[], minVersion: string, maxVersion: string): TlsPolicy | { error: string } {
  const min = versionName(minVersion);
  if (typeof min === "object") return min;
  const max = versionName(maxVersion);
  if (typeof max === "object") return max;
  if (min === "TLS1.3" && max === "TLS1.2") return { error: `min version (${minVersion}) is greater than max version (${maxVersion})` };
  if (min === "TLS1.3" && cipherSuites.length > 0) return { error: "cipher suites cannot be configured when only TLS1.3 is enabled" };
  for (const name of cipherSuites) {
    if (!TLS12_SUITES.has(name) && !isTls13Suite(name)) return { error: `unexpected TLS cipher suite "${name}"` };
  }
  const policy: TlsPolicy = { cipherSuites: [...cipherSuites], minVersion: min ?? "TLS1.2", maxVersion: max };
  const ciphers = openSslCiphers(policy);
  if (ciphers !== undefined) {
    try {
      tls.createSecureContext({ ciphers });
    } catch {
      return { error: `none of the TLS cipher suites ${JSON.stringify(cipherSuites.join(","))} is supported by this build` };
    }
  }
  return policy;
}

/**
 * OpenSSL's cipher string for the policy, undefined for the library's
 * defaults. Only the TLS 1.2 suites listed are named, so TLS 1.3 keeps all of
 * its suites as in Go; a list of TLS 1.3 names only leaves TLS 1.2 without
 * suites, as in Go.
 */
export function openSslCiphers(policy: TlsPolicy): string | undefined {
  if (policy.cipherSuites.length === 0) return undefined;
  const tls12 = policy.cipherSuites.flatMap((name) => TLS12_SUITES.get(name) ?? []);
  return tls12.length > 0 ? tls12.join(":") : TLS13_SUITES.join(":");
}

const NODE_VERSION = { "TLS1.2": "TLSv1.2", "TLS1.3": "TLSv1.3" } as const satisfies Record<TlsVersionName, tls.SecureVersion>;

/** The policy as options of tls.createSecureContext. */
export function secureContextPolicy(policy: TlsPolicy): Pick<tls.SecureContextOptions, "minVersion" | "maxVersion" | "ciphers"> {
  const ciphers = openSslCiphers(policy);
  return {
    minVersion: NODE_VERSION[policy.minVersion],
    maxVersion: NODE_VERSION[policy.maxVersion ?? "TLS1.3"],
    ...(ciphers === undefined ? {} : { ciphers }),
  };
}
