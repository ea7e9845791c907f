/**
 * Value syntax of Go's standard library, as etcd's flag parsing sees it.
 *
 * etcd parses its flags with Go's `flag` package, whose numbers go through
 * `strconv.ParseInt/ParseUint(s, 0, bits)` (so `0x10`, `0o17`, `0b1`, `010`
 * and `1_000` are all valid), booleans through `strconv.ParseBool` and
 * durations through `time.ParseDuration`. Operators' scripts rely on those
 * spellings, so we accept exactly the same set and reject the rest.
 * @module
 */
import { formatGoDuration as formatGoDurationNs } from "../../pkg/go-duration.js";
import { goQuote } from "../../pkg/go-quote.js";

export { goQuote };

/** Why a number did not parse: bad spelling, or outside the type's range. */
export type GoNumError = "syntax" | "range";

/** `strconv.ParseBool`: the twelve spellings Go accepts. */
export function parseGoBool(s: string): boolean | undefined {
  switch (s) {
    case "1":
    case "t":
    case "T":
    case "TRUE":
    case "true":
    case "True":
      return true;
    case "0":
    case "f":
    case "F":
    case "FALSE":
    case "false":
    case "False":
      return false;
    default:
      return undefined;
  }
}

function digitValue(c: string): number {
  const code = c.charCodeAt(0);
  if (code >= 48 && code <= 57) return code - 48;
  const lower = code | 0x20;
  if (lower >= 97 && lower <= 122) return lower - 97 + 10;
  return 99;
}

/** Go's rule for where `_` may appear in a base-prefixed literal. */
function underscoreOk(literal: string): boolean {
  let s = literal;
  let saw = "^";
  let i = 0;
  if (s.length >= 1 && (s[0] === "-" || s[0] === "+")) s = s.slice(1);
  let hex = false;
  const prefix = s.length >= 2 && s[0] === "0" ? (s[1] ?? "").toLowerCase() : "";
  if (prefix === "b" || prefix === "o" || prefix === "x") {
    i = 2;
    saw = "0";
    hex = prefix === "x";
  }
  for (; i < s.length; i++) {
    const c = s[i] ?? "";
    const lower = c.toLowerCase();
    if ((c >= "0" && c <= "9") || (hex && lower >= "a" && lower <= "f")) {
      saw = "0";
      continue;
    }
    if (c === "_") {
      if (saw !== "0") return false;
      saw = "_";
      continue;
    }
    if (saw === "_") return false;
    saw = "!";
  }
  return saw !== "_";
}

/** `strconv.ParseUint(s, 0, bits)`. */
export function parseGoUint(s: string, bits: 32 | 64): bigint | GoNumError {
  if (s === "") return "syntax";
  let body = s;
  let base = 10;
  if (body[0] === "0") {
    const p = (body[1] ?? "").toLowerCase();
    if (body.length >= 3 && p === "b") [base, body] = [2, body.slice(2)];
    else if (body.length >= 3 && p === "o") [base, body] = [8, body.slice(2)];
    else if (body.length >= 3 && p === "x") [base, body] = [16, body.slice(2)];
    else [base, body] = [8, body.slice(1)];
  }
  const max = (1n << BigInt(bits)) - 1n;
  let n = 0n;
  let underscores = false;
  let overflow = false;
  for (const c of body) {
    if (c === "_") {
      underscores = true;
      continue;
    }
    const d = digitValue(c);
    if (d >= base) return "syntax";
    n = n * BigInt(base) + BigInt(d);
    if (n > max) overflow = true;
  }
  if (underscores && !underscoreOk(s)) return "syntax";
  return overflow ? "range" : n;
}

/** `strconv.ParseInt(s, 0, bits)`. */
export function parseGoInt(s: string, bits: 32 | 64): bigint | GoNumError {
  if (s === "") return "syntax";
  let body = s;
  let negative = false;
  if (body[0] === "+" || body[0] === "-") {
    negative = body[0] === "-";
    body = body.slice(1);
  }
  const un = parseGoUint(body, 64);
  if (un === "syntax") return "syntax";
  if (un === "range") return "range";
  const cutoff = 1n << BigInt(bits - 1);
  if (!negative && un >= cutoff) return "range";
  if (negative && un > cutoff) return "range";
  return negative ? -un : un;
}

export { parseGoDuration } from "../../pkg/go-duration.js";

/** Nanoseconds to the milliseconds our config uses (fractions kept: `500us` is 0.5). */
export function nsToMs(ns: bigint): number {
  return Number(ns) / 1_000_000;
}

/** Go's `%q` of a `[]string`: `["a" "b"]`. */
export function goQuoteList(items: readonly string[]): string {
  return "[" + items.map(goQuote).join(" ") + "]";
}

/** Go's `%v` of a `[]string`: `[a b]`. */
export function goList(items: readonly string[]): string {
  return "[" + items.join(" ") + "]";
}

/** Formats a duration in milliseconds the way Go's `time.Duration.String()` does (`1m0s`, `100ms`, `2h0m0s`). */
export function formatGoDuration(ms: number): string {
  return formatGoDurationNs(BigInt(Math.round(ms * 1_000_000)));
}
