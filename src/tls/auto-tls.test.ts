import { test } from "node:test";
import assert from "node:assert/strict";
import { X509Certificate, createPrivateKey } from "node:crypto";
import fs from "node:fs";
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import * as tls from "node:tls";
import { join } from "node:path";
import { nullLogger } from "../pkg/logger.js";
import { tempDir } from "../pkg/test-support.js";
import { selfSignedCertificate } from "./auto-tls.js";
import { TlsMaterial } from "./material.js";
import { files } from "./test-support.js";
import { DEFAULT_TLS_POLICY } from "./types.js";
import { KeyUsageFlags, KeyUsagesExtension, X509Certificate as ParsedCertificate } from "./x509.js";

test("selfSignedCertificate makes etcd's self-signed pair and reuses it", async (t) => {
  const dir = join(tempDir(t), "fixtures", "client");
  const made = await selfSignedCertificate({ dir, hosts: ["127.0.0.1:2379", "localhost:2379", "[::1]:2379", "0.0.0.0:2379"], validityYears: 2 });
  assert.deepEqual(made, { certFile: join(dir, "cert.pem"), keyFile: join(dir, "key.pem") });
  assert.equal(fs.statSync(made.keyFile).mode & 0o777, 0o600);
  assert.match(fs.readFileSync(made.keyFile, "utf8"), /^-----BEGIN EC PRIVATE KEY-----/);
  const cert = new X509Certificate(fs.readFileSync(made.certFile));
  assert.equal(cert.subject, "O=etcd");
  assert.equal(cert.issuer, "O=etcd");
  assert.equal(cert.ca, false);
  assert.equal(cert.subjectAltName, "IP Address:127.0.0.1, DNS:localhost, IP Address:0:0:0:0:0:0:0:1, IP Address:0.0.0.0");
  assert.ok(cert.verify(cert.publicKey), "self-signed");
  assert.match(cert.serialNumber.replace(/^(00)+/, ""), /^[0-9A-F]{1,32}$/, "a serial below 2^128");
  const years = (Date.parse(cert.validTo) - Date.parse(cert.validFrom)) / (365 * 86_400_000);
  assert.equal(years, 2);
  assert.deepEqual(cert.keyUsage, ["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"]);
  // Node's X509Certificate names neither key usage nor signature algorithm: the library reads them.
  const parsed = new ParsedCertificate(fs.readFileSync(made.certFile, "latin1"));
  assert.equal(parsed.getExtension(KeyUsagesExtension)?.usages, KeyUsageFlags.digitalSignature | KeyUsageFlags.keyEncipherment);
  assert.deepEqual(parsed.signatureAlgorithm, { name: "ECDSA", hash: { name: "SHA-512" } });
  assert.equal(cert.publicKey.asymmetricKeyDetails?.namedCurve, "secp521r1");
  assert.ok(TlsMaterial.load({ files: files({ certFile: made.certFile, keyFile: made.keyFile }), policy: DEFAULT_TLS_POLICY, logger: nullLogger }).hasCertificate);

  const pem = fs.readFileSync(made.certFile, "utf8");
  await selfSignedCertificate({ dir, hosts: ["other:2379"], validityYears: 1 });
  assert.equal(fs.readFileSync(made.certFile, "utf8"), pem, "a valid pair is reused");
});

test("the self-signed pair serves and authenticates a client when trusted as its own CA", async (t) => {
  const made = await selfSignedCertificate({ dir: tempDir(t), hosts: ["127.0.0.1:0"], validityYears: 1 });
  const pair = { cert: fs.readFileSync(made.certFile), key: fs.readFileSync(made.keyFile) };
  const server = tls.createServer({ ...pair, ca: pair.cert, requestCert: true, rejectUnauthorized: true }, (socket) =>
    socket.end(socket.authorized ? "client verified" : "client refused"),
  );
  t.after(() => server.close());
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  // Verified as OpenSSL does: the chain (the certificate itself), server auth, the IP SAN; the server checks client auth.
  const client = tls.connect({ host: "127.0.0.1", port: (server.address() as AddressInfo).port, ...pair, ca: pair.cert });
  t.after(() => client.destroy());
  await once(client, "secureConnect");
  assert.equal(client.authorized, true, String(client.authorizationError));
  const [answer] = (await once(client, "data")) as [Buffer];
  assert.equal(answer.toString(), "client verified");
});

test("selfSignedCertificate replaces an expired or broken pair", async (t) => {
  const dir = tempDir(t);
  const first = await selfSignedCertificate({ dir, hosts: ["127.0.0.1:2380"], validityYears: 1, now: () => Date.now() - 400 * 86_400_000 });
  const expired = fs.readFileSync(first.certFile, "utf8");
  await selfSignedCertificate({ dir, hosts: ["127.0.0.1:2380"], validityYears: 1 });
  const renewed = fs.readFileSync(first.certFile, "utf8");
  assert.notEqual(renewed, expired);
  fs.writeFileSync(first.keyFile, "broken");
  await selfSignedCertificate({ dir, hosts: ["127.0.0.1:2380"], validityYears: 1 });
  assert.notEqual(fs.readFileSync(first.certFile, "utf8"), renewed);
  assert.equal(new X509Certificate(fs.readFileSync(first.certFile)).checkPrivateKey(createPrivateKey(fs.readFileSync(first.keyFile))), true);
});

test("selfSignedCertificate refuses a validity of zero years, as etcd", async (t) => {
  await assert.rejects(selfSignedCertificate({ dir: tempDir(t), hosts: [], validityYears: 0 }), {
    message: "selfSignedCertValidity is invalid,it should be greater than 0",
  });
});
