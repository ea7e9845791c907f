import { test } from "node:test";
import assert from "node:assert/strict";
import { AuthConfigError, parseAuthTokenOption } from "./token-option.js";
import { parseGoDurationMs } from "./go-duration.js";

function refused(value: string, detail: string): void {
  assert.throws(
    () => parseAuthTokenOption(value),
    (err: unknown) => err instanceof AuthConfigError && err.message === "auth: invalid auth options" && err.detail === detail,
    value,
  );
}

test("simple and jwt with its options", () => {
  assert.deepEqual(parseAuthTokenOption("simple"), { kind: "simple" });
  assert.deepEqual(parseAuthTokenOption("simple,a=b"), { kind: "simple" }, "options after simple are split, then unused, as in etcd");
  const jwt = parseAuthTokenOption("jwt,sign-method=RS256,pub-key=/k.pub,priv-key=/k,ttl=10m");
  assert.equal(jwt.kind, "jwt");
  assert.deepEqual({ ...(jwt.kind === "jwt" ? jwt.options : {}) }, { "sign-method": "RS256", "pub-key": "/k.pub", "priv-key": "/k", ttl: "10m" });
  const odd = parseAuthTokenOption("jwt,__proto__=x,ttl=");
  assert.deepEqual(odd.kind === "jwt" ? Object.entries(odd.options) : [], [["__proto__", "x"], ["ttl", ""]]);
});

test("etcd's decomposeOpts errors and an unknown type are 'auth: invalid auth options'", () => {
  refused("jwt,a", "invalid token specific option: jwt,a");
  refused("jwt,a=b=c", "invalid token specific option: jwt,a=b=c");
  refused("jwt,", "invalid token specific option: jwt,");
  refused("jwt,a=1,a=2", "invalid token specific option, duplicated parameters (a): jwt,a=1,a=2");
  refused("bogus", "unknown token type: bogus");
  refused("JWT", "unknown token type: JWT");
  refused("", "unknown token type: ");
});

test("Go durations: units, fractions, signs, and Go's error texts", () => {
  assert.equal(parseGoDurationMs("10m"), 600_000);
  assert.equal(parseGoDurationMs("1h30m"), 5_400_000);
  assert.equal(parseGoDurationMs("300ms"), 300);
  assert.equal(parseGoDurationMs("1.5s"), 1500);
  assert.equal(parseGoDurationMs(".5s"), 500);
  assert.equal(parseGoDurationMs("1500us"), 1.5);
  assert.equal(parseGoDurationMs("-2s"), -2000);
  assert.equal(parseGoDurationMs("0"), 0);
  assert.deepEqual(parseGoDurationMs("10"), { error: 'time: missing unit in duration "10"' });
  assert.deepEqual(parseGoDurationMs("10x"), { error: 'time: unknown unit "x" in duration "10x"' });
  assert.deepEqual(parseGoDurationMs(""), { error: 'time: invalid duration ""' });
  assert.deepEqual(parseGoDurationMs("s"), { error: 'time: invalid duration "s"' });
  assert.deepEqual(parseGoDurationMs("."), { error: 'time: invalid duration "."' });
  assert.deepEqual(parseGoDurationMs("1d"), { error: 'time: unknown unit "d" in duration "1d"' });
  assert.deepEqual(parseGoDurationMs("3000000h"), { error: 'time: invalid duration "3000000h"' });
});
