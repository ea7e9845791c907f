import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { request as httpsRequest, type RequestOptions } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseEtcdUrls } from "../../pkg/go-url.js";
import { nullLogger } from "../../pkg/logger.js";
import { DEFAULT_TLS_POLICY, TlsMaterial } from "../../tls/index.js";
import { files, issue, makeTestPki, type TestPki } from "../../tls/test-support.js";
import { boundPort } from "../listen-socket.js";
import { listenMetrics } from "./metrics-listener.js";

let dir: string;
let pki: TestPki;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), "metrics-listener-"));
  pki = await makeTestPki(dir);
});
after(() => rmSync(dir, { recursive: true, force: true }));

function get(options: RequestOptions, secure: boolean): Promise<string> {
  return new Promise((resolve) => {
    const req = (secure ? httpsRequest : httpRequest)({ ...options, path: "/metrics", agent: false }, (res) => {
      let text = "";
      res.on("data", (chunk: Buffer) => (text += chunk.toString()));
      res.on("end", () => resolve(text));
    });
    req.on("error", () => resolve("error"));
    req.end();
  });
}

describe("--listen-metrics-urls", () => {
  it("https:// is served with the client TLS settings: a client certificate of the trusted CA is required", async () => {
    const material = TlsMaterial.load({ files: files({ certFile: pki.server.cert, keyFile: pki.server.key, trustedCaFile: pki.caCert }), policy: DEFAULT_TLS_POLICY, logger: nullLogger });
    const tls = { material, clientCertAuth: true, allowedCommonNames: [], allowedHostnames: [], verifyClientSan: false };
    const listeners = await listenMetrics(parseEtcdUrls("https://127.0.0.1:0"), (_req, res) => res.end("metrics"), nullLogger, tls);
    try {
      const port = boundPort(listeners.addresses[0] ?? { kind: "unix", path: "" });
      const ca = readFileSync(pki.caCert);
      assert.equal(await get({ host: "127.0.0.1", port, ca, cert: readFileSync(pki.client.cert), key: readFileSync(pki.client.key) }, true), "metrics");
      assert.equal(await get({ host: "127.0.0.1", port, ca }, true), "error");
      // etcd checks a metrics client's certificate SANs against its address: one of the trusted CA naming another address is refused.
      const elsewhere = await issue(dir, "client-elsewhere", { cn: "client", san: "IP:10.255.255.1", ca: "ca" });
      assert.equal(await get({ host: "127.0.0.1", port, ca, cert: readFileSync(elsewhere.cert), key: readFileSync(elsewhere.key) }, true), "error");
    } finally {
      await listeners.close();
    }
  });

  it("https:// without TLS settings is refused at start, naming etcd's flags", async () => {
    await assert.rejects(listenMetrics(parseEtcdUrls("https://127.0.0.1:0"), (_req, res) => res.end(), nullLogger), /--cert-file, --key-file/);
  });

  it("unix:// serves on a socket file", async () => {
    const path = join(dir, "metrics.sock");
    const listeners = await listenMetrics([{ scheme: "unix", host: path, hostname: "", port: 0, href: `unix://${path}` }], (_req, res) => res.end("metrics"), nullLogger);
    try {
      assert.equal(await get({ socketPath: path }, false), "metrics");
    } finally {
      await listeners.close();
    }
  });
});
