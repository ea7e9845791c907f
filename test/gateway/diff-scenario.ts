/**
 * The HTTP requests the differential gateway test sends to real etcd and to
 * ours, in order (the writes give both servers the same revision history).
 * Good requests of every service, and bad ones: empty key, wrong JSON of
 * each kind, unknown routes, wrong methods, server errors of each gRPC code.
 *
 * `mask` names JSON fields whose values legitimately differ (ids the servers
 * pick, sizes, versions); `known` marks an intended difference (with why) —
 * the step still runs on both, but only ours is checked for sanity.
 */

export interface Step {
  method?: string;
  path: string;
  /** A JSON value (stringified) or raw text (sent as is). */
  body?: unknown;
  headers?: Record<string, string>;
  /** Read this many lines of a streamed answer, then hang up. */
  lines?: number;
  mask?: string[];
  /** Fields left out of the comparison altogether (etcd 3.5/3.6 additions a 3.4 server lacks). */
  ignore?: string[];
  /** Compare only status and content type (bodies differ by design, e.g. /metrics). */
  statusOnly?: boolean;
  known?: string;
  /** For a known difference: the status ours must answer. */
  oursStatus?: number;
}

const b = (s: string): string => Buffer.from(s).toString("base64");
const raw = (s: string): { raw: string } => ({ raw: s });

