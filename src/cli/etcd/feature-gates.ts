/**
 * etcd 3.6 server feature gates (`--feature-gates=LeaseCheckpoint=true,...`)
 * and the mapping from the older boolean `--experimental-*` flags onto them.
 *
 * Semantics follow etcd's featuregate package: a setting string is a comma
 * list of `Name=bool`; repeated `--feature-gates` flags accumulate; the
 * pseudo gates `AllAlpha` / `AllBeta` set every alpha / beta gate that the
 * same string does not set explicitly.
 * @module
 */
import type { FeatureGates, ServerFeature } from "./config.js";
import { parseGoBool } from "./go-value.js";

type Stage = "ALPHA" | "BETA";

interface FeatureSpec {
  readonly default: boolean;
  readonly stage: Stage;
  /** The server acts on it (the others are accepted and warned about). */
  readonly implemented?: true;
}

/** The 3.6 server gates with their defaults and maturity. */
export const SERVER_FEATURES: Readonly<Record<ServerFeature, FeatureSpec>> = {
  StopGRPCServiceOnDefrag: { default: false, stage: "ALPHA" },
  TxnModeWriteWithSharedBuffer: { default: true, stage: "BETA" },
  InitialCorruptCheck: { default: false, stage: "ALPHA", implemented: true },
  CompactHashCheck: { default: false, stage: "ALPHA", implemented: true },
  LeaseCheckpoint: { default: false, stage: "ALPHA", implemented: true },
  LeaseCheckpointPersist: { default: false, stage: "ALPHA", implemented: true },
  SetMemberLocalAddr: { default: false, stage: "ALPHA" },
};

/** Old boolean experimental flags and the gate each one now sets. */
export const EXPERIMENTAL_FLAG_TO_FEATURE: ReadonlyMap<string, ServerFeature> = new Map([
  ["experimental-stop-grpc-service-on-defrag", "StopGRPCServiceOnDefrag"],
  ["experimental-initial-corrupt-check", "InitialCorruptCheck"],
  ["experimental-compact-hash-check-enabled", "CompactHashCheck"],
  ["experimental-txn-mode-write-with-shared-buffer", "TxnModeWriteWithSharedBuffer"],
  ["experimental-enable-lease-checkpoint", "LeaseCheckpoint"],
  ["experimental-enable-lease-checkpoint-persist", "LeaseCheckpointPersist"],
]);

const ALL_ALPHA = "AllAlpha";
const ALL_BETA = "AllBeta";

function isServerFeature(name: string): name is ServerFeature {
  return Object.hasOwn(SERVER_FEATURES, name);
}

/**
 * Gates set so far. `explicit` keeps etcd's "enabled" map: every gate a
 * setting string named, plus the ones AllAlpha/AllBeta filled in.
 */
export class FeatureGateSet {
  readonly #explicit = new Map<string, boolean>();

  /** Applies one `--feature-gates` value; returns etcd's error text on failure (and changes nothing). */
  set(value: string): string | undefined {
    const parsed = new Map<string, boolean>();
    for (const item of value.split(",")) {
      if (item.length === 0) continue;
      const eq = item.indexOf("=");
      const key = (eq < 0 ? item : item.slice(0, eq)).trim();
      if (eq < 0) return `missing bool value for ${key}`;
      const text = item.slice(eq + 1).trim();
      const b = parseGoBool(text);
      if (b === undefined) return `invalid value of ${key}=${text}, err: strconv.ParseBool: parsing "${text}": invalid syntax`;
      parsed.set(key, b);
    }
    return this.setFromMap(parsed);
  }

  /** Applies already-parsed gate values (used for the old experimental flags). */
  setFromMap(values: ReadonlyMap<string, boolean>): string | undefined {
    const next = new Map(this.#explicit);
    for (const [key, enabled] of values) {
      if (key === ALL_ALPHA || key === ALL_BETA) {
        next.set(key, enabled);
        const stage: Stage = key === ALL_ALPHA ? "ALPHA" : "BETA";
        for (const [name, spec] of Object.entries(SERVER_FEATURES)) {
          if (spec.stage === stage && !next.has(name)) next.set(name, enabled);
        }
        continue;
      }
      if (!isServerFeature(key)) return `unrecognized feature gate: ${key}`;
      next.set(key, enabled);
    }
    this.#explicit.clear();
    for (const [k, v] of next) this.#explicit.set(k, v);
    return undefined;
  }

  enabled(feature: ServerFeature): boolean {
    return this.#explicit.get(feature) ?? SERVER_FEATURES[feature].default;
  }

  /** etcd's String(): `Name=bool` pairs of the explicitly set gates, sorted. */
  toString(): string {
    return [...this.#explicit].map(([k, v]) => `${k}=${v}`).sort().join(",");
  }

  /** Names set explicitly (including AllAlpha/AllBeta expansion). */
  explicitNames(): string[] {
    return [...this.#explicit.keys()];
  }

  resolve(): FeatureGates {
    const out = {} as Record<ServerFeature, boolean>;
    for (const name of Object.keys(SERVER_FEATURES) as ServerFeature[]) out[name] = this.enabled(name);
    return Object.freeze(out);
  }

  clone(): FeatureGateSet {
    const copy = new FeatureGateSet();
    copy.setFromMap(new Map(this.#explicit));
    return copy;
  }
}

/**
 * etcd's SetFeatureGatesFromExperimentalFlags: each old boolean flag that was
 * given explicitly sets its gate, unless the `--feature-gates` text already
 * mentions that gate (etcd checks by substring, so we do too).
 */
export function applyExperimentalFlags(
  gates: FeatureGateSet,
  explicitBools: ReadonlyMap<string, boolean>,
): string | undefined {
  const gatesText = gates.toString();
  const updates = new Map<string, boolean>();
  for (const [flag, feature] of EXPERIMENTAL_FLAG_TO_FEATURE) {
    const value = explicitBools.get(flag);
    if (value === undefined) continue;
    if (gatesText.includes(feature)) {
      const current = gates.enabled(feature);
      return (
        `cannot specify both flags: --${flag}=${value} and --feature-gates=${feature}=${current} at the same time, ` +
        `please just use --feature-gates=${feature}=${current}`
      );
    }
    updates.set(feature, value);
  }
  return gates.setFromMap(updates);
}

/** Help lines listing the gates: `Name=true|false (ALPHA - default=false)`. */
export function featureGateHelpLines(): string[] {
  return Object.entries(SERVER_FEATURES)
    .map(([name, spec]) => `${name}=true|false (${spec.stage} - default=${spec.default})`)
    .sort();
}
