import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import { join } from "node:path";
import type { Logger } from "../pkg/logger.js";
import { tempDir } from "../pkg/test-support.js";
import { TlsMaterial } from "./material.js";
import { files, issue, makeTestPki } from "./test-support.js";
import { DEFAULT_TLS_POLICY, TlsConfigError, type TlsFiles } from "./types.js";

/** A logger that keeps its warnings. */
function recordingLogger(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  const logger: Logger & { warnings: string[] } = {
    warnings,
    debug() {},
    info() {},
    warn(_fields, msg) {
      warnings.push(msg);
    },
    error() {},
    child: () => logger,
  };
  return logger;
}

function load(f: TlsFiles, extra: { now?: () => number; recheckMs?: number; logger?: Logger } = {}): TlsMaterial {
  return TlsMaterial.load({ files: f, policy: DEFAULT_TLS_POLICY, logger: extra.logger ?? recordingLogger(), ...extra });
}

function refusal(fn: () => unknown): TlsConfigError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof TlsConfigError, `expected a TlsConfigError, got ${String(err)}`);
    return err;
  }
  assert.fail("expected the material to be refused");
}

test("TlsMaterial loads a certificate, its key, a CA and a CRL", async (t) => {
  const pki = await makeTestPki(tempDir(t));
  const material = load(files({ certFile: pki.server.cert, keyFile: pki.server.key, trustedCaFile: pki.caCert, crlFile: pki.crl }));
  assert.equal(material.hasCertificate, true);
  assert.equal(material.hasTrustedCa, true);
  assert.ok(material.context());
  assert.equal(material.revokes("ABCDEF"), true, "the CRL's serial, in X509Certificate's spelling");
  assert.equal(material.revokes("00abcdef"), true);
  assert.equal(material.revokes("1001"), false);
  const caOnly = load(files({ trustedCaFile: pki.caCert }));
  assert.equal(caOnly.hasCertificate, false);
  assert.equal(load(files({})).hasTrustedCa, false);
});

test("TlsMaterial refuses bad files with the flag and the file named", async (t) => {
  const dir = tempDir(t);
  const pki = await makeTestPki(dir);
  const missing = join(dir, "missing.pem");
  const garbage = join(dir, "garbage.pem");
  fs.writeFileSync(garbage, "not a pem file\n");

  let err = refusal(() => load(files({ certFile: missing, keyFile: pki.server.key })));
  assert.equal(err.flag, "--cert-file");
  assert.equal(err.file, missing);
  assert.equal(err.message, `--cert-file: open ${missing}: no such file or directory`);

  err = refusal(() => load(files({ certFile: pki.server.cert, keyFile: missing })));
  assert.equal(err.message, `--key-file: open ${missing}: no such file or directory`);

  err = refusal(() => load(files({ certFile: pki.server.cert, keyFile: pki.client.key })));
  assert.equal(err.flag, "--key-file");
  assert.match(err.message, /^--key-file .*client\.key: tls: private key does not match public key of --cert-file .*server\.pem$/);

  err = refusal(() => load(files({ certFile: garbage, keyFile: pki.server.key })));
  assert.equal(err.message, `--cert-file ${garbage}: tls: failed to find any PEM data in certificate input`);

  err = refusal(() => load(files({ certFile: pki.server.cert, keyFile: garbage })));
  assert.match(err.message, /^--key-file .*garbage\.pem: tls: failed to parse private key/);

  err = refusal(() => load(files({ certFile: pki.server.cert, keyFile: pki.server.key, trustedCaFile: missing })));
  assert.equal(err.flag, "--trusted-ca-file");

  err = refusal(() => load(files({ certFile: pki.server.cert, keyFile: pki.server.key, trustedCaFile: garbage })));
  assert.equal(err.flag, "--trusted-ca-file");

  err = refusal(() => load(files({ certFile: pki.server.cert, keyFile: pki.server.key, crlFile: garbage })));
  assert.equal(err.flag, "--client-crl-file");
  assert.match(err.message, /x509: failed to parse CRL/);

  err = refusal(() => load(files({ certFile: pki.server.cert })));
  assert.equal(err.flag, "--key-file");
  assert.match(err.message, /^--key-file must be given with --cert-file /);

  err = refusal(() => load(files({ certFile: dir, keyFile: pki.server.key })));
  assert.equal(err.message, `--cert-file: read ${dir}: is a directory`);
});

