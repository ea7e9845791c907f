/**
 * `--config-file`: etcd's YAML configuration.
 *
 * etcd converts the YAML (1.1: `yes`/`on` are booleans, duplicate keys are
 * allowed and the last wins) to JSON and decodes it into Go structs, so:
 * keys are the flag names; types are strict (a quoted number is not a
 * number, `10ms` is not a duration: durations are integer nanoseconds);
 * unknown keys are ignored; the first type error (in key order) is reported
 * with Go's wording; URL lists are comma-separated strings; TLS lives in the
 * `client-transport-security` / `peer-transport-security` blocks; log
 * outputs and cipher suites are YAML lists. We warn about unknown keys,
 * which etcd drops silently.
 * @module
 */
import { parse as parseYaml, YAMLParseError } from "yaml";
import { FLAG_SPECS, type FlagSpec, type YamlType } from "./flags.js";
import type { FlagValues } from "./flag-values.js";
import { setFlagValue } from "./flag-values.js";
import { EtcdUrlError, parseEtcdUrls, type EtcdUrl } from "../../pkg/go-url.js";
import { nsToMs } from "./go-value.js";
import { applyExperimentalFlags } from "./feature-gates.js";

/** Settings that only exist in the file (no flag of their own). */
export interface FileExtras {
  readonly clientAllowedCns: readonly string[];
  readonly clientSkipClientSanVerify: boolean;
}

export type FileOutcome =
  | { readonly ok: true; readonly explicit: ReadonlySet<string>; readonly extras: FileExtras }
  | { readonly ok: false; readonly message: string };

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

interface KeyTarget {
  readonly type: YamlType;
  readonly flag: string;
}

const TOP_LEVEL: ReadonlyMap<string, KeyTarget> = (() => {
  const m = new Map<string, KeyTarget>();
  for (const spec of FLAG_SPECS) {
    if (spec.yaml !== null) m.set(spec.name, { type: spec.yaml, flag: spec.name });
  }
  // etcd 3.6 spells this key with an extra dash in the file and accepts both.
  m.set("experimental-snapshot-catch-up-entries", { type: "uint64", flag: "experimental-snapshot-catchup-entries" });
  return m;
})();

type BlockKey =
  | "cert-file"
  | "key-file"
  | "client-cert-file"
  | "client-key-file"
  | "client-cert-auth"
  | "trusted-ca-file"
  | "auto-tls"
  | "allowed-cn"
  | "allowed-hostname"
  | "skip-client-san-verification";

const BLOCK_TYPES: Readonly<Record<BlockKey, YamlType>> = {
  "cert-file": "string",
  "key-file": "string",
  "client-cert-file": "string",
  "client-key-file": "string",
  "client-cert-auth": "bool",
  "trusted-ca-file": "string",
  "auto-tls": "bool",
  "allowed-cn": "[]string",
  "allowed-hostname": "[]string",
  "skip-client-san-verification": "bool",
};

/** Flag each security-block key stands for; "" marks the client-only extras. */
const CLIENT_BLOCK: Readonly<Record<BlockKey, string>> = {
  "cert-file": "cert-file",
  "key-file": "key-file",
  "client-cert-file": "client-cert-file",
  "client-key-file": "client-key-file",
  "client-cert-auth": "client-cert-auth",
  "trusted-ca-file": "trusted-ca-file",
  "auto-tls": "auto-tls",
  "allowed-cn": "",
  "allowed-hostname": "client-cert-allowed-hostname",
  "skip-client-san-verification": "",
};

const PEER_BLOCK: Readonly<Record<BlockKey, string>> = {
  "cert-file": "peer-cert-file",
  "key-file": "peer-key-file",
  "client-cert-file": "peer-client-cert-file",
  "client-key-file": "peer-client-key-file",
  "client-cert-auth": "peer-client-cert-auth",
  "trusted-ca-file": "peer-trusted-ca-file",
  "auto-tls": "peer-auto-tls",
  "allowed-cn": "peer-cert-allowed-cn",
  "allowed-hostname": "peer-cert-allowed-hostname",
  "skip-client-san-verification": "peer-skip-client-san-verification",
};

