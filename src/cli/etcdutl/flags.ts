/**
 * Flag syntax as etcdutl's (cobra over spf13/pflag): `--name=v`,
 * `--name v`, `-n v`, `-nv`, `-n=v`; a bool takes no separate argument
 * (`--skip-hash-check`, `--skip-hash-check=false`); `--` ends flags; flags
 * and positional arguments may be interleaved. Errors carry pflag's words.
 * @module
 */
import { parseGoDuration } from "../../pkg/go-duration.js";
import { goQuote } from "../../pkg/go-quote.js";

export type FlagKind = "string" | "bool" | "uint64" | "int64" | "duration";

export interface FlagSpec {
  readonly name: string;
  readonly shorthand?: string;
  readonly kind: FlagKind;
  /** The default as pflag prints it (DefValue). */
  readonly defaultText: string;
  readonly usage: string;
}

/** A parsed value: strings and bools as such, the integer kinds as bigint, durations in nanoseconds (bigint). */
export type FlagValue = string | boolean | bigint;

/** What the command line said: the values of the flags given (defaults filled in) and the positional arguments. */
export interface ParsedFlags {
  readonly values: ReadonlyMap<string, FlagValue>;
  /** Names of the flags given on the command line. */
  readonly given: ReadonlySet<string>;
  readonly args: readonly string[];
  /** -h / --help was given. */
  readonly help: boolean;
}

/** A command line that pflag refuses; the message is pflag's. */
export class FlagError extends Error {
  override readonly name = "FlagError";
}

const UINT64_MAX = (1n << 64n) - 1n;
const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

/** Parses `text` as flag `spec` would, or throws {@link FlagError} with pflag's message. */
export function parseValue(spec: FlagSpec, text: string, spelled: string): FlagValue {
  const invalid = (reason: string): FlagError => new FlagError(`invalid argument ${goQuote(text)} for "${spelled}" flag: ${reason}`);
  switch (spec.kind) {
    case "string":
      return text;
    case "bool": {
      const b = parseGoBool(text);
      if (b === undefined) throw invalid(`strconv.ParseBool: parsing ${goQuote(text)}: invalid syntax`);
      return b;
    }
    case "uint64":
    case "int64": {
      const fn = spec.kind === "uint64" ? "ParseUint" : "ParseInt";
      const n = parseGoInteger(text, spec.kind === "int64");
      if (n === undefined) throw invalid(`strconv.${fn}: parsing ${goQuote(text)}: invalid syntax`);
      const [min, max] = spec.kind === "uint64" ? [0n, UINT64_MAX] : [INT64_MIN, INT64_MAX];
      if (n < min || n > max) throw invalid(`strconv.${fn}: parsing ${goQuote(text)}: value out of range`);
      return n;
    }
    case "duration": {
      const ns = parseGoDuration(text);
      if (typeof ns !== "bigint") throw invalid(ns.error);
      return ns;
    }
  }
}

/** Go's strconv.ParseBool. */
function parseGoBool(text: string): boolean | undefined {
  if (["1", "t", "T", "TRUE", "true", "True"].includes(text)) return true;
  if (["0", "f", "F", "FALSE", "false", "False"].includes(text)) return false;
  return undefined;
}

/** Go's strconv.Parse(U)Int with base 0 (pflag's int64/uint64 use base 0): 0x, 0o, 0b, leading 0 octal, underscores between digits. */
function parseGoInteger(text: string, signed: boolean): bigint | undefined {
  let s = text;
  let negative = false;
  if (signed && (s.startsWith("-") || s.startsWith("+"))) {
    negative = s.startsWith("-");
    s = s.slice(1);
  }
  let digits: string;
  let prefix = "";
  if (/^0[xX]/.test(s)) [prefix, digits] = ["0x", s.slice(2)];
  else if (/^0[oO]/.test(s)) [prefix, digits] = ["0o", s.slice(2)];
  else if (/^0[bB]/.test(s)) [prefix, digits] = ["0b", s.slice(2)];
  else if (/^0[0-9_]/.test(s)) [prefix, digits] = ["0o", s.slice(1)];
  else digits = s;
  const pattern = { "": /^[0-9]+(_[0-9]+)*$/, "0x": /^_?[0-9a-fA-F]+(_[0-9a-fA-F]+)*$/, "0o": /^_?[0-7]+(_[0-7]+)*$/, "0b": /^_?[01]+(_[01]+)*$/ }[prefix];
  if (pattern === undefined || !pattern.test(digits)) return undefined;
  const n = BigInt(`${prefix}${digits.replaceAll("_", "")}`);
  return negative ? -n : n;
}

/**
 * Parses `argv` against `specs` (the command's own flags and the inherited
 * ones). `-h`/`--help` is always known, as cobra adds it to every command.
 */
export function parseFlags(argv: readonly string[], specs: readonly FlagSpec[]): ParsedFlags {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const byShort = new Map(specs.filter((s) => s.shorthand !== undefined).map((s) => [s.shorthand!, s]));
  const values = new Map<string, FlagValue>();
  const given = new Set<string>();
  const args: string[] = [];
  let help = false;
  const set = (spec: FlagSpec, text: string, spelled: string): void => {
    values.set(spec.name, parseValue(spec, text, spelled));
    given.add(spec.name);
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") {
      args.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith("-") || arg === "-") {
      args.push(arg);
      continue;
    }
    if (arg.startsWith("--")) {
      const body = arg.slice(2);
      const eq = body.indexOf("=");
      const name = eq === -1 ? body : body.slice(0, eq);
      if (name === "help") {
        help = true;
        continue;
      }
      const spec = byName.get(name);
      if (spec === undefined) throw new FlagError(`unknown flag: --${name}`);
      if (eq !== -1) set(spec, body.slice(eq + 1), `--${name}`);
      else if (spec.kind === "bool") set(spec, "true", `--${name}`);
      else if (i + 1 < argv.length) set(spec, argv[++i]!, `--${name}`);
      else throw new FlagError(`flag needs an argument: --${name}`);
      continue;
    }
    // A group of shorthands: -hw json, -wjson, -w=json.
    let rest = arg.slice(1);
    while (rest.length > 0) {
      const c = rest[0]!;
      rest = rest.slice(1);
      if (c === "h") {
        help = true;
        continue;
      }
      const spec = byShort.get(c);
      if (spec === undefined) throw new FlagError(`unknown shorthand flag: '${c}' in -${arg.slice(1)}`);
      const spelled = `-${c}, --${spec.name}`;
      if (rest.startsWith("=")) {
        set(spec, rest.slice(1), spelled);
      } else if (spec.kind === "bool") {
        set(spec, "true", spelled);
        continue;
      } else if (rest.length > 0) {
        set(spec, rest, spelled);
      } else if (i + 1 < argv.length) {
        set(spec, argv[++i]!, spelled);
      } else {
        throw new FlagError(`flag needs an argument: '${c}' in -${c}`);
      }
      rest = "";
    }
  }
  for (const spec of specs) {
    if (!values.has(spec.name)) values.set(spec.name, parseValue(spec, spec.defaultText, `--${spec.name}`));
  }
  return { values, given, args, help };
}
