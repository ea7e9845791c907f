/**
 * Unmodified third-party clients over native TLS with a client certificate
 * (--client-cert-auth), on both servers: the `etcd3` npm package (grpc-js,
 * credentials { rootCertificate, certChain, privateKey }) and Debian's
 * python3-etcd3 (grpcio, ca_cert / cert_cert / cert_key): put, get, watch.
 */
import assert from "node:assert/strict";
import { runPython } from "../harness/python.js";
import { readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { Etcd3 } from "etcd3";
import { createPki, type TestPki } from "../harness/certs.js";
import { startServer, type Flavor, type ServerProcess } from "../harness/server-process.js";

/** put, get and a watch that sees a put, through python-etcd3 over TLS; prints one JSON line. */
const PYTHON_SCRIPT = `
import json, sys, threading
import etcd3
host, port, ca, cert, key = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
client = etcd3.client(host=host, port=port, ca_cert=ca, cert_cert=cert, cert_key=key, timeout=10)
client.put("py/k", "from-python")
value, _ = client.get("py/k")
seen = threading.Event()
events = []
def on_watch(response):
    for event in response.events:
        events.append(event.value.decode())
    seen.set()
watch_id = client.add_watch_callback("py/w", on_watch)
client.put("py/w", "watched")
seen.wait(10)
client.cancel_watch(watch_id)
client.close()
print(json.dumps({"value": value.decode(), "events": events}))
`;

for (const flavor of ["real", "ours"] as const satisfies readonly Flavor[]) {
  describe(`third-party clients over TLS (${flavor})`, () => {
    let pki: TestPki;
    let server: ServerProcess;
    before(async () => {
      pki = await createPki();
      server = await startServer({ flavor, clientTls: { cert: pki.server.cert, key: pki.server.key, trustedCa: pki.caFile, clientCertAuth: true } });
    });
    after(async () => {
      await server?.stop();
      pki?.remove();
    });

    test("the etcd3 npm package with a client certificate: put, get, watch", async () => {
      const client = new Etcd3({
        hosts: server.clientUrl,
        dialTimeout: 5000,
        credentials: { rootCertificate: readFileSync(pki.caFile), certChain: readFileSync(pki.client.cert), privateKey: readFileSync(pki.client.key) },
      });
      try {
        await client.put("npm/k").value("from-etcd3");
        assert.equal(await client.get("npm/k").string(), "from-etcd3");
        const watcher = await client.watch().key("npm/w").create();
        const seen = new Promise<string>((resolve) => watcher.on("put", (kv) => resolve(kv.value.toString())));
        await client.put("npm/w").value("watched");
        assert.equal(await seen, "watched");
        await watcher.cancel();
      } finally {
        client.close();
      }
    });

    test("python-etcd3 (Debian's python3-etcd3) with a client certificate: put, get, watch", async () => {
      const r = await runPython(PYTHON_SCRIPT, ["127.0.0.1", String(server.clientPort), pki.caFile, pki.client.cert, pki.client.key], 30_000);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(JSON.parse(r.stdout.trim()), { value: "from-python", events: ["watched"] });
    });
  });
}
