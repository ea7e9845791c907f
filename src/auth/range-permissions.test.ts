import { test } from "node:test";
import assert from "node:assert/strict";
import { Permission_Type, type Permission } from "../gen/authpb/auth.js";
import { MergedIntervals, RangePermissions } from "./range-permissions.js";

const b = (s: string): Buffer => Buffer.from(s, "latin1");
const grant = (key: string, rangeEnd = "", permType = Permission_Type.READ): Permission => ({ key: b(key), rangeEnd: b(rangeEnd), permType });
const merged = (...grants: Permission[]): MergedIntervals => MergedIntervals.of(grants);
const range = (m: MergedIntervals, key: string, end: string): boolean => m.coversRange(b(key), b(end));
const point = (m: MergedIntervals, key: string): boolean => m.coversKey(b(key));

test("a single-key grant covers that key only", () => {
  const m = merged(grant("foo"));
  assert.equal(point(m, "foo"), true);
  assert.equal(point(m, "fo"), false);
  assert.equal(point(m, "foo\0"), false);
  assert.equal(point(m, "fooa"), false);
  assert.equal(range(m, "foo", "foo\0"), true, "the range holding just that key");
  assert.equal(range(m, "foo", "fop"), false);
});

test("a prefix grant covers its keys and sub-ranges, not a range running past it", () => {
  const m = merged(grant("foo/", "foo0"));
  assert.equal(point(m, "foo/"), true);
  assert.equal(point(m, "foo/zzz"), true);
  assert.equal(point(m, "foo0"), false);
  assert.equal(point(m, "foo"), false);
  assert.equal(range(m, "foo/", "foo0"), true);
  assert.equal(range(m, "foo/a", "foo/b"), true);
  assert.equal(range(m, "foo/a", "foo1"), false, "partly covered is refused");
  assert.equal(range(m, "foo", "foo/a"), false, "starts before the grant");
  assert.equal(range(m, "foo/a", "\0"), false, "to the end of the keyspace");
});

test("from-key grants (range end \\0) run to the end of the keyspace, as do requests with range end \\0", () => {
  const m = merged(grant("m", "\0"));
  assert.equal(point(m, "m"), true);
  assert.equal(point(m, "\xff\xff\xff"), true);
  assert.equal(point(m, "l"), false);
  assert.equal(range(m, "n", "\0"), true);
  assert.equal(range(m, "m", "zzzz"), true);
  assert.equal(range(m, "a", "\0"), false);
  assert.equal(range(merged(grant("\0", "\0")), "\0", "\0"), true, "every key (what etcdctl sends for an empty prefix)");
});

test("adjacent and overlapping grants from several roles merge into one interval", () => {
  const m = merged(grant("a", "c"), grant("c", "e"), grant("d", "g"), grant("b", "b2"), grant("x"), grant("x\0", "y"));
  assert.equal(m.size, 2);
  assert.equal(range(m, "a", "g"), true, "[a,c) + [c,e) + [d,g) touch and overlap");
  assert.equal(range(m, "a", "g\0"), false);
  assert.equal(range(m, "x", "y"), true, "a single key and the range right after it");
  assert.equal(range(m, "f", "x\0"), false, "the gap [g, x) is not granted");
  assert.equal(point(m, "g"), false);
});

test("a grant nested in another adds nothing; a later wider grant extends the interval", () => {
  const m = merged(grant("a", "z"), grant("b", "c"), grant("y", "\0"));
  assert.equal(m.size, 1);
  assert.equal(range(m, "a", "\0"), true);
});

test("gaps between many grants are found by binary search", () => {
  const grants: Permission[] = [];
  for (let i = 0; i < 1000; i += 2) grants.push(grant(`k${String(i).padStart(4, "0")}`, `k${String(i + 1).padStart(4, "0")}`));
  const m = merged(...grants);
  assert.equal(m.size, 500);
  assert.equal(point(m, "k0500"), true);
  assert.equal(point(m, "k0501"), false);
  assert.equal(point(m, "k0500zzz"), true);
  assert.equal(range(m, "k0998", "k0999"), true);
  assert.equal(range(m, "k0998", "k1000"), false);
  assert.equal(point(m, "a"), false);
  assert.equal(point(m, "z"), false);
});

test("an empty key is never covered, and a grant on the empty key covers nothing (etcd's affine order)", () => {
  assert.equal(point(merged(grant("a", "\0")), ""), false);
  assert.equal(range(merged(grant("\0", "\0")), "", "\0"), false);
  assert.equal(merged(grant("", "\0"), grant("", "z"), grant("")).size, 0);
});

test("an inverted grant covers nothing; an inverted request passes only inside one granted interval", () => {
  assert.equal(merged(grant("z", "a")).size, 0);
  const m = merged(grant("a", "m"));
  assert.equal(range(m, "c", "b"), true);
  assert.equal(range(m, "c", "c"), true);
  assert.equal(range(m, "z", "b"), false);
  assert.equal(range(m, "c", "a"), false, "the interval must start before the request's end");
});

test("READWRITE counts for both; READ and WRITE only for their own", () => {
  const p = new RangePermissions([grant("r", "", Permission_Type.READ), grant("w", "", Permission_Type.WRITE), grant("rw", "", Permission_Type.READWRITE)]);
  assert.equal(p.permits("read", b("r"), b("")), true);
  assert.equal(p.permits("write", b("r"), b("")), false);
  assert.equal(p.permits("write", b("w"), b("")), true);
  assert.equal(p.permits("read", b("w"), b("")), false);
  assert.equal(p.permits("read", b("rw"), b("")), true);
  assert.equal(p.permits("write", b("rw"), b("rw\0")), true);
});

test("read and write from different roles are merged separately", () => {
  const p = new RangePermissions([grant("a", "c", Permission_Type.READ), grant("c", "e", Permission_Type.WRITE), grant("c", "e", Permission_Type.READ)]);
  assert.equal(p.permits("read", b("a"), b("e")), true);
  assert.equal(p.permits("write", b("a"), b("e")), false);
  assert.equal(p.permits("write", b("c"), b("e")), true);
});
