/**
 * Flag values and the rule each Go flag.Value type applies when a flag is
 * set (from argv, an ETCD_* variable, or a default). Error texts are the ones
 * Go/etcd attach to that value type, without the "invalid value ... for flag"
 * wrapper, which depends on where the value came from.
 * @module
 */
import { FeatureGateSet } from "./feature-gates.js";
import type { FlagKind, FlagSpec } from "./flags.js";
import { FLAG_SPECS } from "./flags.js";
import { parseGoBool, parseGoDuration, parseGoInt, parseGoUint, nsToMs } from "./go-value.js";
import { EtcdUrlError, parseEtcdUrls, type EtcdUrl } from "../../pkg/go-url.js";

/** URL flag state: etcd keeps both the set of texts (for exceptions such as "*") and the parsed list. */
export interface UrlsValue {
  readonly texts: ReadonlySet<string>;
  readonly urls: readonly EtcdUrl[];
}

export type FlagValue = string | boolean | number | readonly string[] | UrlsValue | FeatureGateSet;

/** Result of setting a flag: the new value, or the error text of the value type. */
export type SetResult = { readonly ok: true; readonly value: FlagValue } | { readonly ok: false; readonly error: string };

function ok(value: FlagValue): SetResult {
  return { ok: true, value };
}

function fail(error: string): SetResult {
  return { ok: false, error };
}

/** Parses `text` for a flag of `kind`, given the flag's current value (some types accumulate or keep state). */
export function setFlagValue(kind: FlagKind, current: FlagValue | undefined, text: string): SetResult {
  switch (kind.type) {
    case "string":
      return ok(text);
    case "bool": {
      const b = parseGoBool(text);
      return b === undefined ? fail("parse error") : ok(b);
    }
    case "int": {
      const bits = 64;
      const signed = kind.goType === "int" || kind.goType === "int64";
      const n = signed ? parseGoInt(text, bits) : parseGoUint(text, bits);
      if (n === "syntax") return fail("parse error");
      if (n === "range") return fail("value out of range");
      return ok(Number(n));
    }
    case "uint32": {
      // etcd's own uint32 flag type reports strconv's full error.
      const n = parseGoUint(text, 32);
      if (n === "syntax") return fail(`strconv.ParseUint: parsing "${text}": invalid syntax`);
      if (n === "range") return fail(`strconv.ParseUint: parsing "${text}": value out of range`);
      return ok(Number(n));
    }
    case "duration": {
      const ns = parseGoDuration(text);
      return typeof ns === "bigint" ? ok(nsToMs(ns)) : fail("parse error");
    }
    case "urls":
      return setUrls(kind.exceptions, current as UrlsValue | undefined, text);
    case "strings":
      return ok(text.split(","));
    case "uniqueStrings":
      return ok([...new Set(text.split(","))].sort());
    case "select":
      return kind.valid.includes(text) ? ok(text) : fail("invalid value");
    case "selectMulti": {
      const prior = (current as readonly string[] | undefined) ?? [];
      const next = [...prior];
      for (const item of text.split(",")) {
        if (!kind.valid.includes(item)) return fail(`invalid value "${item}"`);
        next.push(item);
      }
      return ok(next.sort());
    }
    case "featureGates": {
      const gates = current instanceof FeatureGateSet ? current.clone() : new FeatureGateSet();
      const err = gates.set(text);
      return err === undefined ? ok(gates) : fail(err);
    }
    case "ignored":
      return ok(true);
  }
}

/**
 * etcd's UniqueURLs: a text already present, or one of the allowed
 * non-URL exceptions ("" for listen URLs, "*" for CORS), leaves the URL list
 * as it was; anything else replaces it.
 */
function setUrls(exceptions: readonly string[], current: UrlsValue | undefined, text: string): SetResult {
  const prior: UrlsValue = current ?? { texts: new Set(), urls: [] };
  if (prior.texts.has(text)) return ok(prior);
  if (exceptions.includes(text)) return ok({ texts: new Set([...prior.texts, text]), urls: prior.urls });
  try {
    const parsed = parseEtcdUrls(text);
    const unique: EtcdUrl[] = [];
    const seen = new Set<string>();
    for (const u of parsed) {
      if (seen.has(u.href)) continue;
      seen.add(u.href);
      unique.push(u);
    }
    return ok({ texts: seen, urls: unique });
  } catch (e) {
    if (e instanceof EtcdUrlError) return fail(e.message);
    throw e;
  }
}

/** The value a flag starts with: its default text run through its own parser. */
export function defaultValue(spec: FlagSpec): FlagValue {
  if (spec.kind.type === "ignored") return false;
  if (spec.def === "" && (spec.kind.type === "strings" || spec.kind.type === "uniqueStrings" || spec.kind.type === "selectMulti")) {
    return [];
  }
  if (spec.def === "" && spec.kind.type === "urls") return { texts: new Set(), urls: [] };
  if (spec.def === "" && spec.kind.type === "featureGates") return new FeatureGateSet();
  const r = setFlagValue(spec.kind, undefined, spec.def);
  if (!r.ok) throw new Error(`bad default for --${spec.name}: ${r.error}`);
  return r.value;
}

/** Current value of every flag, by name; starts at the defaults. */
export class FlagValues {
  readonly #values = new Map<string, FlagValue>();

  constructor() {
    for (const spec of FLAG_SPECS) this.#values.set(spec.name, defaultValue(spec));
  }

  get(name: string): FlagValue {
    const v = this.#values.get(name);
    if (v === undefined) throw new Error(`unknown flag ${name}`);
    return v;
  }

  set(name: string, value: FlagValue): void {
    this.#values.set(name, value);
  }

  string(name: string): string {
    const v = this.get(name);
    if (typeof v !== "string") throw new Error(`--${name} is not a string flag`);
    return v;
  }

  bool(name: string): boolean {
    const v = this.get(name);
    if (typeof v !== "boolean") throw new Error(`--${name} is not a bool flag`);
    return v;
  }

  number(name: string): number {
    const v = this.get(name);
    if (typeof v !== "number") throw new Error(`--${name} is not a numeric flag`);
    return v;
  }

  list(name: string): readonly string[] {
    const v = this.get(name);
    if (!Array.isArray(v)) throw new Error(`--${name} is not a list flag`);
    return v as readonly string[];
  }

  urls(name: string): UrlsValue {
    const v = this.get(name);
    if (typeof v !== "object" || v instanceof FeatureGateSet || Array.isArray(v)) throw new Error(`--${name} is not a URL flag`);
    return v as UrlsValue;
  }

  gates(name: string): FeatureGateSet {
    const v = this.get(name);
    if (!(v instanceof FeatureGateSet)) throw new Error(`--${name} is not a feature-gate flag`);
    return v;
  }
}
