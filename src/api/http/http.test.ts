import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { EtcdError } from "../../pkg/errors.js";
import { nullLogger } from "../../pkg/logger.js";
import { AccessControl, hostnameOf } from "./access-control.js";
import { HealthChecks, type HealthSource } from "./health.js";
import { createHttpRouter } from "./router.js";

/** A server whose state each test sets. */
const state = {
  alarms: [] as { alarm: number }[],
  leader: true,
  read: (_serializable: boolean): Promise<unknown> => Promise.resolve(),
  clusterVersion: "3.6.0" as string | undefined,
};
const reads: boolean[] = [];
const source: HealthSource = {
  alarms: () => state.alarms,
  hasLeader: () => state.leader,
  read: (serializable) => {
    reads.push(serializable);
    return state.read(serializable);
  },
};
const counted = { success: 0, failures: 0, checks: [] as string[] };

function reset(): void {
  state.alarms = [];
  state.leader = true;
  state.read = () => Promise.resolve();
  state.clusterVersion = "3.6.0";
  reads.length = 0;
}

let server: Server;
let base = "";

function listen(handler: Parameters<typeof createServer>[1]): Promise<{ server: Server; base: string }> {
  const s = createServer(handler);
  return new Promise((resolve) => s.listen(0, "127.0.0.1", () => resolve({ server: s, base: `http://127.0.0.1:${(s.address() as AddressInfo).port}` })));
}

before(async () => {
  const health = new HealthChecks({
    source,
    timeoutMs: 200,
    logger: nullLogger,
    metrics: {
      healthSuccess: {
        inc: () => {
          counted.success++;
        },
      },
      healthFailures: {
        inc: () => {
          counted.failures++;
        },
      },
      healthCheck: { set: () => {} },
      healthChecks: { inc: (l) => void counted.checks.push(`${l.type}/${l.name}/${l.status}`) },
    },
  });
  const handler = createHttpRouter({
    access: new AccessControl({ cors: ["*"], hostWhitelist: ["*"] }),
    gateway: undefined,
    health,
    metrics: { contentType: "text/plain; version=0.0.4; charset=utf-8", render: async () => "etcd_server_has_leader 1\n" },
    versions: () => ({ server: "3.6.0", cluster: state.clusterVersion }),
    logger: nullLogger,
  });
  ({ server, base } = await listen(handler));
});

after(() => new Promise<void>((resolve) => server.close(() => resolve())));

async function get(path: string, init?: RequestInit): Promise<{ status: number; body: string; headers: Headers }> {
  const res = await fetch(base + path, init);
  return { status: res.status, body: await res.text(), headers: res.headers };
}

test("/version: etcd's JSON, not_decided before a cluster version, GET only", async () => {
  reset();
  const ok = await get("/version");
  assert.equal(ok.status, 200);
  assert.equal(ok.headers.get("content-type"), "application/json");
  assert.equal(ok.body, '{"etcdserver":"3.6.0","etcdcluster":"3.6.0"}');
  state.clusterVersion = undefined;
  assert.equal((await get("/version")).body, '{"etcdserver":"3.6.0","etcdcluster":"not_decided"}');
  const post = await get("/version", { method: "POST" });
  assert.equal(post.status, 405);
  assert.equal(post.headers.get("allow"), "GET");
  assert.equal(post.body, "Method Not Allowed\n");
});

test("/health: healthy, alarms (and ?exclude), no leader (and ?serializable), failed read", async () => {
  reset();
  let r = await get("/health");
  assert.equal(r.status, 200);
  assert.equal(r.body, '{"health":"true","reason":""}');
  assert.deepEqual(reads, [false], "a linearizable read by default");

  state.alarms = [{ alarm: 1 }];
  r = await get("/health");
  assert.equal(r.status, 503);
  assert.equal(r.body, '{"health":"false","reason":"ALARM NOSPACE"}\n');
  assert.equal(r.headers.get("x-content-type-options"), "nosniff");
  assert.equal((await get("/health?exclude=NOSPACE")).status, 200);
  state.alarms = [{ alarm: 2 }];
  assert.equal((await get("/health?exclude=NOSPACE")).body, '{"health":"false","reason":"ALARM CORRUPT"}\n');

  reset();
  state.leader = false;
  assert.equal((await get("/health")).body, '{"health":"false","reason":"RAFT NO LEADER"}\n');
  reads.length = 0;
  assert.equal((await get("/health?serializable=true")).status, 200);
  assert.deepEqual(reads, [true]);

  reset();
  state.read = () => Promise.reject(new EtcdError("NoLeader"));
  assert.equal((await get("/health")).body, '{"health":"false","reason":"RANGE ERROR:etcdserver: no leader"}\n');
  state.read = () => new Promise(() => {});
  assert.equal((await get("/health")).body, '{"health":"false","reason":"RANGE ERROR:etcdserver: request timed out"}\n');
  assert.ok(counted.success >= 3 && counted.failures >= 5);
  assert.equal((await get("/health", { method: "POST" })).status, 405);
});

