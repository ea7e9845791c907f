import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import { tempDir } from "../pkg/test-support.js";
import { RevocationList } from "./crl.js";
import { makeTestPki } from "./test-support.js";
import { PemConverter } from "./x509.js";

/** The DER inside a PEM file's first block. */
const derOf = (pem: Buffer): Buffer => Buffer.from(PemConverter.decodeFirst(pem.toString("latin1")));

test("RevocationList reads the revoked serials of a PEM or DER CRL", async (t) => {
  const pki = await makeTestPki(tempDir(t));
  const pem = fs.readFileSync(pki.crl);
  const list = RevocationList.parse(pem);
  assert.equal(list.size, 1);
  assert.equal(list.revokes("ABCDEF"), true);
  assert.equal(list.revokes("0abcdef"), true);
  assert.equal(list.revokes("1002"), false);
  assert.equal(RevocationList.parse(derOf(pem)).revokes("abcdef"), true);
  assert.equal(RevocationList.parse(fs.readFileSync(pki.emptyCrl)).size, 0);
});

test("RevocationList refuses what is not a CRL", async (t) => {
  const pki = await makeTestPki(tempDir(t));
  assert.throws(() => RevocationList.parse(Buffer.from("garbage")), { message: "asn1: not a PEM or DER CRL" });
  assert.throws(() => RevocationList.parse(Buffer.from(derOf(fs.readFileSync(pki.crl)).toString("base64"))), { message: "asn1: not a PEM or DER CRL" });
  assert.throws(() => RevocationList.parse(fs.readFileSync(pki.caCert)), { message: "pem: no X509 CRL block" });
  assert.throws(() => RevocationList.parse(derOf(fs.readFileSync(pki.caCert))), "a DER certificate is not a CRL");
  const der = derOf(fs.readFileSync(pki.crl));
  assert.throws(() => RevocationList.parse(der.subarray(0, der.length - 5)), "truncated");
});

test("RevocationList finds the CRL block among other PEM blocks", async (t) => {
  const pki = await makeTestPki(tempDir(t));
  const bundle = Buffer.concat([fs.readFileSync(pki.caCert), fs.readFileSync(pki.crl)]);
  assert.equal(RevocationList.parse(bundle).revokes("abcdef"), true);
});