const SOCKET_OPTIONS: Readonly<Record<string, string>> = {
  "reuse-port": "socket-reuse-port",
  "reuse-address": "socket-reuse-address",
};

/** URL keys in the order etcd converts them, with the name its error message uses. */
const URL_KEYS: readonly (readonly [key: string, label: string])[] = [
  ["listen-peer-urls", "listen-peer-urls"],
  ["listen-client-urls", "listen-client-urls"],
  ["listen-client-http-urls", "listen-client-http-urls"],
  ["initial-advertise-peer-urls", "initial-advertise-peer-urls"],
  // etcd's message says "advertise-peer-urls" for this key; we keep its text.
  ["advertise-client-urls", "advertise-peer-urls"],
  ["listen-metrics-urls", "listen-metrics-urls"],
];

class DecodeError extends Error {}

function jsonKind(v: Json): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  switch (typeof v) {
    case "boolean":
      return "bool";
    case "number":
      return "number";
    case "string":
      return "string";
    default:
      return "object";
  }
}

function goNumberText(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 1e21) return String(n);
  return String(n).replace(/e\+?/, (m) => (m === "e" ? "e+" : m));
}

const INT_RANGES: Readonly<Record<string, readonly [number, number]>> = {
  uint: [0, 2 ** 64 - 1],
  uint64: [0, 2 ** 64 - 1],
  uint32: [0, 2 ** 32 - 1],
  int: [-(2 ** 63), 2 ** 63 - 1],
  int64: [-(2 ** 63), 2 ** 63 - 1],
  "time.Duration": [-(2 ** 63), 2 ** 63 - 1],
};

function goTypeName(t: YamlType): string {
  switch (t) {
    case "urls":
    case "cors":
    case "uniqueStringsText":
    case "featureGatesText":
    case "selectText":
      return "string";
    default:
      return t;
  }
}

/** Decodes one JSON value into the Go type `t`, or throws Go's UnmarshalTypeError text. */
function decode(value: Json, t: YamlType, where: string): string | number | boolean | string[] | null {
  if (value === null) return null;
  const mismatch = (what: string, type = goTypeName(t)): DecodeError =>
    new DecodeError(`json: cannot unmarshal ${what} into Go struct field ${where} of type ${type}`);
  const range = INT_RANGES[t];
  if (range !== undefined) {
    if (typeof value !== "number") throw mismatch(jsonKind(value));
    if (!Number.isInteger(value) || value < range[0] || value > range[1]) throw mismatch(`number ${goNumberText(value)}`);
    return value;
  }
  if (t === "bool") {
    if (typeof value !== "boolean") throw mismatch(jsonKind(value));
    return value;
  }
  if (t === "[]string") {
    if (!Array.isArray(value)) throw mismatch(jsonKind(value));
    return value.map((item) => {
      if (typeof item !== "string") throw mismatch(jsonKind(item), "string");
      return item;
    });
  }
  if (typeof value !== "string") throw mismatch(jsonKind(value));
  return value;
}

function sortedKeys(o: { [k: string]: Json }): string[] {
  return Object.keys(o).sort();
}

