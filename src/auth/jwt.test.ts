import { test } from "node:test";
import assert from "node:assert/strict";
import { constants, createHmac, generateKeyPairSync, sign as cryptoSign } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "../pkg/test-support.js";
import { AuthConfigError } from "./auth-config-error.js";
import { JwtTokens, type JwtOptions } from "./jwt.js";

const NOW = 1_700_000_000_000;

/** A self-signed P-256 certificate and its key (made once with openssl; a fixture, not a secret). */
const CERT_PEM = `-----BEGIN CERTIFICATE-----
MIIBfDCCASOgAwIBAgIUZqCfF9XDfP6AkAXHrmeddx9QNhMwCgYIKoZIzj0EAwIw
EzERMA8GA1UEAwwIand0LXRlc3QwIBcNMjYxMjA3MjE1NzIwWhgPMjEyNjExMTMy
MTU3MjBaMBMxETAPBgNVBAMMCGp3dC10ZXN0MFkwEwYHKoZIzj0CAQYIKoZIzj0D
AQcDQgAEMRRWMVFiSUU1/CWUKx20pvBXTQdrORXKa2G6tMOkw1baD85nvYj6oHCr
e79tUIxd68vTBJeNDNcDeyZtMD3OqaNTMFEwHQYDVR0OBBYEFGeGCBuO64tklto0
HS04HuAnkURSMB8GA1UdIwQYMBaAFGeGCBuO64tklto0HS04HuAnkURSMA8GA1Ud
EwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDRwAwRAIgSOK71zpBh0qoXuWxtWmCxjJ0
88uAzDaMU04KRDYYe80CIG5Tul4YwCv3weeg0aVbZZ63FrRlKAZG3WPVkSxTND7p
-----END CERTIFICATE-----
`;
const CERT_KEY_PEM = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgDvDqL8p39/LscHv4
FhJop5IrY/Dx2yeLuu3bqjrJCymhRANCAAQxFFYxUWJJRTX8JZQrHbSm8FdNB2s5
FcprYbq0w6TDVtoPzme9iPqgcKt7v21QjF3ry9MEl40M1wN7Jm0wPc6p
-----END PRIVATE KEY-----
`;

interface KeyFiles {
  priv: string;
  pub: string;
}

type TestContext = { after(fn: () => void): void };

function write(dir: string, name: string, content: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

function rsaFiles(dir: string, tag = "rsa", privType: "pkcs1" | "pkcs8" = "pkcs8"): KeyFiles {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  return {
    priv: write(dir, `${tag}.key`, privateKey.export({ format: "pem", type: privType })),
    pub: write(dir, `${tag}.pub`, publicKey.export({ format: "pem", type: "spki" })),
  };
}

function ecFiles(dir: string, curve: string, tag = curve, privType: "sec1" | "pkcs8" = "sec1"): KeyFiles {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: curve });
  return {
    priv: write(dir, `${tag}.key`, privateKey.export({ format: "pem", type: privType })),
    pub: write(dir, `${tag}.pub`, publicKey.export({ format: "pem", type: "spki" })),
  };
}

function configError(options: JwtOptions, message: string | RegExp, detail?: string | RegExp): void {
  assert.throws(
    () => JwtTokens.fromOptions(options),
    (err: unknown) => {
      assert.ok(err instanceof AuthConfigError, `AuthConfigError, got ${String(err)}`);
      if (typeof message === "string") assert.equal(err.message, message);
      else assert.match(err.message, message);
      if (detail !== undefined) {
        if (typeof detail === "string") assert.equal(err.detail, detail);
        else assert.match(err.detail ?? "", detail);
      }
      return true;
    },
  );
}

function segments(token: string): { header: unknown; claims: unknown; signature: Buffer } {
  const [h, c, s] = token.split(".");
  return { header: JSON.parse(Buffer.from(h!, "base64url").toString()), claims: JSON.parse(Buffer.from(c!, "base64url").toString()), signature: Buffer.from(s!, "base64url") };
}

/** A token with the given header and claims, signed by `signer` over "<header>.<claims>". */
function craft(header: object, claims: object, signer: (input: Buffer) => Buffer): string {
  const input = `${Buffer.from(JSON.stringify(header)).toString("base64url")}.${Buffer.from(JSON.stringify(claims)).toString("base64url")}`;
  return `${input}.${signer(Buffer.from(input)).toString("base64url")}`;
}

test("every method signs tokens laid out as golang-jwt lays them out, and verifies them", (t: TestContext) => {
  const dir = tempDir(t);
  const rsa = rsaFiles(dir);
  const keys: Record<string, KeyFiles> = {
    RS: rsa,
    PS: rsa,
    ES256: ecFiles(dir, "prime256v1"),
    ES384: ecFiles(dir, "secp384r1"),
    ES512: ecFiles(dir, "secp521r1"),
    HS: { priv: write(dir, "secret", "a shared secret"), pub: "" },
  };
  for (const alg of ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "HS256", "HS384", "HS512"]) {
    const files = keys[alg] ?? keys[alg.slice(0, 2)]!;
    const jwt = JwtTokens.fromOptions({ "sign-method": alg, "priv-key": files.priv, "pub-key": files.pub });
    const token = jwt.sign("alice", 42n, NOW);
    assert.match(token, /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/, alg);
    const raw = token.split(".");
    assert.equal(Buffer.from(raw[0]!, "base64url").toString(), `{"alg":"${alg}","typ":"JWT"}`);
    assert.equal(Buffer.from(raw[1]!, "base64url").toString(), `{"exp":${NOW / 1000 + 300},"revision":42,"username":"alice"}`);
    if (alg.startsWith("ES")) assert.equal(segments(token).signature.length, { ES256: 64, ES384: 96, ES512: 132 }[alg], "raw R||S");
    assert.deepEqual(jwt.verify(token, NOW), { username: "alice", revision: 42n }, alg);
  }
});

test("HS tokens are HMACs keyed by the private key file's bytes", (t: TestContext) => {
  const dir = tempDir(t);
  const secret = write(dir, "secret", "k3y\n");
  const jwt = JwtTokens.fromOptions({ "sign-method": "HS256", "priv-key": secret });
  const token = craft({ alg: "HS256", typ: "JWT" }, { username: "u", revision: 3, exp: NOW / 1000 + 10 }, (input) => createHmac("sha256", "k3y\n").update(input).digest());
  assert.deepEqual(jwt.verify(token, NOW), { username: "u", revision: 3n });
});

test("PS tokens signed with another salt length still verify (auto salt length)", (t: TestContext) => {
  const dir = tempDir(t);
  const files = rsaFiles(dir);
  const jwt = JwtTokens.fromOptions({ "sign-method": "PS256", "priv-key": files.priv });
  const pem = readFileSync(files.priv);
  const token = craft({ alg: "PS256", typ: "JWT" }, { username: "u", revision: 1, exp: NOW / 1000 + 10 }, (input) =>
    cryptoSign("sha256", input, { key: pem, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 0 }),
  );
  assert.deepEqual(jwt.verify(token, NOW), { username: "u", revision: 1n });
});

test("verify refuses another method, a bad signature, an expired token and malformed ones, and never throws", (t: TestContext) => {
  const dir = tempDir(t);
  const files = rsaFiles(dir);
  const other = rsaFiles(dir, "other");
  const jwt = JwtTokens.fromOptions({ "sign-method": "RS256", "priv-key": files.priv, "pub-key": files.pub });
  const token = jwt.sign("alice", 7n, NOW);
  const exp = NOW + 300_000;
  assert.deepEqual(jwt.verify(token, exp - 1001), { username: "alice", revision: 7n });
  assert.deepEqual(jwt.verify(token, exp - 1), { username: "alice", revision: 7n }, "golang-jwt compares whole seconds");
  assert.equal(jwt.verify(token, exp), undefined, "exp ≤ now is expired");
  assert.equal(JwtTokens.fromOptions({ "sign-method": "RS384", "priv-key": files.priv }).verify(token, NOW), undefined, "another alg");
  assert.equal(JwtTokens.fromOptions({ "sign-method": "RS256", "priv-key": other.priv }).verify(token, NOW), undefined, "another key");
  const [h, c, s] = token.split(".") as [string, string, string];
  const tamperedClaims = Buffer.from(`{"exp":${exp / 1000},"revision":7,"username":"root"}`).toString("base64url");
  const pem = readFileSync(files.priv);
  const rs256 = (input: Buffer): Buffer => cryptoSign("sha256", input, pem);
  const future = NOW / 1000 + 60;
  for (const bad of [
    "",
    "a.b",
    "a.b.c.d",
    `${h}.${tamperedClaims}.${s}`,
    `${h}.${c}.${s.slice(0, -4)}`,
    `${h}.${c}.${s}=`,
    `${h}.${c}+.${s}`,
    `${Buffer.from('{"alg":"none","typ":"JWT"}').toString("base64url")}.${c}.`,
    craft({ alg: "RS256" }, { username: "u", revision: 1 }, rs256),
    craft({ alg: "RS256" }, { username: "u", revision: 1, exp: String(future) }, rs256),
    craft({ alg: "RS256" }, { revision: 1, exp: future }, rs256),
    craft({ alg: "RS256" }, { username: 5, revision: 1, exp: future }, rs256),
    craft({ alg: "RS256" }, { username: "u", revision: "1", exp: future }, rs256),
    craft({ alg: "RS256" }, { username: "u", exp: future }, rs256),
    craft({ alg: "RS256" }, { username: "u", revision: 1, exp: future, nbf: future - 1 }, rs256),
    craft({ alg: "RS256" }, { username: "u", revision: 1, exp: future, iat: future - 1 }, rs256),
    craft({ alg: "RS256" }, { username: "u", revision: 1, exp: future, iat: "yesterday" }, rs256),
    craft({ alg: "RS256" }, [1, 2], rs256),
  ]) {
    assert.equal(jwt.verify(bad, NOW), undefined, bad);
  }
  assert.deepEqual(jwt.verify(craft({ alg: "RS256" }, { username: "u", revision: 1, exp: future, iat: NOW / 1000, nbf: NOW / 1000 }, rs256), NOW), { username: "u", revision: 1n });
});

test("only the public key: verify-only", (t: TestContext) => {
  const dir = tempDir(t);
  const files = ecFiles(dir, "prime256v1");
  const signer = JwtTokens.fromOptions({ "sign-method": "ES256", "priv-key": files.priv });
  const verifier = JwtTokens.fromOptions({ "sign-method": "ES256", "pub-key": files.pub });
  assert.equal(verifier.canSign, false);
  assert.throws(() => verifier.sign("u", 1n, NOW), { message: "auth: token signing attempted with verify-only key" });
  assert.deepEqual(verifier.verify(signer.sign("u", 1n, NOW), NOW), { username: "u", revision: 1n });
});

test("keys in every accepted form: PKCS#1 and PKCS#8 RSA, SEC1 and PKCS#8 EC, a certificate's public key, text before the PEM block", (t: TestContext) => {
  const dir = tempDir(t);
  const pkcs1 = rsaFiles(dir, "p1", "pkcs1");
  const ecPkcs8 = ecFiles(dir, "prime256v1", "ec8", "pkcs8");
  assert.equal(JwtTokens.fromOptions({ "sign-method": "RS256", "priv-key": pkcs1.priv, "pub-key": pkcs1.pub }).canSign, true);
  assert.equal(JwtTokens.fromOptions({ "sign-method": "ES256", "priv-key": ecPkcs8.priv, "pub-key": ecPkcs8.pub }).canSign, true);
  const withPreamble = write(dir, "preamble.key", "Bag Attributes\n  friendlyName: x\n" + readFileSync(pkcs1.priv, "latin1"));
  assert.equal(JwtTokens.fromOptions({ "sign-method": "RS256", "priv-key": withPreamble }).canSign, true);
  const certFile = write(dir, "cert.pem", CERT_PEM);
  const keyFile = write(dir, "cert.key", CERT_KEY_PEM);
  const fromCert = JwtTokens.fromOptions({ "sign-method": "ES256", "pub-key": certFile });
  const signer = JwtTokens.fromOptions({ "sign-method": "ES256", "priv-key": keyFile, "pub-key": certFile });
  assert.deepEqual(fromCert.verify(signer.sign("u", 2n, NOW), NOW), { username: "u", revision: 2n });
});

test("configuration errors carry etcd's messages", (t: TestContext) => {
  const dir = tempDir(t);
  const rsa = rsaFiles(dir);
  const other = rsaFiles(dir, "other");
  const ec = ecFiles(dir, "prime256v1");
  const invalid = "auth: invalid auth options";
  configError({ "sign-method": "RS256", "priv-key": rsa.priv, ttl: "10x" }, invalid, 'time: unknown unit "x" in duration "10x"');
  configError({ "sign-method": "RS256", "priv-key": rsa.priv, ttl: "10" }, invalid, 'time: missing unit in duration "10"');
  configError({ "sign-method": "RS999", "priv-key": rsa.priv }, invalid, "auth: invalid auth signature method");
  configError({ "priv-key": rsa.priv }, invalid, "auth: invalid auth signature method");
  configError({ "sign-method": "RS256", "priv-key": join(dir, "nope") }, invalid, `open ${join(dir, "nope")}: no such file or directory`);
  configError({ "sign-method": "RS256" }, "auth: missing key data");
  configError({ "sign-method": "HS256", "pub-key": rsa.pub }, "auth: missing key data");
  configError({ "sign-method": "RS256", "priv-key": rsa.priv, "pub-key": other.pub }, "auth: public and private keys don't match");
  configError({ "sign-method": "ES256", "priv-key": rsa.priv }, "key is not a valid ECDSA private key", undefined);
  configError({ "sign-method": "RS256", "priv-key": ec.priv }, /^x509: failed to parse key: /);
  configError({ "sign-method": "RS256", "pub-key": ec.pub }, "key is not a valid RSA public key");
  configError({ "sign-method": "ES256", "pub-key": rsa.pub }, "key is not a valid ECDSA public key");
  configError({ "sign-method": "RS256", "priv-key": write(dir, "garbage", "not a key") }, "invalid key: Key must be a PEM encoded PKCS1 or PKCS8 key");
});

test("ttl is a Go duration; unknown options are reported, not fatal", (t: TestContext) => {
  const dir = tempDir(t);
  const secret = write(dir, "secret", "s");
  assert.equal(JwtTokens.fromOptions({ "sign-method": "HS256", "priv-key": secret }).ttlMs, 300_000);
  assert.equal(JwtTokens.fromOptions({ "sign-method": "HS256", "priv-key": secret, ttl: "1h30m" }).ttlMs, 5_400_000);
  assert.equal(JwtTokens.fromOptions({ "sign-method": "HS256", "priv-key": secret, ttl: "300ms" }).ttlMs, 300);
  assert.equal(JwtTokens.fromOptions({ "sign-method": "HS256", "priv-key": secret, ttl: "1.5s" }).ttlMs, 1500);
  const jwt = JwtTokens.fromOptions({ "sign-method": "HS256", "priv-key": secret, ttl: "10s", foo: "bar" });
  assert.deepEqual(jwt.ignoredOptions, ["foo"]);
  assert.equal((segments(jwt.sign("u", 1n, NOW + 999)).claims as { exp: number }).exp, NOW / 1000 + 10, "exp in whole seconds, rounded down");
});
