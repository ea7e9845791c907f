import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import { tempDir } from "../pkg/test-support.js";
import { RevocationList, pemBody } from "./crl.js";
import { makeTestPki } from "./test-support.js";

test("RevocationList reads the revoked serials of a PEM or DER CRL", (t) => {
  const pki = makeTestPki(tempDir(t));
  const pem = fs.readFileSync(pki.crl);
  const list = RevocationList.parse(pem);
  assert.equal(list.size, 1);
  assert.equal(list.revokes("ABCDEF"), true);
  assert.equal(list.revokes("0abcdef"), true);
  assert.equal(list.revokes("1002"), false);
  assert.equal(RevocationList.parse(pemBody(pem, "X509 CRL")!).revokes("abcdef"), true);
  assert.equal(RevocationList.parse(fs.readFileSync(pki.emptyCrl)).size, 0);
});

test("RevocationList refuses what is not a CRL", (t) => {
  const pki = makeTestPki(tempDir(t));
  assert.throws(() => RevocationList.parse(Buffer.from("garbage")));
  assert.throws(() => RevocationList.parse(fs.readFileSync(pki.caCert)), "a certificate is not a CRL");
  const der = pemBody(fs.readFileSync(pki.crl), "X509 CRL")!;
  assert.throws(() => RevocationList.parse(der.subarray(0, der.length - 5)), "truncated");
});
