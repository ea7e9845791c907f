import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { parseEtcdUrls } from "../pkg/go-url.js";
import { clientEndpoints } from "./client-endpoints.js";

describe("clientEndpoints: etcd's grouping of listen URLs", () => {
  it("one endpoint per URL, serving gRPC and HTTP, by scheme", () => {
    const endpoints = clientEndpoints(parseEtcdUrls("http://127.0.0.1:2379,https://localhost:2380,unixs://localhost:2381"), []);
    assert.deepEqual(
      endpoints.map((e) => [e.socket, e.security, e.protocols]),
      [
        [{ kind: "tcp", host: "127.0.0.1", port: 2379 }, "plain", "grpc+http"],
        [{ kind: "tcp", host: "127.0.0.1", port: 2380 }, "tls", "grpc+http"],
        [{ kind: "unix", path: "localhost:2381" }, "tls", "grpc+http"],
      ],
    );
  });

  it("http:// and https:// on one address share a socket that takes both", () => {
    const endpoints = clientEndpoints(parseEtcdUrls("http://127.0.0.1:2379,https://127.0.0.1:2379"), []);
    assert.equal(endpoints.length, 1);
    assert.equal(endpoints[0]?.security, "both");
    assert.deepEqual(endpoints[0]?.urls, ["http://127.0.0.1:2379", "https://127.0.0.1:2379"]);
  });

  it("port 0 URLs each get a port of their own", () => {
    assert.equal(clientEndpoints(parseEtcdUrls("http://127.0.0.1:0,http://127.0.0.1:0"), []).length, 2);
  });

  it("with --listen-client-http-urls, client URLs serve only gRPC and HTTP URLs only HTTP", () => {
    const endpoints = clientEndpoints(parseEtcdUrls("https://127.0.0.1:2379"), parseEtcdUrls("http://127.0.0.1:2382"));
    assert.deepEqual(
      endpoints.map((e) => [e.security, e.protocols]),
      [
        ["tls", "grpc"],
        ["plain", "http"],
      ],
    );
  });
});