export function gatewayScenario(): Step[] {
  const steps: Step[] = [
    // ---- writes that set up identical histories (revisions 2..8)
    { path: "/v3/kv/put", body: { key: b("foo"), value: b("bar") } },
    { path: "/v3/kv/put", body: { key: b("foo"), value: b("baz"), prev_kv: true } },
    { path: "/v3/kv/put", body: { key: b("a/1"), value: b("1") } },
    { path: "/v3/kv/put", body: { key: b("a/2"), value: b("2") } },
    { path: "/v3/kv/put", body: { key: b("a/3"), value: b("<3&>") } },
    { path: "/v3/lease/grant", body: { TTL: 60, ID: 12345 } },
    { path: "/v3/kv/put", body: { key: b("leased"), value: b("x"), lease: "12345" } },

    // ---- KV reads, every option
    { path: "/v3/kv/range", body: { key: b("foo") } },
    { path: "/v3/kv/range", body: { key: b("a/"), range_end: b("a0"), limit: 2 } },
    { path: "/v3/kv/range", body: { key: b("a/"), rangeEnd: b("a0"), sort_order: "DESCEND", sort_target: "MOD", keys_only: true } },
    { path: "/v3/kv/range", body: { key: b("a/"), range_end: b("a0"), count_only: true } },
    { path: "/v3/kv/range", body: { key: b("\0"), range_end: b("\0"), serializable: true, min_mod_revision: "4", max_mod_revision: 5 } },
    { path: "/v3/kv/range", body: { key: b("foo"), revision: "2" } },
    { path: "/v3/kv/range", body: { key: b("foo"), revision: "1000" } },
    { path: "/v3/kv/range", body: { key: b("nothing") } },
    { path: "/v3/kv/range", body: { key: b("leased") } },
    { path: "/v3beta/kv/range", body: { key: b("foo") } },
    { path: "/v3/kv/range", body: { key: b("foo") }, headers: { authorization: "not-a-token" }, oursStatus: 200, known: "etcd 3.4 checks a token even with auth off (401); 3.5+ ignores it while auth is off, as we do" },
    { path: "/v3/kv/range", body: { key: b("foo") }, headers: { "grpc-metadata-hasleader": "true" } },

    // ---- KV writes and txns
    { path: "/v3/kv/put", body: { key: b("foo"), ignore_value: true, prev_kv: true } },
    { path: "/v3/kv/put", body: { key: b("missing"), ignore_value: true } },
    { path: "/v3/kv/put", body: { key: b("foo"), lease: "999" } },
    { path: "/v3/kv/deleterange", body: { key: b("a/3"), prev_kv: true } },
    { path: "/v3/kv/deleterange", body: { key: b("nothing") } },
    {
      path: "/v3/kv/txn",
      body: {
        compare: [
          { key: b("foo"), result: "EQUAL", target: "VALUE", value: b("baz") },
          { key: b("a/"), range_end: b("a0"), result: "GREATER", target: "CREATE", create_revision: "1" },
        ],
        success: [
          { request_put: { key: b("t1"), value: b("v") } },
          { request_range: { key: b("a/"), range_end: b("a0") } },
          { request_txn: { success: [{ request_delete_range: { key: b("t1"), prev_kv: true } }] } },
        ],
        failure: [{ request_range: { key: b("foo") } }],
      },
    },
    { path: "/v3/kv/txn", body: { compare: [{ key: b("foo"), target: "VERSION", result: "LESS", version: 1 }], failure: [{ requestRange: { key: b("foo") } }] } },
    { path: "/v3/kv/txn", body: { compare: [{ key: b("nope"), target: "VALUE", value: b("") }] } },
    { path: "/v3/kv/txn", body: { success: [{ request_put: { key: b("d"), value: b("1") } }, { request_put: { key: b("d"), value: b("2") } }] } },
    { path: "/v3/kv/txn", body: { success: Array.from({ length: 129 }, (_, i) => ({ request_range: { key: b(`k${i}`) } })) } },
    { path: "/v3/kv/txn", body: {} },

    // ---- watch streams (newline-delimited results)
    { path: "/v3/watch", body: raw(JSON.stringify({ create_request: { key: b("foo"), start_revision: "2", prev_kv: true } })), lines: 2 },
    { path: "/v3/watch", body: raw(JSON.stringify({ create_request: { key: b("a/"), range_end: b("a0"), start_revision: 1, filters: ["NODELETE"] } })), lines: 2 },
    { path: "/v3/watch", body: raw('{"create_request":{"key":"Zm9v"}} {"create_request":{"key":"YmFy","watch_id":7}} {"progress_request":{}} {"cancel_request":{"watch_id":0}}'), lines: 4 },
    { path: "/v3/watch", body: raw('{"create_request":{"key":"Zm9v"}} {"create_request":{"key":"YmFy","watch_id":0}}'), lines: 2 },
    { path: "/v3/watch", body: raw('{"create_request":{"key":"Zm9v"}} not json'), lines: 1 },
    { path: "/v3/watch", body: raw("not json"), lines: 1 },
    { path: "/v3/watch", body: raw('{"create_request":{"key":5}}'), lines: 1 },

    // ---- leases
    { path: "/v3/lease/grant", body: { TTL: 60, ID: 12345 } },
    { path: "/v3/lease/grant", body: { TTL: 9_000_000_001 } },
    { path: "/v3/lease/grant", body: { TTL: "10" }, mask: ["ID"] },
    { path: "/v3/lease/timetolive", body: { ID: "12345", keys: true }, mask: ["TTL"] },
    { path: "/v3/kv/lease/timetolive", body: { ID: 777 } },
    { path: "/v3/lease/keepalive", body: raw('{"ID":"12345"}'), lines: 1, mask: ["TTL"] },
    { path: "/v3/lease/keepalive", body: raw('{"ID":"777"}'), lines: 1 },
    { path: "/v3/lease/revoke", body: { ID: 777 } },
    { path: "/v3/kv/lease/revoke", body: { ID: "12345" } },
    { path: "/v3/kv/range", body: { key: b("leased") } },

    // ---- cluster and maintenance
    { path: "/v3/cluster/member/list", body: {}, mask: ["ID", "peerURLs", "clientURLs", "name"] },
    { path: "/v3/cluster/member/remove", body: { ID: 1 } },
    { path: "/v3/maintenance/alarm", body: { action: "GET" }, oursStatus: 200, known: "etcd 3.4 leaves the header out of an alarm answer; 3.5+ fills it, as we do" },
    // (An unknown alarm action makes etcd 3.4 panic, so that case is not sent to it.)
    { path: "/v3/maintenance/status", body: {}, mask: ["version", "dbSize", "dbSizeInUse", "leader", "raftIndex", "raftAppliedIndex", "raftTerm", "isLearner"], ignore: ["storageVersion", "dbSizeQuota", "downgradeInfo"] },
    { path: "/v3/maintenance/hash", body: {}, mask: ["hash"] },
    { path: "/v3/maintenance/defragment", body: {} },
    { path: "/v3/maintenance/hashkv", body: { revision: 0 }, oursStatus: 200, known: "etcd 3.4 shadowed HashKV behind /v3/maintenance/hash; 3.5+ (and we) serve /v3/maintenance/hashkv" },
    { path: "/v3/kv/compaction", body: { revision: "4", physical: true } },
    { path: "/v3/kv/compaction", body: { revision: 4 } },
    { path: "/v3/kv/range", body: { key: b("foo"), revision: 3 } },
    { path: "/v3/watch", body: raw(JSON.stringify({ create_request: { key: b("foo"), start_revision: "2" } })), lines: 2 },

    // ---- lock and election
    { path: "/v3/lease/grant", body: { TTL: 60, ID: 4242 } },
    { path: "/v3/lock/lock", body: { name: b("mylock"), lease: "4242" } },
    { path: "/v3/lock/unlock", body: { key: b("mylock/1092") } },
    { path: "/v3/election/campaign", body: { name: b("elect"), lease: 4242, value: b("v1") } },
    { path: "/v3/election/leader", body: { name: b("elect") } },
    { path: "/v3/election/proclaim", body: { leader: { name: b("elect"), key: b("elect/1092"), rev: "0", lease: "4242" }, value: b("v2") } },
    { path: "/v3/election/observe", body: { name: b("elect") }, lines: 1 },
    { path: "/v3/election/leader", body: { name: b("nobody") } },
    { path: "/v3/election/resign", body: { leader: { name: b("elect"), key: b("elect/1092"), lease: "4242" } } },
    { path: "/v3/lock/lock", body: { name: b("mylock"), lease: "999" } },

    // ---- bad JSON of every kind
    { path: "/v3/kv/range", body: {} },
    { path: "/v3/kv/range" },
    { path: "/v3/kv/range", body: raw("") },
    { path: "/v3/kv/range", body: { key: null } },
    { path: "/v3/kv/put", body: { value: b("v") } },
    { path: "/v3/kv/range", body: raw("notjson") },
    { path: "/v3/kv/range", body: { key: 5 } },
    { path: "/v3/kv/range", body: { key: b("foo"), limit: "abc" } },
    { path: "/v3/kv/range", body: { key: b("foo"), limit: "" } },
    { path: "/v3/kv/range", body: { key: b("foo"), sort_order: "BOGUS" } },
    { path: "/v3/kv/range", body: { key: b("foo"), sort_order: true } },
    { path: "/v3/kv/range", body: { key: b("foo"), limit: 1.5 } },
    { path: "/v3/kv/range", body: { key: b("foo"), limit: "9223372036854775808" } },
    { path: "/v3/kv/range", body: { key: b("foo"), serializable: "true" } },
    { path: "/v3/kv/range", body: [1] },
    { path: "/v3/kv/range", body: "x" },
    { path: "/v3/kv/range", body: { key: "!!!" } },
    { path: "/v3/kv/range", body: { key: "Zm9" } },
    { path: "/v3/kv/range", body: { key: "Zg=" } },
    { path: "/v3/kv/range", body: raw('{"key":') },
    { path: "/v3/kv/range", body: raw('{"key":"Zm9v"} trailing garbage') },
    { path: "/v3/kv/range", body: raw('{"key" "x"}') },
    { path: "/v3/kv/range", body: raw("{key:1}") },
    { path: "/v3/kv/range", body: raw('{"key":"Zm9v",}') },
    { path: "/v3/kv/range", body: raw('{"key":"\\x"}') },
    { path: "/v3/kv/range", body: raw('{"key":"a\tb"}') },
    { path: "/v3/kv/range", body: raw('{"key":"Zm9v","unknown":{"deep":[1,{"x":null}]},"rangeEnd":null}') },
    { path: "/v3/kv/txn", body: { compare: {} } },
    { path: "/v3/kv/txn", body: { compare: [{ key: b("foo"), target: "NOPE" }] } },
    { path: "/v3/kv/txn", body: { success: [{ request_put: "x" }] } },
    { path: "/v3/lease/grant", body: { TTL: -1 }, mask: ["ID"] },
    { path: "/v3/cluster/member/remove", body: { ID: "-1" } },

    // ---- routing and methods
    { path: "/v3/kv/nothing", body: {} },
    { path: "/v3/kv/range/", body: {} },
    { path: "/v3/", body: {} },
    { method: "GET", path: "/v3" },
    { method: "GET", path: "/v3/kv/range" },
    { method: "PUT", path: "/v3/kv/put", body: {} },
    { method: "DELETE", path: "/v3/watch" },
    { path: "/nothing", body: {} },
    { path: "/v3alpha/kv/range", body: { key: b("foo") }, oursStatus: 200, known: "etcd 3.4 dropped /v3alpha; we rewrite it like /v3beta (etcd 3.3 clients)" },
    { method: "POST", path: "/version" },
    { method: "GET", path: "/version", oursStatus: 200, known: "server and cluster versions (3.4.23 vs 3.6.0)" },
    { method: "POST", path: "/health" },
    { method: "GET", path: "/health", oursStatus: 200, known: 'etcd 3.5+ adds "reason" to /health' },
    { method: "GET", path: "/health?serializable=true", oursStatus: 200, known: 'etcd 3.5+ adds "reason" to /health' },
    { method: "GET", path: "/livez", oursStatus: 200, known: "/livez and /readyz are etcd 3.6" },
    { method: "GET", path: "/readyz?verbose", oursStatus: 200, known: "/livez and /readyz are etcd 3.6" },
    { method: "GET", path: "/metrics", statusOnly: true },
    { method: "OPTIONS", path: "/v3/kv/range" },
    { method: "OPTIONS", path: "/anything", headers: { origin: "http://example.com" } },
    { path: "/v3/auth/status", body: {}, known: "AuthStatus is etcd 3.5; 3.4's gateway has no route for it", oursStatus: 200 },
  ];
  return steps.map((s) => ({ method: "POST", ...s }));
}
