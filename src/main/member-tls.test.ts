import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseEtcdConfig, type EtcdConfig } from "../cli/etcd/index.js";
import { nullLogger, type Logger } from "../pkg/logger.js";
import { TlsConfigError } from "../tls/index.js";
import { makeTestPki, type TestPki } from "../tls/test-support.js";
import { memberTls, plainUrlWarnings } from "./member-tls.js";

let dir: string;
let pki: TestPki;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), "member-tls-"));
  pki = await makeTestPki(dir);
});
after(() => rmSync(dir, { recursive: true, force: true }));

function config(flags: readonly string[]): EtcdConfig {
  const outcome = parseEtcdConfig([`--data-dir=${join(dir, "data")}`, ...flags], {}, () => "", { runtime: { nodeVersion: "v20.0.0", platform: "linux", arch: "x64" } });
  assert.equal(outcome.kind, "run", JSON.stringify(outcome));
  if (outcome.kind !== "run") throw new Error("unreachable");
  return outcome.config;
}

const serverPair = (): string[] => [`--cert-file=${pki.server.cert}`, `--key-file=${pki.server.key}`];
const peerPair = (): string[] => [`--peer-cert-file=${pki.server.cert}`, `--peer-key-file=${pki.server.key}`];

function warnings(into: string[]): Logger {
  const logger: Logger = { debug() {}, info() {}, warn: (_fields, msg) => into.push(msg), error() {}, child: () => logger };
  return logger;
}

describe("memberTls: the member's TLS from etcd's flags", () => {
  it("without TLS flags everything is plain", async () => {
    const tls = await memberTls(config([]), nullLogger);
    assert.equal(tls.clientServer, undefined);
    assert.equal(tls.clientDial, undefined);
    assert.equal(tls.peer, undefined);
  });

  it("--trusted-ca-file alone requires client certificates, as etcd's transport does", async () => {
    const tls = await memberTls(config([...serverPair(), `--trusted-ca-file=${pki.caCert}`]), nullLogger);
    assert.equal(tls.clientServer?.clientCertAuth, true);
    assert.equal(tls.clientServer?.material.hasTrustedCa, true);
    assert.equal(tls.clientDial?.material.hasCertificate, true, "the member's own clients present the server pair");
    assert.equal(tls.clientDial?.insecureSkipVerify, false);
  });

  it("--client-cert-auth without a CA asks for certificates; --client-cert-allowed-hostname is passed on", async () => {
    const tls = await memberTls(config([...serverPair(), "--client-cert-auth", "--client-cert-allowed-hostname=host.example"]), nullLogger);
    assert.equal(tls.clientServer?.clientCertAuth, true);
    assert.deepEqual(tls.clientServer?.allowedHostnames, ["host.example"]);
  });

  it("a missing file stops the start with an error naming flag and file", async () => {
    const missing = join(dir, "missing.pem");
    await assert.rejects(memberTls(config([`--cert-file=${missing}`, `--key-file=${pki.server.key}`]), nullLogger), (err: unknown) => {
      assert.ok(err instanceof TlsConfigError);
      assert.equal(err.flag, "--cert-file");
      assert.match(err.message, /--cert-file.*missing\.pem/);
      return true;
    });
  });

  it("the member's own clients present --client-cert-file / --client-key-file when given (errors name those flags)", async () => {
    const missing = join(dir, "missing-client.pem");
    await assert.rejects(memberTls(config([...serverPair(), `--client-cert-file=${missing}`, `--client-key-file=${pki.client.key}`]), nullLogger), (err: unknown) => {
      assert.ok(err instanceof TlsConfigError);
      assert.equal(err.flag, "--client-cert-file");
      return true;
    });
  });

  it("peer TLS: client-cert auth with the SAN check unless skipped, allowed CNs, the peer pair for dialing", async () => {
    const checked = await memberTls(config([...peerPair(), `--peer-trusted-ca-file=${pki.caCert}`, "--peer-client-cert-auth", "--peer-cert-allowed-cn=member"]), nullLogger);
    assert.equal(checked.peer?.server.clientCertAuth, true);
    assert.equal(checked.peer?.server.verifyClientSan, true);
    assert.deepEqual(checked.peer?.server.allowedCommonNames, ["member"]);
    assert.equal(checked.peer?.client.material.hasCertificate, true);
    assert.equal(checked.clientServer, undefined, "peer flags leave the client port plain");
    const skipped = await memberTls(config([...peerPair(), `--peer-trusted-ca-file=${pki.caCert}`, "--peer-client-cert-auth", "--peer-skip-client-san-verification"]), nullLogger);
    assert.equal(skipped.peer?.server.verifyClientSan, false);
  });

  it("warns, as etcd, that TLS files and client-cert auth do not apply to http:// URLs", () => {
    const seen: string[] = [];
    plainUrlWarnings(config([...serverPair(), "--client-cert-auth"]), warnings(seen));
    assert.deepEqual(seen, [
      "scheme is HTTP while key and cert files are present; ignoring key and cert files",
      "scheme is HTTP while --client-cert-auth is enabled; ignoring client cert auth for this URL",
    ]);
  });
});
