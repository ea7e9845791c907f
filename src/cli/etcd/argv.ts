/**
 * Command-line syntax of Go's `flag` package, which etcd uses: `-x v`,
 * `--x v`, `-x=v`, `--x=v`; boolean flags take no separate argument
 * (`--x`, `--x=false`); `--` ends the flags; parsing stops at the first
 * argument that is not a flag; a later occurrence of a flag overrides an
 * earlier one (feature gates accumulate). `-h`/`--help`/`-help` ask for help
 * unless parsing failed before reaching them. Error texts are Go's.
 * @module
 */
import { FLAGS_BY_NAME, type FlagSpec } from "./flags.js";
import type { FlagValues } from "./flag-values.js";
import { setFlagValue } from "./flag-values.js";
import { goQuote } from "./go-value.js";

export type ArgvOutcome =
  | { readonly kind: "ok"; readonly positional: readonly string[] }
  | { readonly kind: "help" }
  /** A syntax error: etcd prints the message and its usage text, and exits 2. */
  | { readonly kind: "error"; readonly message: string };

function isBoolFlag(spec: FlagSpec): boolean {
  return spec.kind.type === "bool" || spec.kind.type === "ignored";
}

/** Warning etcd logs when one of the long-removed etcd 2 flags is used. */
export function ignoredFlagWarning(name: string): string {
  return `flag "-${name}" is no longer supported - ignoring.`;
}

/**
 * Applies `args` to `values`, recording each flag that was set in `actual`
 * (Go's FlagSet.Visit set) and appending warnings for ignored flags.
 */
export function parseArgv(
  args: readonly string[],
  values: FlagValues,
  actual: Set<string>,
  warnings: string[],
): ArgvOutcome {
  let i = 0;
  while (i < args.length) {
    const arg = args[i] ?? "";
    if (arg.length < 2 || arg[0] !== "-") break;
    let minuses = 1;
    if (arg[1] === "-") {
      minuses = 2;
      if (arg.length === 2) {
        i++;
        break;
      }
    }
    let name = arg.slice(minuses);
    if (name.length === 0 || name[0] === "-" || name[0] === "=") {
      return { kind: "error", message: `bad flag syntax: ${arg}` };
    }
    i++;
    let value = "";
    let hasValue = false;
    const eq = name.indexOf("=", 1);
    if (eq > 0) {
      value = name.slice(eq + 1);
      hasValue = true;
      name = name.slice(0, eq);
    }
    const spec = FLAGS_BY_NAME.get(name);
    if (spec === undefined) {
      if (name === "help" || name === "h") return { kind: "help" };
      return { kind: "error", message: `flag provided but not defined: -${name}` };
    }
    if (isBoolFlag(spec)) {
      const text = hasValue ? value : "true";
      const r = setFlagValue(spec.kind, values.get(name), text);
      if (!r.ok) {
        return {
          kind: "error",
          message: hasValue
            ? `invalid boolean value ${goQuote(value)} for -${name}: ${r.error}`
            : `invalid boolean flag ${name}: ${r.error}`,
        };
      }
      values.set(name, r.value);
    } else {
      if (!hasValue && i < args.length) {
        value = args[i] ?? "";
        hasValue = true;
        i++;
      }
      if (!hasValue) return { kind: "error", message: `flag needs an argument: -${name}` };
      const r = setFlagValue(spec.kind, values.get(name), value);
      if (!r.ok) return { kind: "error", message: `invalid value ${goQuote(value)} for flag -${name}: ${r.error}` };
      values.set(name, r.value);
    }
    if (spec.kind.type === "ignored") warnings.push(ignoredFlagWarning(name));
    actual.add(name);
  }
  return { kind: "ok", positional: args.slice(i) };
}
