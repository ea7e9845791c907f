import { test } from "node:test";
import assert from "node:assert/strict";
import { AuthConfigError, parseAuthTokenOption } from "./token-option.js";

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
