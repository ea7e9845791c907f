import { test } from "node:test";
import assert from "node:assert/strict";
import { canonicalIp, parseSubjectAltName, sanMatchesHost } from "./san.js";

test("canonicalIp spells each address one way", () => {
  assert.equal(canonicalIp("127.0.0.1"), "127.0.0.1");
  assert.equal(canonicalIp("::ffff:127.0.0.1"), "127.0.0.1");
  assert.equal(canonicalIp("0:0:0:0:0:ffff:7f00:1"), "127.0.0.1");
  assert.equal(canonicalIp("::1"), "0:0:0:0:0:0:0:1");
  assert.equal(canonicalIp("[2001:DB8::0001]"), "2001:db8:0:0:0:0:0:1");
  assert.equal(canonicalIp("fe80::1%eth0"), "fe80:0:0:0:0:0:0:1");
  assert.equal(canonicalIp("localhost"), undefined);
});

test("parseSubjectAltName reads Node's text and host names match as in Go", () => {
  const san = parseSubjectAltName('DNS:localhost, DNS:*.etcd.local, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1, DNS:"a,b"');
  assert.deepEqual(san.dnsNames, ["localhost", "*.etcd.local", "a,b"]);
  assert.deepEqual(san.ipAddresses, ["127.0.0.1", "0:0:0:0:0:0:0:1"]);
  assert.equal(sanMatchesHost(san, "LOCALHOST"), true);
  assert.equal(sanMatchesHost(san, "m1.etcd.local"), true);
  assert.equal(sanMatchesHost(san, "a.m1.etcd.local"), false, "a wildcard covers one label");
  assert.equal(sanMatchesHost(san, "etcd.local"), false);
  assert.equal(sanMatchesHost(san, "::1"), true);
  assert.equal(sanMatchesHost(san, "10.0.0.1"), false);
  assert.deepEqual(parseSubjectAltName(undefined), { dnsNames: [], ipAddresses: [] });
});