test("TlsMaterial refuses an expired or not yet valid certificate", async (t) => {
  const pki = await makeTestPki(tempDir(t));
  const f = files({ certFile: pki.server.cert, keyFile: pki.server.key });
  const day = 86_400_000;
  let err = refusal(() => load(f, { now: () => Date.now() + 60 * day }));
  assert.equal(err.flag, "--cert-file");
  assert.match(err.message, /x509: certificate has expired or is not yet valid: current time \S+ is after \S+$/);
  err = refusal(() => load(f, { now: () => Date.now() - day }));
  assert.match(err.message, /is before/);
});

test("TlsMaterial loads a certificate the CA did not issue, with a warning (etcd does not check)", async (t) => {
  const pki = await makeTestPki(tempDir(t));
  const logger = recordingLogger();
  load(files({ certFile: pki.strangerClient.cert, keyFile: pki.strangerClient.key, trustedCaFile: pki.caCert }), { logger });
  assert.equal(logger.warnings.length, 1);
  const quiet = recordingLogger();
  load(files({ certFile: pki.server.cert, keyFile: pki.server.key, trustedCaFile: pki.caCert }), { logger: quiet });
  assert.deepEqual(quiet.warnings, []);
});

test("TlsMaterial reloads changed files, keeps the old set while the new one is broken, and warns once per change", async (t) => {
  const dir = tempDir(t);
  const pki = await makeTestPki(dir);
  const live = { cert: join(dir, "live.pem"), key: join(dir, "live.key"), crl: join(dir, "live-crl.pem") };
  fs.copyFileSync(pki.server.cert, live.cert);
  fs.copyFileSync(pki.server.key, live.key);
  fs.copyFileSync(pki.emptyCrl, live.crl);
  const logger = recordingLogger();
  const material = load(files({ certFile: live.cert, keyFile: live.key, crlFile: live.crl }), { logger });
  const first = material.context();
  assert.equal(material.context(), first, "unchanged files: the same context");
  assert.equal(material.revokes("abcdef"), false);

  // Half a rotation: the new certificate is there, its key is not yet.
  const next = await issue(dir, "next", { cn: "next", san: "IP:127.0.0.1", ca: "ca" });
  fs.copyFileSync(next.cert, live.cert);
  assert.equal(material.context(), first, "a broken set keeps the old context");
  assert.equal(material.context(), first);
  assert.equal(logger.warnings.length, 1, "one warning for one change");

  fs.copyFileSync(next.key, live.key);
  const second = material.context();
  assert.notEqual(second, first, "the completed rotation gives a new context");
  assert.equal(logger.warnings.length, 1);

  fs.copyFileSync(pki.crl, live.crl);
  material.context();
  assert.equal(material.revokes("abcdef"), true, "a replaced CRL is read again");

  fs.rmSync(live.cert);
  assert.notEqual(material.context(), undefined, "a deleted file keeps the last good set");
  assert.equal(logger.warnings.length, 2);
});

test("TlsMaterial looks at the files at most every recheckMs", async (t) => {
  const dir = tempDir(t);
  const pki = await makeTestPki(dir);
  const live = { cert: join(dir, "live.pem"), key: join(dir, "live.key") };
  fs.copyFileSync(pki.server.cert, live.cert);
  fs.copyFileSync(pki.server.key, live.key);
  let now = Date.now();
  const material = load(files({ certFile: live.cert, keyFile: live.key }), { now: () => now, recheckMs: 1000 });
  const first = material.context();
  fs.copyFileSync(pki.client.cert, live.cert);
  fs.copyFileSync(pki.client.key, live.key);
  now += 999;
  assert.equal(material.context(), first, "not yet looked at");
  now += 1;
  assert.notEqual(material.context(), first);
});
