/**
 * What a TLS test observes from the outside: one fresh connection at a time
 * (no agent, no reuse), so each probe runs its own handshake.
 * - `httpProbe`: an HTTP/1.1 request over https (or plain http) that ends in
 *   a response or a refusal (any connection error), with the time it took;
 * - `serverCertificate`: the serial of the certificate a server presents now.
 * @module
 */
import { readFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { connect as tlsConnect } from "node:tls";
import type { CertFiles } from "../harness/certs.js";
import type { CtlTls } from "../harness/etcdctl.js";

/** The files a TLS client uses: the CA it trusts and, optionally, its own certificate. */
export interface ClientFiles {
  ca: string;
  cert?: CertFiles;
}

export type ProbeResult =
  | { kind: "response"; status: number; body: string; ms: number }
  | { kind: "refused"; error: string; ms: number };

/** A refusal must come long before this; a probe still waiting then is reported as a hang. */
const PROBE_LIMIT_MS = 15_000;

/** GET (or POST with a JSON body) `url` on a new connection. */
export function httpProbe(url: string, files?: ClientFiles, body?: unknown): Promise<ProbeResult> {
  const started = Date.now();
  const secure = url.startsWith("https:");
  const tlsOptions = secure && files !== undefined ? tlsFileOptions(files) : {};
  return new Promise((resolve) => {
    const send = secure ? httpsRequest : httpRequest;
    const req = send(url, { method: body === undefined ? "GET" : "POST", agent: false, ...tlsOptions }, (res) => {
      let data = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (data += chunk));
      res.on("end", () => resolve({ kind: "response", status: res.statusCode ?? 0, body: data, ms: Date.now() - started }));
      res.on("error", (err) => resolve({ kind: "refused", error: err.message, ms: Date.now() - started }));
    });
    req.setTimeout(PROBE_LIMIT_MS, () => req.destroy(new Error(`no answer in ${PROBE_LIMIT_MS} ms (a hang)`)));
    req.on("error", (err: NodeJS.ErrnoException) => resolve({ kind: "refused", error: `${err.code ?? ""} ${err.message}`, ms: Date.now() - started }));
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

/** The serial (lower-case hex) of the certificate the server at 127.0.0.1:`port` presents to a new connection. */
export function serverCertificateSerial(port: number, files: ClientFiles): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: "127.0.0.1", port, ...tlsFileOptions(files), ALPNProtocols: ["http/1.1"] }, () => {
      const serial = socket.getPeerCertificate().serialNumber.toLowerCase();
      socket.destroy();
      resolve(serial);
    });
    socket.setTimeout(PROBE_LIMIT_MS, () => socket.destroy(new Error("no TLS handshake in time")));
    socket.on("error", reject);
  });
}

/** etcdctl's --cacert/--cert/--key for these files. */
export function ctlTls(files: ClientFiles): CtlTls {
  return { cacert: files.ca, ...(files.cert !== undefined ? { cert: files.cert.cert, key: files.cert.key } : {}) };
}

function tlsFileOptions(files: ClientFiles): { ca: Buffer; cert?: Buffer; key?: Buffer } {
  return {
    ca: readFileSync(files.ca),
    ...(files.cert !== undefined ? { cert: readFileSync(files.cert.cert), key: readFileSync(files.cert.key) } : {}),
  };
}
