/**
 * ETCD_* environment variables, with etcd's rules (pkg/flags.SetFlagsFromEnv):
 *
 * - every flag `some-flag` can be set by `ETCD_SOME_FLAG` (non-empty values only);
 * - a variable whose flag is also on the command line is a fatal conflict,
 *   even when the variable is empty. etcd 3.4 and 3.5+ agree on this (3.4
 *   prints it through capnslog, 3.5+ through zap; both exit 1); checked
 *   against the 3.4.23 binary, we follow it;
 * - an invalid value is an error naming the variable;
 * - any other ETCD_* variable is reported as unrecognized (a warning);
 * - ETCD_VERSION is never applied (etcd 3.5+ warns and drops it).
 * @module
 */
import { FLAG_SPECS, flagToEnv } from "./flags.js";
import type { FlagValues } from "./flag-values.js";
import { setFlagValue } from "./flag-values.js";
import { ignoredFlagWarning } from "./argv.js";
import { goQuote } from "./go-value.js";

export type Env = Readonly<Record<string, string | undefined>>;

export function conflictMessage(key: string): string {
  return (
    `conflicting environment variable ${goQuote(key)} is shadowed by corresponding command-line flag ` +
    `(either unset environment variable or disable flag)`
  );
}

/**
 * Applies the environment to `values`. `actual` holds the flags given on the
 * command line; flags set from the environment are added to it (Go marks
 * them as set too, which matters for "--listen-client-urls without
 * --advertise-client-urls"). Returns an error message, or undefined.
 */
export function applyEnv(env: Env, values: FlagValues, actual: Set<string>, warnings: string[]): string | undefined {
  const shadowed = new Set([...actual].map(flagToEnv));
  const used = new Set<string>();
  const special = env["ETCD_VERSION"];
  if (special !== undefined && special !== "") {
    warnings.push(`cannot set special environment variable ETCD_VERSION=${special}`);
    used.add("ETCD_VERSION");
  }
  let lastError: string | undefined;
  const byName = [...FLAG_SPECS].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const spec of byName) {
    const key = flagToEnv(spec.name);
    if (shadowed.has(key) || used.has(key)) continue;
    const text = env[key];
    if (text === undefined || text === "") continue;
    used.add(key);
    const r = setFlagValue(spec.kind, values.get(spec.name), text);
    if (!r.ok) {
      lastError = `invalid value ${goQuote(text)} for ${key}: ${r.error}`;
      continue;
    }
    values.set(spec.name, r.value);
    actual.add(spec.name);
    if (spec.kind.type === "ignored") warnings.push(ignoredFlagWarning(spec.name));
  }
  for (const [key, text] of Object.entries(env)) {
    if (text === undefined || used.has(key)) continue;
    if (shadowed.has(key)) return conflictMessage(key);
    if (key.startsWith("ETCD_")) warnings.push(`unrecognized environment variable ${key}=${text}`);
  }
  return lastError;
}
