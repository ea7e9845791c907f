import { test } from "node:test";
import assert from "node:assert/strict";
import { checkRequestHeaders, checkTrailers, NO_CONTENT_LENGTH } from "./request-headers.js";

const base: [string, string][] = [
  [":method", "POST"],
  [":scheme", "http"],
  [":path", "/etcdserverpb.KV/Put"],
  [":authority", "localhost"],
  ["content-type", "application/grpc"],
  ["te", "trailers"],
];
const list = (fields: [string, string][]): string[] => fields.flat();

test("request headers: a gRPC request passes, without a content-length", () => {
  assert.deepEqual(checkRequestHeaders(list(base)), { ok: true, contentLength: NO_CONTENT_LENGTH });
  assert.deepEqual(checkRequestHeaders(list([...base, ["content-length", "12"]])), { ok: true, contentLength: 12 });
  // :authority is optional; CONNECT has neither :scheme nor :path but needs :authority.
  assert.equal(checkRequestHeaders(list(base.filter(([n]) => n !== ":authority"))).ok, true);
  assert.equal(checkRequestHeaders(list([[":method", "CONNECT"], [":authority", "example.com:443"]])).ok, true);
});

test("request headers: each malformed request of RFC 9113 §8.2/8.3 is refused", () => {
  const without = (name: string): [string, string][] => base.filter(([n]) => n !== name);
  const cases: [string, [string, string][]][] = [
    ["upper-case name", [...base, ["X-Upper", "1"]]],
    ["unknown pseudo-header", [[":foo", "bar"], ...base]],
    ["response pseudo-header", [[":status", "200"], ...base]],
    ["pseudo-header after a regular field", [...base, [":path", "/x"]]],
    ["duplicate :method", [[":method", "GET"], ...base]],
    ["duplicate :scheme", [[":scheme", "https"], ...base]],
    ["duplicate :path", [[":path", "/"], ...base]],
    ["duplicate :authority", [[":authority", "a"], ...base]],
    ["missing :method", without(":method")],
    ["missing :scheme", without(":scheme")],
    ["missing :path", without(":path")],
    ["empty :path", base.map(([n, v]): [string, string] => [n, n === ":path" ? "" : v])],
    ["connection", [...base, ["connection", "keep-alive"]]],
    ["keep-alive", [...base, ["keep-alive", "5"]]],
    ["proxy-connection", [...base, ["proxy-connection", "x"]]],
    ["transfer-encoding", [...base, ["transfer-encoding", "chunked"]]],
    ["upgrade", [...base, ["upgrade", "h2c"]]],
    ["te other than trailers", base.map(([n, v]): [string, string] => [n, n === "te" ? "trailers, deflate" : v])],
    ["bad content-length", [...base, ["content-length", "-1"]]],
    ["two content-lengths", [...base, ["content-length", "1"], ["content-length", "1"]]],
    ["CONNECT with :path", [[":method", "CONNECT"], [":authority", "a"], [":path", "/"]]],
    ["CONNECT without :authority", [[":method", "CONNECT"]]],
  ];
  for (const [what, fields] of cases) {
    const check = checkRequestHeaders(list(fields));
    assert.equal(check.ok, false, what);
  }
});

test("trailers: no pseudo-headers, no upper case", () => {
  assert.equal(checkTrailers(list([["grpc-status", "0"]])), undefined);
  assert.notEqual(checkTrailers(list([[":path", "/"]])), undefined);
  assert.notEqual(checkTrailers(list([["X-A", "1"]])), undefined);
});