test("with auth enabled the health reads are refused for want of a user, which counts as served (etcd 3.5)", async () => {
  for (const kind of ["UserEmpty", "PermissionDenied"] as const) {
    reset();
    state.read = () => Promise.reject(new EtcdError(kind));
    const r = await get("/health");
    assert.equal(r.status, 200, kind);
    assert.equal(r.body, '{"health":"true","reason":""}', kind);
    assert.equal((await get("/readyz?verbose")).body, "[+]data_corruption ok\n[+]serializable_read ok\n[+]linearizable_read ok\nok\n", kind);
    assert.equal((await get("/livez")).status, 200, kind);
  }
  // Any other refusal is a failure, as before.
  reset();
  state.read = () => Promise.reject(new EtcdError("InvalidAuthToken"));
  assert.equal((await get("/health")).body, '{"health":"false","reason":"RANGE ERROR:etcdserver: invalid auth token"}\n');
});

test("/livez and /readyz: named checks, verbose, exclude, single-check paths", async () => {
  reset();
  let r = await get("/readyz");
  assert.equal(r.status, 200);
  assert.equal(r.body, "ok\n");
  r = await get("/readyz?verbose");
  assert.equal(r.body, "[+]data_corruption ok\n[+]serializable_read ok\n[+]linearizable_read ok\nok\n");
  assert.equal((await get("/livez?verbose")).body, "[+]serializable_read ok\nok\n");

  state.read = (serializable) => (serializable ? Promise.resolve() : Promise.reject(new EtcdError("Timeout")));
  r = await get("/readyz");
  assert.equal(r.status, 503);
  assert.equal(r.body, "[+]data_corruption ok\n[+]serializable_read ok\n[-]linearizable_read failed: etcdserver: request timed out\n\n");
  assert.equal((await get("/readyz?exclude=linearizable_read")).status, 200);
  assert.equal((await get("/readyz?exclude=linearizable_read&exclude=nonexistent&verbose")).body, "[+]data_corruption ok\n[+]serializable_read ok\nok\n");
  assert.equal((await get("/livez")).status, 200, "livez reads serializably");
  assert.equal((await get("/readyz/serializable_read")).status, 200);
  assert.equal((await get("/readyz/linearizable_read")).status, 503);

  reset();
  state.alarms = [{ alarm: 2 }];
  r = await get("/readyz/data_corruption");
  assert.equal(r.body, "[-]data_corruption failed: alarm activated: CORRUPT\n\n");
  assert.equal((await get("/readyz/unknown")).status, 404);
  assert.ok(counted.checks.includes("readyz/data_corruption/error"));
});

