import { test } from "node:test";
import assert from "node:assert/strict";
import { ManualClock } from "../pkg/clock.js";
import { SimpleTokens } from "./simple-tokens.js";

function tokens(ttlMs = 300_000): { clock: ManualClock; tokens: SimpleTokens } {
  const clock = new ManualClock();
  return { clock, tokens: new SimpleTokens({ ttlMs, clock }) };
}

test("newPrefix: 16 letters, different every time", () => {
  const seen = new Set<string>();
  for (let i = 0; i < 200; i++) {
    const p = SimpleTokens.newPrefix();
    assert.match(p, /^[a-zA-Z]{16}$/);
    seen.add(p);
  }
  assert.equal(seen.size, 200);
});

test("indexOf reads '<prefix>.<decimal index>' and nothing else", () => {
  assert.equal(SimpleTokens.indexOf("abcdefghijklmnop.42"), 42n);
  assert.equal(SimpleTokens.indexOf("x.0"), 0n);
  assert.equal(SimpleTokens.indexOf("x.+7"), 7n, "Go's Atoi takes a plus sign");
  assert.equal(SimpleTokens.indexOf("x.9223372036854775807"), 9223372036854775807n);
  for (const bad of ["", "abc", "x.", "x.-1", "x.1.2", "x.1a", "x. 1", "x.0x10", "x.9223372036854775808", "eyJhbGciOiJSUzI1NiJ9.eyJ1c2VybmFtZSI6InUifQ.sig"]) {
    assert.equal(SimpleTokens.indexOf(bad), undefined, bad);
  }
});

test("a token names its user until it goes unused for longer than the TTL; each lookup renews it", () => {
  const { clock, tokens: t } = tokens(1000);
  t.assign("p.1", "alice");
  clock.advance(900);
  assert.equal(t.lookup("p.1"), "alice");
  clock.advance(900);
  assert.equal(t.lookup("p.1"), "alice", "renewed by the previous lookup");
  clock.advance(1000);
  assert.equal(t.lookup("p.1"), "alice", "exactly the TTL after its last use: still valid");
  clock.advance(1001);
  assert.equal(t.lookup("p.1"), undefined);
  assert.equal(t.lookup("p.2"), undefined);
  assert.equal(t.size, 0);
});

test("expire sweeps the tokens unused for longer than the TTL", () => {
  const { clock, tokens: t } = tokens(1000);
  t.assign("p.1", "alice");
  clock.advance(600);
  t.assign("p.2", "bob");
  clock.advance(500);
  t.expire(clock.nowMs());
  assert.equal(t.size, 1);
  assert.equal(t.lookup("p.2"), "bob");
});

test("invalidateUser drops that user's tokens; clear drops all", () => {
  const { tokens: t } = tokens();
  t.assign("p.1", "alice");
  t.assign("p.2", "alice");
  t.assign("p.3", "bob");
  t.invalidateUser("alice");
  assert.equal(t.lookup("p.1"), undefined);
  assert.equal(t.lookup("p.2"), undefined);
  assert.equal(t.lookup("p.3"), "bob");
  t.clear();
  assert.equal(t.size, 0);
});

test("a token is assigned once (each names its own raft index)", () => {
  const { tokens: t } = tokens();
  t.assign("p.1", "alice");
  assert.throws(() => t.assign("p.1", "bob"), /already assigned/);
  assert.equal(t.lookup("p.1"), "alice");
});