function isObject(v: Json | undefined): v is { [k: string]: Json } {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Applies a decoded file value to the flag it belongs to. */
function assign(values: FlagValues, spec: FlagSpec | undefined, flag: string, t: YamlType, v: string | number | boolean | string[]): void {
  switch (t) {
    case "time.Duration":
      values.set(flag, nsToMs(BigInt(v as number)));
      return;
    case "urls":
    case "cors":
    case "uniqueStringsText":
    case "featureGatesText":
    case "selectText":
      return; // converted after decoding, in etcd's order
    case "string":
      if (spec?.kind.type === "selectMulti") return; // v2-deprecation: etcd 3.6 ignores the value
      values.set(flag, v);
      return;
    default:
      values.set(flag, Array.isArray(v) ? [...v] : v);
  }
}

/**
 * Loads the YAML text into `values` (which start at the defaults). `warnings`
 * receives unknown keys. On failure returns etcd's error message.
 */
export function loadConfigFile(text: string, values: FlagValues, warnings: string[]): FileOutcome {
  let doc: Json;
  try {
    doc = (parseYaml(text, { version: "1.1", uniqueKeys: false }) ?? null) as Json;
  } catch (e) {
    if (e instanceof YAMLParseError) {
      const line = e.linePos?.[0]?.line;
      const first = e.message.split("\n")[0]?.replace(/ at line \d+, column \d+:?$/, "") ?? e.message;
      return { ok: false, message: `error converting YAML to JSON: yaml: ${line === undefined ? "" : `line ${line}: `}${first}` };
    }
    throw e;
  }
  const unmarshalPrefix = "error unmarshaling JSON: while decoding JSON: ";
  if (doc === null) doc = {};
  if (!isObject(doc)) {
    return { ok: false, message: `${unmarshalPrefix}json: cannot unmarshal ${jsonKind(doc)} into Go value of type embed.configYAML` };
  }
  const top = doc;
  const explicit = new Set<string>();
  const explicitBools = new Map<string, boolean>();
  const deferred = new Map<string, string>(); // key -> text converted after decoding
  const extras = { clientAllowedCns: [] as string[], clientSkipClientSanVerify: false };
  try {
    for (const key of sortedKeys(top)) {
      const raw = top[key] ?? null;
      if (key === "client-transport-security" || key === "peer-transport-security") {
        decodeBlock(key, raw, values, explicit, extras);
        continue;
      }
      if (key === "socket-options") {
        decodeSocketOptions(raw, values, explicit);
        continue;
      }
      const target = TOP_LEVEL.get(key);
      if (target === undefined) {
        warnings.push(`unrecognized key ${JSON.stringify(key)} in the config file is ignored`);
        continue;
      }
      explicit.add(target.flag);
      const v = decode(raw, target.type, `configYAML.${key}`);
      if (v === null) continue;
      const spec = FLAG_SPECS.find((f) => f.name === target.flag);
      if (typeof v === "boolean") explicitBools.set(target.flag, v);
      if (typeof v === "string" && ["urls", "cors", "uniqueStringsText", "featureGatesText", "selectText"].includes(target.type)) {
        deferred.set(target.flag, v);
      }
      assign(values, spec, target.flag, target.type, v);
    }
  } catch (e) {
    if (e instanceof DecodeError) return { ok: false, message: unmarshalPrefix + e.message };
    throw e;
  }
  const converted = convertDeferred(deferred, values);
  if (converted !== undefined) return { ok: false, message: converted };
  if ("peer-transport-security" in top && !isObject(top["peer-transport-security"])) {
    return { ok: false, message: "invalid peer-transport-security" };
  }
  const gateError = applyExperimentalFlags(values.gates("feature-gates"), explicitBools);
  if (gateError !== undefined) return { ok: false, message: gateError };
  const urlError = convertUrls(deferred, values);
  if (urlError !== undefined) return { ok: false, message: urlError };
  if (values.get("self-signed-cert-validity") === 0) values.set("self-signed-cert-validity", 1);
  return { ok: true, explicit, extras };
}

function decodeBlock(
  key: "client-transport-security" | "peer-transport-security",
  raw: Json,
  values: FlagValues,
  explicit: Set<string>,
  extras: { clientAllowedCns: string[]; clientSkipClientSanVerify: boolean },
): void {
  if (raw === null) return;
  if (!isObject(raw)) {
    throw new DecodeError(`json: cannot unmarshal ${jsonKind(raw)} into Go struct field configYAML.${key} of type embed.securityConfig`);
  }
  const mapping = key === "client-transport-security" ? CLIENT_BLOCK : PEER_BLOCK;
  for (const sub of sortedKeys(raw)) {
    if (!Object.hasOwn(BLOCK_TYPES, sub)) continue;
    const blockKey = sub as BlockKey;
    const v = decode(raw[sub] ?? null, BLOCK_TYPES[blockKey], `securityConfig.${key}.${sub}`);
    const flag = mapping[blockKey];
    if (v === null) continue;
    if (flag === "") {
      if (blockKey === "allowed-cn") extras.clientAllowedCns = v as string[];
      else extras.clientSkipClientSanVerify = v as boolean;
      continue;
    }
    explicit.add(flag);
    values.set(flag, Array.isArray(v) ? [...v] : v);
  }
}

function decodeSocketOptions(raw: Json, values: FlagValues, explicit: Set<string>): void {
  if (raw === null) return;
  if (!isObject(raw)) {
    throw new DecodeError(`json: cannot unmarshal ${jsonKind(raw)} into Go struct field configYAML.socket-options of type transport.SocketOpts`);
  }
  for (const sub of sortedKeys(raw)) {
    const flag = SOCKET_OPTIONS[sub];
    if (flag === undefined) continue;
    const v = decode(raw[sub] ?? null, "bool", `SocketOpts.socket-options.${sub}`);
    if (v === null) continue;
    explicit.add(flag);
    values.set(flag, v);
  }
}

/** Feature gates, host whitelist and the select-like strings (before URLs, as in etcd). */
function convertDeferred(deferred: ReadonlyMap<string, string>, values: FlagValues): string | undefined {
  const gatesText = deferred.get("feature-gates");
  if (gatesText !== undefined && gatesText !== "") {
    const r = setFlagValue({ type: "featureGates" }, values.get("feature-gates"), gatesText);
    if (!r.ok) return r.error;
    values.set("feature-gates", r.value);
  }
  const hosts = deferred.get("host-whitelist");
  if (hosts !== undefined && hosts !== "") values.set("host-whitelist", [...new Set(hosts.split(","))].sort());
  const state = deferred.get("initial-cluster-state");
  if (state !== undefined) values.set("initial-cluster-state", state === "" ? "new" : state);
  const fallback = deferred.get("discovery-fallback");
  if (fallback !== undefined && fallback !== "") {
    if (fallback !== "exit" && fallback !== "proxy") return "unexpected error setting up discovery-fallback flag: invalid value";
    values.set("discovery-fallback", fallback);
  }
  const proxy = deferred.get("proxy");
  if (proxy !== undefined && proxy !== "") {
    if (!["off", "readonly", "on"].includes(proxy)) return "unexpected error setting up proxyFlag: invalid value";
    values.set("proxy", proxy);
  }
  return undefined;
}

function convertUrls(deferred: ReadonlyMap<string, string>, values: FlagValues): string | undefined {
  for (const [key, label] of URL_KEYS) {
    const text = deferred.get(key);
    if (text === undefined || text === "") continue;
    try {
      const urls = parseEtcdUrls(text);
      values.set(key, { texts: new Set(urls.map((u) => u.href)), urls });
    } catch (e) {
      if (e instanceof EtcdUrlError) return `unexpected error setting up ${label}: ${e.message}`;
      throw e;
    }
  }
  const cors = deferred.get("cors");
  if (cors !== undefined && cors !== "") {
    if (cors === "*") {
      values.set("cors", { texts: new Set(["*"]), urls: [] as EtcdUrl[] });
    } else {
      const r = setFlagValue({ type: "urls", exceptions: ["*"] }, undefined, cors);
      if (!r.ok) return `unexpected error setting up cors: ${r.error}`;
      values.set("cors", r.value);
    }
  }
  return undefined;
}
