import { test } from "node:test";
import assert from "node:assert/strict";
import * as net from "node:net";
import * as tls from "node:tls";
import { nullLogger } from "../pkg/logger.js";
import { tempDir } from "../pkg/test-support.js";
import { clientConnectOptions } from "./client.js";
import { TlsMaterial } from "./material.js";
import { acceptTls } from "./server.js";
import { files, issue, makeTestPki } from "./test-support.js";
import { DEFAULT_TLS_POLICY } from "./types.js";

const load = (f: ReturnType<typeof files>): TlsMaterial => TlsMaterial.load({ files: f, policy: DEFAULT_TLS_POLICY, logger: nullLogger });

test("clientConnectOptions verifies the server's name (IP SANs for an IP) unless told to skip verification", async (t) => {
  const dir = tempDir(t);
  const pki = await makeTestPki(dir);
  const wrongSan = await issue(dir, "wrong-san", { cn: "server", san: "IP:10.1.2.3,DNS:etcd.example.com", ca: "ca" });
  const server = load(files({ certFile: wrongSan.cert, keyFile: wrongSan.key }));
  const listener = net.createServer((socket) =>
    acceptTls(socket, { material: server, clientCertAuth: false, allowedCommonNames: [], allowedHostnames: [], verifyClientSan: false, handshakeTimeoutMs: 10_000, alpnProtocols: ["h2"] }, (s) => {
      s.on("error", () => {});
      s.end("ok");
    }, () => {}),
  );
  await new Promise<void>((resolve) => listener.listen(0, "127.0.0.1", resolve));
  t.after(() => new Promise<void>((resolve) => listener.close(() => resolve())));
  const port = (listener.address() as net.AddressInfo).port;
  const client = load(files({ trustedCaFile: pki.caCert }));

  const connect = (options: tls.ConnectionOptions): Promise<string> =>
    new Promise((resolve, reject) => {
      const socket = tls.connect({ host: "127.0.0.1", port, ...options });
      socket.on("secureConnect", () => {
        resolve(socket.alpnProtocol || "");
        socket.destroy();
      });
      socket.on("error", reject);
    });
  await assert.rejects(connect(clientConnectOptions({ material: client }, ["h2"])), { code: "ERR_TLS_CERT_ALTNAME_INVALID" });
  assert.equal(await connect(clientConnectOptions({ material: client, insecureSkipVerify: true }, ["h2"])), "h2");
  const options = clientConnectOptions({ material: client }, ["h2", "http/1.1"]);
  assert.deepEqual(options.ALPNProtocols, ["h2", "http/1.1"]);
  assert.equal(options.rejectUnauthorized, true);
});
