/**
 * One side's certificate, key, CA and CRL: checked at load, then re-read
 * when a file changes so the next handshake presents or checks the new one.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as tls from "node:tls";
import type { Logger } from "../pkg/logger.js";
import { RevocationList } from "./crl.js";
import { secureContextPolicy } from "./policy.js";
import { TlsConfigError, type TlsFiles, type TlsPolicy } from "./types.js";

export interface TlsMaterialOptions {
  readonly files: TlsFiles;
  readonly policy: TlsPolicy;
  readonly logger: Logger;
  /** Shortest time between two looks at the files' stats; 0: at every `context()` call. */
  readonly recheckMs?: number;
  /** Milliseconds now (injectable for tests); default Date.now. */
  readonly now?: () => number;
}

/** What one consistent reading of the files produced. */
interface LoadedSet {
  readonly secureContext: tls.SecureContext;
  readonly revocations: RevocationList | undefined;
}

export class TlsMaterial {
  readonly #options: TlsMaterialOptions;
  readonly #now: () => number;
  #current: LoadedSet;
  /** The files' stats when #current was read. */
  #signature: string;
  /** Stats of a set that failed to load: not retried (nor logged again) until a file changes again. */
  #rejectedSignature: string | undefined;
  #lastCheckMs: number;

  private constructor(options: TlsMaterialOptions, current: LoadedSet, signature: string) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#current = current;
    this.#signature = signature;
    this.#lastCheckMs = this.#now();
  }

  /**
   * Reads and checks every file (exists, parses, key matches cert, cert
   * valid now, CRL parses). Throws TlsConfigError. A certificate not issued
   * by the configured CA is only logged, as etcd does not check it at all:
   * the CA verifies the other side, and a server may well present a
   * certificate from a public CA while trusting a private one for clients.
   */
  static load(options: TlsMaterialOptions): TlsMaterial {
    const signature = statSignature(options.files);
    const set = loadSet(options.files, options.policy, (options.now ?? Date.now)(), options.logger);
    return new TlsMaterial(options, set, signature);
  }

  /** The secure context for the next handshake, rebuilt first when a file changed; a broken new set keeps the old one (logged once per change). */
  context(): tls.SecureContext {
    this.#refresh();
    return this.#current.secureContext;
  }

  /** True when the current CRL lists this serial number (hex, as X509Certificate#serialNumber); false without a CRL. */
  revokes(serialNumberHex: string): boolean {
    return this.#current.revocations?.revokes(serialNumberHex) ?? false;
  }

  /** True when a CA bundle is configured (to verify the other side). */
  get hasTrustedCa(): boolean {
    return this.#options.files.trustedCaFile !== "";
  }

  /** True when a certificate and key are configured (to present). */
  get hasCertificate(): boolean {
    return this.#options.files.certFile !== "";
  }

  #refresh(): void {
    const now = this.#now();
    if (now - this.#lastCheckMs < (this.#options.recheckMs ?? 0)) return;
    this.#lastCheckMs = now;
    const signature = statSignature(this.#options.files);
    if (signature === this.#signature || signature === this.#rejectedSignature) return;
    const { files, policy, logger } = this.#options;
    try {
      this.#current = loadSet(files, policy, now, logger);
      this.#signature = signature;
      this.#rejectedSignature = undefined;
      logger.info({ ...describe(files) }, "reloaded TLS files");
    } catch (err) {
      this.#rejectedSignature = signature;
      logger.warn({ ...describe(files), error: err instanceof Error ? err.message : String(err) }, "changed TLS files do not load; still using the previous ones");
    }
  }
}

function describe(files: TlsFiles): Record<string, string> {
  const out: Record<string, string> = {};
  if (files.certFile !== "") out["cert-file"] = files.certFile;
  if (files.keyFile !== "") out["key-file"] = files.keyFile;
  if (files.trustedCaFile !== "") out["trusted-ca-file"] = files.trustedCaFile;
  if (files.crlFile !== "") out["crl-file"] = files.crlFile;
  return out;
}

/** Identity and change marks of every given file (symlinks followed, so a swapped link counts as a change). */
function statSignature(files: TlsFiles): string {
  return [files.certFile, files.keyFile, files.trustedCaFile, files.crlFile]
    .map((path) => {
      if (path === "") return "-";
      try {
        const st = fs.statSync(path, { bigint: true });
        return `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
      } catch {
        return "missing";
      }
    })
    .join("|");
}

function loadSet(files: TlsFiles, policy: TlsPolicy, nowMs: number, logger: Logger): LoadedSet {
  const { flags } = files;
  if ((files.certFile === "") !== (files.keyFile === "")) {
    const [missing, given, path] = files.certFile === "" ? [flags.cert, flags.key, files.keyFile] : [flags.key, flags.cert, files.certFile];
    throw new TlsConfigError(missing, "", `${missing} must be given with ${given} ${path} (KeyFile and CertFile must both be present)`);
  }
  const options: tls.SecureContextOptions = { ...secureContextPolicy(policy) };
  let chain: crypto.X509Certificate[] = [];
  if (files.certFile !== "") {
    const certPem = readTlsFile(flags.cert, files.certFile);
    const keyPem = readTlsFile(flags.key, files.keyFile);
    chain = parseCertificates(flags.cert, files.certFile, certPem);
    const leaf = chain[0]!;
    checkValidity(flags.cert, files.certFile, leaf, nowMs);
    let key: crypto.KeyObject;
    try {
      key = crypto.createPrivateKey(keyPem);
    } catch (err) {
      throw fileError(flags.key, files.keyFile, `tls: failed to parse private key (${messageOf(err)})`);
    }
    if (!leaf.checkPrivateKey(key)) {
      throw fileError(flags.key, files.keyFile, `tls: private key does not match public key of ${flags.cert} ${files.certFile}`);
    }
    options.cert = certPem;
    options.key = keyPem;
  }
  if (files.trustedCaFile !== "") {
    const caPem = readTlsFile(flags.trustedCa, files.trustedCaFile);
    const authorities = parseCertificates(flags.trustedCa, files.trustedCaFile, caPem);
    const top = chain.at(-1);
    if (top !== undefined && !authorities.some((ca) => top.fingerprint256 === ca.fingerprint256 || (top.checkIssued(ca) && top.verify(ca.publicKey)))) {
      logger.warn(
        { [flags.cert]: files.certFile, [flags.trustedCa]: files.trustedCaFile },
        "the certificate is not issued by the trusted CA: the other side must trust its issuer some other way",
      );
    }
    options.ca = caPem;
  }
  let revocations: RevocationList | undefined;
  if (files.crlFile !== "") {
    const crl = readTlsFile(flags.crl, files.crlFile);
    try {
      revocations = RevocationList.parse(crl);
    } catch (err) {
      throw fileError(flags.crl, files.crlFile, `x509: failed to parse CRL: ${messageOf(err)}`);
    }
  }
  let secureContext: tls.SecureContext;
  try {
    secureContext = tls.createSecureContext(options);
  } catch (err) {
    throw fileError(flags.cert, files.certFile, `tls: ${messageOf(err)}`);
  }
  return { secureContext, revocations };
}

/** Go's text for the usual reasons a file cannot be read (etcd prints "open <file>: <reason>"). */
const READ_ERRORS: Readonly<Record<string, string>> = {
  ENOENT: "no such file or directory",
  EACCES: "permission denied",
  EISDIR: "is a directory",
  ENOTDIR: "not a directory",
  ELOOP: "too many levels of symbolic links",
};

function readTlsFile(flag: string, path: string): Buffer {
  try {
    return fs.readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? "";
    const reason = code === "EISDIR" ? `read ${path}: is a directory` : `open ${path}: ${READ_ERRORS[code] ?? messageOf(err)}`;
    throw new TlsConfigError(flag, path, `${flag}: ${reason}`);
  }
}

function fileError(flag: string, path: string, detail: string): TlsConfigError {
  return new TlsConfigError(flag, path, `${flag} ${path}: ${detail}`);
}

/** Every CERTIFICATE block of a PEM file, parsed; a file with none or with a broken one is refused. */
function parseCertificates(flag: string, path: string, pem: Buffer): crypto.X509Certificate[] {
  const blocks = pem.toString("latin1").match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) throw fileError(flag, path, "tls: failed to find any PEM data in certificate input");
  return blocks.map((block) => {
    try {
      return new crypto.X509Certificate(block);
    } catch (err) {
      throw fileError(flag, path, `x509: malformed certificate (${messageOf(err)})`);
    }
  });
}

function checkValidity(flag: string, path: string, cert: crypto.X509Certificate, nowMs: number): void {
  const from = Date.parse(cert.validFrom);
  const to = Date.parse(cert.validTo);
  const at = (ms: number): string => new Date(ms).toISOString().replace(/\.\d+Z$/, "Z");
  if (nowMs < from) throw fileError(flag, path, `x509: certificate has expired or is not yet valid: current time ${at(nowMs)} is before ${at(from)}`);
  if (nowMs > to) throw fileError(flag, path, `x509: certificate has expired or is not yet valid: current time ${at(nowMs)} is after ${at(to)}`);
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