test("routing: 404 as Go's ServeMux, /metrics, CORS headers and preflight", async () => {
  reset();
  const nf = await get("/nothing");
  assert.equal(nf.status, 404);
  assert.equal(nf.body, "404 page not found\n");
  assert.equal((await get("/v3/kv/range", { method: "POST" })).status, 404, "no gateway: /v3 is not served");
  const m = await get("/metrics");
  assert.equal(m.body, "etcd_server_has_leader 1\n");
  assert.equal(m.headers.get("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  assert.equal(m.headers.get("access-control-allow-origin"), "*");
  const pre = await get("/anything", { method: "OPTIONS" });
  assert.equal(pre.status, 200);
  assert.equal(pre.body, "");
  assert.equal(pre.headers.get("access-control-allow-methods"), "POST, GET, OPTIONS, PUT, DELETE");
  assert.equal(pre.headers.get("access-control-allow-headers"), "accept, content-type, authorization");
});

test("--host-whitelist refuses other Host headers with 421; --cors lists origins", async () => {
  const health = new HealthChecks({ source, timeoutMs: 200, logger: nullLogger });
  const refused: string[] = [];
  const handler = createHttpRouter({
    access: new AccessControl({ cors: ["http://good.example"], hostWhitelist: ["localhost", "127.0.0.1"] }),
    gateway: undefined,
    health,
    metrics: undefined,
    versions: () => ({ server: "3.6.0", cluster: "3.6.0" }),
    logger: { ...nullLogger, warn: (f: object) => void refused.push((f as { host: string }).host) },
  });
  const s = await listen(handler);
  try {
    const ok = await fetch(`${s.base}/version`, { headers: { origin: "http://good.example" } });
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get("access-control-allow-origin"), "http://good.example");
    const other = await fetch(`${s.base}/version`, { headers: { origin: "http://evil.example" } });
    assert.equal(other.headers.get("access-control-allow-origin"), null);
    // fetch may not set Host; node:http may.
    const bad = await rawGet(`${s.base}/version`, "evil.example:2379");
    assert.equal(bad.status, 421);
    const text = bad.body;
    assert.match(text, /etcd received your request, but the Host header was unrecognized/);
    assert.match(text, /--host-whitelist "evil.example"/);
    assert.deepEqual(refused, ["evil.example"]);
    assert.equal((await fetch(`${s.base}/metrics`)).status, 404, "no metrics endpoint given");
  } finally {
    await new Promise<void>((resolve) => s.server.close(() => resolve()));
  }
});

test("the metrics listener's router: /metrics and health only, no CORS, no /version", async () => {
  reset();
  const health = new HealthChecks({ source, timeoutMs: 200, logger: nullLogger });
  const handler = createHttpRouter({
    access: undefined,
    gateway: undefined,
    health,
    metrics: { contentType: "text/plain", render: async () => "m 1\n" },
    versions: undefined,
    logger: nullLogger,
  });
  const s = await listen(handler);
  try {
    const m = await fetch(`${s.base}/metrics`);
    assert.equal(await m.text(), "m 1\n");
    assert.equal(m.headers.get("access-control-allow-origin"), null);
    assert.equal((await fetch(`${s.base}/health`)).status, 200);
    assert.equal((await fetch(`${s.base}/readyz`)).status, 200);
    assert.equal((await fetch(`${s.base}/version`)).status, 404);
    assert.equal((await fetch(`${s.base}/v3/kv/range`, { method: "POST" })).status, 404);
  } finally {
    await new Promise<void>((resolve) => s.server.close(() => resolve()));
  }
});

function rawGet(url: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { host } }, (res) => {
      let body = "";
      res.on("data", (c: Buffer) => (body += c.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

test("Host header parsing follows net.SplitHostPort", () => {
  assert.equal(hostnameOf("example.com:2379"), "example.com");
  assert.equal(hostnameOf("example.com"), "example.com");
  assert.equal(hostnameOf("[::1]:2379"), "::1");
  assert.equal(hostnameOf("[::1]"), "[::1]");
  assert.equal(hostnameOf("::1"), "::1");
});

test("over TLS any Host is accepted, as etcd's message promises ('Enable TLS, then any HTTPS request will be allowed')", () => {
  const access = new AccessControl({ cors: [], hostWhitelist: ["localhost"] });
  const refused: string[] = [];
  const incoming = (encrypted: boolean): IncomingMessage => ({ headers: { host: "evil.example:2379" }, method: "GET", socket: { encrypted } }) as unknown as IncomingMessage;
  const response = (): ServerResponse => ({ setHeader() {}, writeHead() {}, end() {}, headersSent: false }) as unknown as ServerResponse;
  assert.equal(access.admit(incoming(true), response(), (host) => refused.push(host)), true);
  assert.equal(refused.length, 0);
  assert.equal(access.admit(incoming(false), response(), (host) => refused.push(host)), false);
  assert.deepEqual(refused, ["evil.example"]);
});
