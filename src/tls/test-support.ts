/**
 * Throwaway certificates for src/tls's tests, made with Debian's openssl in
 * a temp dir: a CA, a server and a client certificate it signs, a client of
 * another CA, a revoked client with the CA's CRL.
 * @module
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import { join } from "node:path";
import { CLIENT_TLS_FLAGS, type TlsFiles } from "./types.js";

export interface TestPki {
  readonly dir: string;
  readonly caCert: string;
  readonly server: { cert: string; key: string };
  readonly client: { cert: string; key: string };
  /** Signed by the CA, then revoked in `crl`. */
  readonly revokedClient: { cert: string; key: string };
  /** Signed by a CA the server does not trust. */
  readonly strangerClient: { cert: string; key: string };
  readonly crl: string;
  /** A CRL of the same CA revoking nothing. */
  readonly emptyCrl: string;
}

/** Serials of certificates issued without an explicit one. */
let nextSerial = 0x2000;

function openssl(dir: string, args: readonly string[]): void {
  execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
}

function newKey(dir: string, name: string): string {
  openssl(dir, ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", `${name}.key`]);
  return join(dir, `${name}.key`);
}

/** A certificate for `name` signed by `ca` (a self-signed CA when `ca` is undefined). */
export function issue(dir: string, name: string, options: { cn: string; san?: string; ca?: string; serial?: number; days?: number }): { cert: string; key: string } {
  const key = newKey(dir, name);
  const days = String(options.days ?? 30);
  if (options.ca === undefined) {
    openssl(dir, ["req", "-x509", "-new", "-key", key, "-out", `${name}.pem`, "-days", days, "-subj", `/CN=${options.cn}`,
      "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"]);
    return { cert: join(dir, `${name}.pem`), key };
  }
  openssl(dir, ["req", "-new", "-key", key, "-out", `${name}.csr`, "-subj", `/CN=${options.cn}`]);
  const ext = [`extendedKeyUsage=serverAuth,clientAuth`, ...(options.san ? [`subjectAltName=${options.san}`] : [])].join("\n");
  fs.writeFileSync(join(dir, `${name}.ext`), ext + "\n");
  openssl(dir, ["x509", "-req", "-in", `${name}.csr`, "-CA", `${options.ca}.pem`, "-CAkey", `${options.ca}.key`, "-out", `${name}.pem`,
    "-days", days, "-set_serial", String(options.serial ?? nextSerial++), "-extfile", `${name}.ext`]);
  return { cert: join(dir, `${name}.pem`), key };
}

/** A CRL of CA `ca` revoking the certificates `revoked` (paths). */
export function makeCrl(dir: string, ca: string, name: string, revoked: readonly string[]): string {
  const db = join(dir, `${name}-index.txt`);
  fs.writeFileSync(db, "");
  fs.writeFileSync(join(dir, `${name}-crlnumber`), "01\n");
  fs.writeFileSync(
    join(dir, `${name}.cnf`),
    `[ca]\ndefault_ca=d\n[d]\ndatabase=${db}\ncrlnumber=${join(dir, `${name}-crlnumber`)}\ndefault_md=sha256\ndefault_crl_days=30\n`,
  );
  for (const cert of revoked) openssl(dir, ["ca", "-config", `${name}.cnf`, "-keyfile", `${ca}.key`, "-cert", `${ca}.pem`, "-revoke", cert]);
  openssl(dir, ["ca", "-config", `${name}.cnf`, "-gencrl", "-keyfile", `${ca}.key`, "-cert", `${ca}.pem`, "-out", `${name}.pem`]);
  return join(dir, `${name}.pem`);
}

export function makeTestPki(dir: string): TestPki {
  const ca = issue(dir, "ca", { cn: "test-ca" });
  issue(dir, "other-ca", { cn: "other-ca" });
  const server = issue(dir, "server", { cn: "server", san: "IP:127.0.0.1,DNS:localhost", ca: "ca", serial: 0x1001 });
  const client = issue(dir, "client", { cn: "client", san: "IP:127.0.0.1,DNS:localhost", ca: "ca", serial: 0x1002 });
  const revokedClient = issue(dir, "revoked", { cn: "revoked", san: "IP:127.0.0.1", ca: "ca", serial: 0xabcdef });
  const strangerClient = issue(dir, "stranger", { cn: "client", san: "IP:127.0.0.1", ca: "other-ca", serial: 0x1003 });
  const crl = makeCrl(dir, "ca", "crl", [revokedClient.cert]);
  const emptyCrl = makeCrl(dir, "ca", "empty-crl", []);
  return { dir, caCert: ca.cert, server, client, revokedClient, strangerClient, crl, emptyCrl };
}

export function files(parts: Partial<Omit<TlsFiles, "flags">>): TlsFiles {
  return { certFile: "", keyFile: "", trustedCaFile: "", crlFile: "", ...parts, flags: CLIENT_TLS_FLAGS };
}
