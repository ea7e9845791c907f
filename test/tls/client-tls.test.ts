/**
 * Client TLS without client-certificate auth, on both servers: etcdctl and
 * the HTTP/JSON gateway (with /health, /version, /metrics) over the one
 * https port; a plain client on the TLS port and a TLS client on a plain port
 * are refused promptly, and etcdctl gives up on them as it does against etcd.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createPki, type TestPki } from "../harness/certs.js";
import { etcdctl } from "../harness/etcdctl.js";
import { startServers, type Flavor, type ServerProcess } from "../harness/server-process.js";
import { ctlTls, httpProbe, type ClientFiles } from "./probes.js";
import { assertEtcdctlGaveUp, PROMPT_MS } from "./refusals.js";

for (const flavor of ["real", "ours"] as const satisfies readonly Flavor[]) {
  describe(`client TLS without client certificates (${flavor})`, () => {
    let pki: TestPki;
    let tlsServer: ServerProcess;
    let plainServer: ServerProcess;
    let trusting: ClientFiles;
    before(async () => {
      pki = await createPki();
      trusting = { ca: pki.caFile };
      [tlsServer, plainServer] = await startServers([
        { flavor, clientTls: { cert: pki.server.cert, key: pki.server.key } },
        { flavor },
      ]);
    });
    after(async () => {
      await Promise.all([tlsServer?.stop(), plainServer?.stop()]);
      pki?.remove();
    });

    test("etcdctl puts and gets over https trusting the CA (--cacert)", async () => {
      const tls = ctlTls(trusting);
      assert.equal(tlsServer.clientUrl.startsWith("https://"), true);
      const put = await etcdctl(tlsServer.clientUrl, ["put", "tls/k", "over-tls"], { tls });
      assert.equal(put.code, 0, put.stderr);
      const get = await etcdctl(tlsServer.clientUrl, ["get", "tls/k", "--print-value-only"], { tls });
      assert.equal(get.code, 0, get.stderr);
      assert.equal(get.stdout.trim(), "over-tls");
    });

    test("the HTTP/JSON gateway, /health, /version and /metrics answer on the same https port", async () => {
      const base = tlsServer.clientUrl;
      const put = await httpProbe(`${base}/v3/kv/put`, trusting, { key: b64("gw/k"), value: b64("gw-v") });
      assert.equal(put.kind === "response" && put.status, 200, JSON.stringify(put));
      const range = await httpProbe(`${base}/v3/kv/range`, trusting, { key: b64("gw/k") });
      assert.ok(range.kind === "response" && range.status === 200, JSON.stringify(range));
      const kvs = (JSON.parse(range.body) as { kvs?: { value: string }[] }).kvs;
      assert.equal(kvs?.[0]?.value, b64("gw-v"));
      const health = await httpProbe(`${base}/health`, trusting);
      assert.ok(health.kind === "response" && health.status === 200, JSON.stringify(health));
      assert.equal((JSON.parse(health.body) as { health: string }).health, "true");
      const version = await httpProbe(`${base}/version`, trusting);
      assert.ok(version.kind === "response" && version.status === 200 && /"etcdserver":"3\.\d+\.\d+"/.test(version.body), JSON.stringify(version));
      const metrics = await httpProbe(`${base}/metrics`, trusting);
      assert.ok(metrics.kind === "response" && metrics.status === 200 && metrics.body.includes("etcd_server_has_leader"), JSON.stringify(metrics).slice(0, 300));
    });

    test("a plain client on the TLS port is refused promptly; etcdctl over http:// gives up on it", async () => {
      const probe = await httpProbe(`http://127.0.0.1:${tlsServer.clientPort}/version`);
      assert.equal(probe.kind, "refused", JSON.stringify(probe));
      assert.ok(probe.ms < PROMPT_MS, `${probe.ms} ms`);
      await assertEtcdctlGaveUp(`http://127.0.0.1:${tlsServer.clientPort}`, undefined);
      assert.equal((await etcdctl(tlsServer.clientUrl, ["get", "tls/k"], { tls: ctlTls(trusting) })).code, 0, "still serving TLS clients");
    });

    test("a TLS client on a plain port is refused promptly; etcdctl over https:// gives up on it", async () => {
      const probe = await httpProbe(`https://127.0.0.1:${plainServer.clientPort}/version`, trusting);
      assert.equal(probe.kind, "refused", JSON.stringify(probe));
      assert.ok(probe.ms < PROMPT_MS, `${probe.ms} ms`);
      await assertEtcdctlGaveUp(`https://127.0.0.1:${plainServer.clientPort}`, ctlTls(trusting));
      assert.equal((await etcdctl(plainServer.endpoint, ["put", "plain/k", "v"])).code, 0, "still serving plain clients");
    });
  });
}

function b64(text: string): string {
  return Buffer.from(text).toString("base64");
}
