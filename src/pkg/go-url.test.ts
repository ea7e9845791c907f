import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { isBindableUrl, parseEtcdUrl, parseEtcdUrls, splitHostPort } from "./go-url.js";

describe("etcd URL rules", () => {
  const good: [string, { scheme: string; host: string; hostname: string; port: number; href: string }][] = [
    ["http://127.0.0.1:2379", { scheme: "http", host: "127.0.0.1:2379", hostname: "127.0.0.1", port: 2379, href: "http://127.0.0.1:2379" }],
    ["https://localhost:443", { scheme: "https", host: "localhost:443", hostname: "localhost", port: 443, href: "https://localhost:443" }],
    ["HTTP://Example.COM:80", { scheme: "http", host: "Example.COM:80", hostname: "Example.COM", port: 80, href: "http://Example.COM:80" }],
    ["http://[::1]:2379", { scheme: "http", host: "[::1]:2379", hostname: "::1", port: 2379, href: "http://[::1]:2379" }],
    ["  http://10.0.0.1:2380  ", { scheme: "http", host: "10.0.0.1:2380", hostname: "10.0.0.1", port: 2380, href: "http://10.0.0.1:2380" }],
    ["unix://localhost:1234", { scheme: "unix", host: "localhost:1234", hostname: "localhost", port: 1234, href: "unix://localhost:1234" }],
    ["unixs://sock:0", { scheme: "unixs", host: "sock:0", hostname: "sock", port: 0, href: "unixs://sock:0" }],
    ["http://127.0.0.1:", { scheme: "http", host: "127.0.0.1:", hostname: "127.0.0.1", port: 0, href: "http://127.0.0.1:" }],
    ["http://:2380", { scheme: "http", host: ":2380", hostname: "", port: 2380, href: "http://:2380" }],
    ["http://1.2.3.4:5?x=1", { scheme: "http", host: "1.2.3.4:5", hostname: "1.2.3.4", port: 5, href: "http://1.2.3.4:5?x=1" }],
    ["http://u:p@1.2.3.4:5", { scheme: "http", host: "1.2.3.4:5", hostname: "1.2.3.4", port: 5, href: "http://u:p@1.2.3.4:5" }],
  ];
  for (const [text, want] of good) {
    it(`accepts ${JSON.stringify(text)}`, () => assert.deepEqual({ ...parseEtcdUrl(text) }, want));
  }

  // Messages compared against real etcd 3.4.23 (`etcd --listen-client-urls=<x>`).
  const bad: [string, string][] = [
    ["ftp://127.0.0.1:42379", "URL scheme must be http, https, unix, or unixs: ftp://127.0.0.1:42379"],
    ["http://127.0.0.1:42379/x", "URL must not contain a path: http://127.0.0.1:42379/x"],
    ["http://127.0.0.1:2379/", "URL must not contain a path: http://127.0.0.1:2379/"],
    ["http://127.0.0.1", 'URL address does not have the form "host:port": http://127.0.0.1'],
    ["127.0.0.1:42379", 'parse "127.0.0.1:42379": first path segment in URL cannot contain colon'],
    ["localhost:42379", "URL scheme must be http, https, unix, or unixs: localhost:42379"],
    ["http://[::1", `parse "http://[::1": missing ']' in host`],
    ["http://a b:1", 'parse "http://a b:1": invalid character " " in host name'],
    ["", "URL scheme must be http, https, unix, or unixs: "],
    [":2379", 'parse ":2379": missing protocol scheme'],
    ["http://1.2.3.4:x", 'parse "http://1.2.3.4:x": invalid port ":x" after host'],
    ["http://1.2.3.4\x01:1", 'parse "http://1.2.3.4\\x01:1": net/url: invalid control character in URL'],
    ["http://a%zz:1", 'parse "http://a%zz:1": invalid URL escape "%zz"'],
    ["http://1:2:3", 'URL address does not have the form "host:port": http://1:2:3'],
    ["unix:///tmp/sock", 'URL address does not have the form "host:port": unix:///tmp/sock'],
    ["http:1.2.3.4:5", 'URL address does not have the form "host:port": http:1.2.3.4:5'],
  ];
  for (const [text, message] of bad) {
    it(`rejects ${JSON.stringify(text)} with etcd's message`, () => assert.throws(() => parseEtcdUrl(text), { message }));
  }

  it("parseEtcdUrls splits on commas and sorts by printed form, as types.NewURLs does", () => {
    const urls = parseEtcdUrls("http://b:2,http://a:1, http://a:0");
    assert.deepEqual(
      urls.map((u) => u.href),
      ["http://a:0", "http://a:1", "http://b:2"],
    );
    assert.throws(() => parseEtcdUrls("http://a:1,"), { message: "URL scheme must be http, https, unix, or unixs: " });
  });

  it("splitHostPort follows net.SplitHostPort", () => {
    assert.deepEqual(splitHostPort("a:1"), { host: "a", port: "1" });
    assert.deepEqual(splitHostPort("[::1]:1"), { host: "::1", port: "1" });
    assert.deepEqual(splitHostPort(":1"), { host: "", port: "1" });
    for (const badHp of ["a", "a:1:2", "[::1]", "[::1]x:1", "[a]:1]", "a[:1"]) assert.equal(splitHostPort(badHp), undefined, badHp);
  });

  it("isBindableUrl: IP literals, localhost and unix sockets only (etcd's checkBindURLs)", () => {
    const yes = ["http://127.0.0.1:1", "http://0.0.0.0:1", "http://[::]:1", "http://[::ffff:1.2.3.4]:1", "http://localhost:1", "unix://anything:1"];
    const no = ["http://example.com:1", "http://LOCALHOST:1", "http://01.2.3.4:1", "http://:1", "http://[fe80::1%25eth0]:1"];
    for (const u of yes) assert.equal(isBindableUrl(parseEtcdUrl(u)), true, u);
    for (const u of no) assert.equal(isBindableUrl(parseEtcdUrl(u)), false, u);
  });
});
