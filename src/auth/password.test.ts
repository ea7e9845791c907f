import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "../pkg/test-support.js";
import { createPasswordHasher, hashPasswordSync } from "./password.js";

// Made by Debian's golang.org/x/crypto/bcrypt (GenerateFromPassword, cost 4), the library etcd 3.4 hashes with.
const GO_HASHES = {
  pw: "$2a$04$NbQbPCv6GbMjpxX17MdrNext4zyRMSQGcolc1IJx76ZnQl2D7qXZO",
  /** 76 bytes: Go uses only the first 72. */
  long: "$2a$04$BM38mlbOtD8ay9XSp659yOJ29KvKcPjP4kPvEp.AkTUfLLDBbMKAW",
  /** "é" × 40: 80 UTF-8 bytes. */
  accents: "$2a$04$21N3xUNVPY7krikJD97oa.SIB8nM/Dw3qr6ApJl6fV4cdfidYCtNW",
};
const LONG = "x".repeat(72) + "tail";
/** Go's own test vector (bcrypt_test.go, TestBcryptingIsCorrect). */
const GO_VECTOR = { password: "allmine", hash: "$2a$10$XajjQvNhvvRt5GSeFk1xFeyqRrsxkhBkUiQeg0dt.wU1qD4aFDcga" };

test("hashes look like Go's: $2a$, two-digit cost, 53 characters of salt and hash", async () => {
  const hasher = createPasswordHasher({ cost: 4, threads: 1 });
  try {
    const hash = await hasher.hash("secret");
    assert.match(hash, /^\$2a\$04\$[./A-Za-z0-9]{53}$/);
    assert.equal(await hasher.verify("secret", hash), true);
    assert.equal(await hasher.verify("Secret", hash), false);
    assert.notEqual(await hasher.hash("secret"), hash, "a fresh salt each time");
  } finally {
    await hasher.close();
  }
  assert.match(hashPasswordSync("secret", 5), /^\$2a\$05\$[./A-Za-z0-9]{53}$/);
  assert.match(hashPasswordSync("secret", 3), /^\$2a\$10\$/, "outside 4..31, etcd's store uses the default cost");
  assert.match(hashPasswordSync("secret", 32), /^\$2a\$10\$/);
});

test("hashes made by Go's bcrypt verify here, with Go's handling of passwords past 72 bytes", async () => {
  const hasher = createPasswordHasher({ cost: 4, threads: 1 });
  try {
    assert.equal(await hasher.verify("pw", GO_HASHES.pw), true);
    assert.equal(await hasher.verify("pW", GO_HASHES.pw), false);
    assert.equal(await hasher.verify(GO_VECTOR.password, GO_VECTOR.hash), true);
    assert.equal(await hasher.verify(LONG, GO_HASHES.long), true);
    assert.equal(await hasher.verify(LONG.slice(0, 72), GO_HASHES.long), true, "bytes after the 72nd do not count");
    assert.equal(await hasher.verify(LONG.slice(0, 71), GO_HASHES.long), false);
    assert.equal(await hasher.verify("é".repeat(40), GO_HASHES.accents), true);
    assert.equal(await hasher.verify("é".repeat(36), GO_HASHES.accents), true, "72 bytes of UTF-8");
    assert.equal(await hasher.verify("é".repeat(35), GO_HASHES.accents), false);
  } finally {
    await hasher.close();
  }
});

test("$2b$ and $2y$ hashes verify; malformed ones are a mismatch, not an error", async () => {
  const hasher = createPasswordHasher({ cost: 4, threads: 1 });
  try {
    assert.equal(await hasher.verify("pw", GO_HASHES.pw.replace("$2a$", "$2b$")), true);
    assert.equal(await hasher.verify("pw", GO_HASHES.pw.replace("$2a$", "$2y$")), true);
    for (const bad of ["", "pw", "$2a$04$short", GO_HASHES.pw.replace("$2a$", "$2x$"), GO_HASHES.pw.replace("$04$", "$03$"), GO_HASHES.pw.replace("$04$", "$32$"), GO_HASHES.pw + "x", GO_HASHES.pw.slice(0, -1) + "!"]) {
      assert.equal(await hasher.verify("pw", bad), false, bad);
    }
  } finally {
    await hasher.close();
  }
});

test("a hasher starts no thread until used, and refuses work after close", async () => {
  const hasher = createPasswordHasher({ cost: 4 });
  await hasher.close();
  await assert.rejects(hasher.hash("x"), /closed/);
});

test("the event loop keeps turning while several high-cost hashes run", async () => {
  const hasher = createPasswordHasher({ cost: 12, threads: 2 });
  let ticks = 0;
  const timer = setInterval(() => ticks++, 10);
  try {
    const started = performance.now();
    await Promise.all([hasher.hash("a"), hasher.hash("b"), hasher.hash("c"), hasher.hash("d")]);
    const elapsed = performance.now() - started;
    // A 10 ms timer ran through most of the hashing (a blocked loop would show 0 or 1 ticks).
    assert.ok(elapsed > 100, `hashing at cost 12 takes time (${elapsed.toFixed(0)} ms)`);
    assert.ok(ticks >= Math.min(5, elapsed / 50), `${ticks} ticks in ${elapsed.toFixed(0)} ms`);
  } finally {
    clearInterval(timer);
    await hasher.close();
  }
});

const GO_BCRYPT = "/usr/share/gocode/src/golang.org/x/crypto/bcrypt";

/** Go's bcrypt, as etcd 3.4 links it, asked whether each hash matches its password. */
function goVerifies(dir: string, pairs: readonly (readonly [string, string])[]): string[] {
  const program = join(dir, "main.go");
  writeFileSync(
    program,
    `package main

import (
	"fmt"
	"golang.org/x/crypto/bcrypt"
)

func main() {
	pairs := [][2]string{${pairs.map(([p, h]) => `{${JSON.stringify(p)}, ${JSON.stringify(h)}}`).join(", ")}}
	for _, pair := range pairs {
		fmt.Println(bcrypt.CompareHashAndPassword([]byte(pair[1]), []byte(pair[0])) == nil)
	}
}
`,
  );
  const out = execFileSync("go", ["run", program], {
    env: { ...process.env, GO111MODULE: "off", GOPATH: "/usr/share/gocode", GOFLAGS: "" },
    encoding: "utf8",
    timeout: 180_000,
  });
  return out.trim().split("\n");
}

function hasGo(): boolean {
  try {
    execFileSync("go", ["version"], { stdio: "ignore" });
    return existsSync(GO_BCRYPT);
  } catch {
    return false;
  }
}

test("Go's bcrypt (Debian's, as etcd links it) verifies hashes made here", { skip: hasGo() ? false : "no Go toolchain with Debian's x/crypto/bcrypt", timeout: 240_000 }, async (t) => {
  const dir = tempDir(t);
  const hasher = createPasswordHasher({ cost: 4, threads: 1 });
  try {
    const long = "y".repeat(80);
    const hash = await hasher.hash("secret");
    const longHash = await hasher.hash(long);
    assert.deepEqual(goVerifies(dir, [["secret", hash], ["Secret", hash], [long, longHash], [long.slice(0, 72), longHash], ["é", hashPasswordSync("é", 4)]]), ["true", "false", "true", "true", "true"]);
  } finally {
    await hasher.close();
  }
});
