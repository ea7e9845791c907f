import { test } from "node:test";
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { nullLogger } from "../../pkg/logger.js";
import { isEtcdError } from "../../pkg/errors.js";
import { createAuthRequests } from "./requests.js";
import { AuthRig, CountingHasher, proposedHash, TEST_HEADER } from "./test-support.js";

const b = (s: string): Buffer => Buffer.from(s);

/** An ES256 key pair in PEM files, as --auth-token jwt,pub-key=…,priv-key=… names them. */
function keyFiles(dir: string): Record<string, string> {
  const { publicKey, privateKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const pub = join(dir, "jwt.pub");
  const priv = join(dir, "jwt.key");
  writeFileSync(pub, publicKey.export({ type: "spki", format: "pem" }));
  writeFileSync(priv, privateKey.export({ type: "pkcs8", format: "pem" }));
  return { "sign-method": "ES256", "pub-key": pub, "priv-key": priv, ttl: "5m" };
}

test("JWT: the answering member signs after the login entry is applied; the token carries the revision and expires on the wall clock", async () => {
  const dir = mkdtempSync(join(tmpdir(), "server-auth-jwt-"));
  const hasher = new CountingHasher();
  try {
    const rig = new AuthRig({ jwt: keyFiles(dir) });
    rig.must({ authUserAdd: { name: "root", password: "", hashedPassword: proposedHash("rootpw"), options: undefined } });
    rig.must({ authUserGrantRole: { user: "root", role: "root" } });
    rig.must({ authEnable: {} });
    const api = createAuthRequests({ gate: rig.gate, store: rig.store, tokens: rig.tokens, hasher, proposer: rig.proposer, reads: { barrier: () => Promise.resolve() }, header: TEST_HEADER, clock: rig.clock, logger: nullLogger });

    const { token } = await api.authenticate({ name: "root", password: "rootpw" });
    assert.equal(token.split(".").length, 3, "a JWT");
    const creds = { token, commonName: undefined };
    assert.deepEqual(rig.gate.identify(creds, undefined), { username: "root", revision: rig.store.revision });
    assert.deepEqual((await api.userList({}, undefined, creds)).users, ["root"]);

    // A change of the auth store makes the token's revision old for key checks (root's admin check has none, as in etcd).
    rig.must({ authRoleAdd: { name: "later" } }, rig.as("root"));
    const stale = rig.gate.identify(creds, undefined) as { revision: bigint };
    assert.ok(stale.revision < rig.store.revision);
    assert.throws(() => rig.gate.checkRange(stale as never, b("k"), Buffer.alloc(0)), (err) => isEtcdError(err, "AuthOldRevision"));

    assert.throws(() => rig.gate.identify({ token: `${token}x`, commonName: undefined }, undefined), (err) => isEtcdError(err, "InvalidAuthToken"));
    rig.clock.advance(5 * 60_000 + 1000);
    assert.throws(() => rig.gate.identify(creds, undefined), (err) => isEtcdError(err, "InvalidAuthToken"), "expired");
  } finally {
    await hasher.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
