/**
 * Go's `time.ParseDuration`, with Go's error texts: the etcd command's
 * duration flags and the JWT `ttl` option of --auth-token both read Go
 * durations ("10m", "1h30m", "300ms", "1.5s").
 * @module
 */

const DURATION_UNITS: ReadonlyMap<string, bigint> = new Map([
  ["ns", 1n],
  ["us", 1_000n],
  ["\u00b5s", 1_000n], // micro sign
  ["\u03bcs", 1_000n], // Greek mu
  ["ms", 1_000_000n],
  ["s", 1_000_000_000n],
  ["m", 60_000_000_000n],
  ["h", 3_600_000_000_000n],
]);

const MAX_INT64 = (1n << 63n) - 1n;

/**
 * `time.ParseDuration`: returns nanoseconds, or Go's error text
 * (e.g. `time: missing unit in duration "10"`).
 */
export function parseGoDuration(orig: string): bigint | { error: string } {
  const invalid = { error: `time: invalid duration ${timeQuote(orig)}` };
  let s = orig;
  let negative = false;
  if (s !== "" && (s[0] === "-" || s[0] === "+")) {
    negative = s[0] === "-";
    s = s.slice(1);
  }
  if (s === "0") return 0n;
  if (s === "") return invalid;
  let total = 0n;
  while (s !== "") {
    if (!(s[0] === "." || isDigit(s[0]))) return invalid;
    let i = 0;
    while (i < s.length && isDigit(s[i])) i++;
    const intDigits = s.slice(0, i);
    s = s.slice(i);
    let value = intDigits === "" ? 0n : BigInt(intDigits);
    if (value > 1n << 63n) return invalid;
    let fracDigits = "";
    if (s[0] === ".") {
      s = s.slice(1);
      let j = 0;
      while (j < s.length && isDigit(s[j])) j++;
      fracDigits = s.slice(0, j);
      s = s.slice(j);
      if (j === 0 && intDigits === "") return invalid;
    } else if (intDigits === "") {
      return invalid;
    }
    let k = 0;
    while (k < s.length && s[k] !== "." && !isDigit(s[k])) k++;
    if (k === 0) return { error: `time: missing unit in duration ${timeQuote(orig)}` };
    const unitName = s.slice(0, k);
    s = s.slice(k);
    const unit = DURATION_UNITS.get(unitName);
    if (unit === undefined) return { error: `time: unknown unit ${timeQuote(unitName)} in duration ${timeQuote(orig)}` };
    if (value > (1n << 63n) / unit) return invalid;
    value *= unit;
    if (fracDigits !== "") {
      value += (BigInt(fracDigits) * unit) / 10n ** BigInt(fracDigits.length);
      if (value > 1n << 63n) return invalid;
    }
    total += value;
    if (total > 1n << 63n) return invalid;
  }
  if (negative) return -total;
  if (total > MAX_INT64) return invalid;
  return total;
}

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= "0" && c <= "9";
}

/** The time package's own quoting: non-ASCII and control bytes become \\xNN. */
function timeQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const code = ch.codePointAt(0) ?? 0;
    if (code >= 0x80 || code < 0x20) {
      for (const byte of Buffer.from(ch, "utf8")) out += "\\x" + byte.toString(16).padStart(2, "0");
    } else {
      if (ch === '"' || ch === "\\") out += "\\";
      out += ch;
    }
  }
  return out + '"';
}

/** Go's `time.Duration.String()` of `ns` nanoseconds ("1h2m3.5s", "1.5ms", "0s"), as etcd prints durations in flags' help and logs. */
export function formatGoDuration(ns: bigint): string {
  if (ns === 0n) return "0s";
  const sign = ns < 0n ? "-" : "";
  if (ns < 0n) ns = -ns;
  if (ns < 1_000n) return `${sign}${ns}ns`;
  if (ns < 1_000_000n) return `${sign}${decimal(ns, 1_000n)}\u00b5s`;
  if (ns < 1_000_000_000n) return `${sign}${decimal(ns, 1_000_000n)}ms`;
  const hours = ns / 3_600_000_000_000n;
  const minutes = (ns / 60_000_000_000n) % 60n;
  const seconds = `${decimal(ns % 60_000_000_000n, 1_000_000_000n)}s`;
  if (hours > 0n) return `${sign}${hours}h${minutes}m${seconds}`;
  if (minutes > 0n) return `${sign}${minutes}m${seconds}`;
  return `${sign}${seconds}`;
}

/** `n / unit` with the remainder as decimals, trailing zeros dropped. */
function decimal(n: bigint, unit: bigint): string {
  const whole = n / unit;
  const rest = n % unit;
  if (rest === 0n) return String(whole);
  const digits = String(unit).length - 1;
  return `${whole}.${String(rest).padStart(digits, "0").replace(/0+$/, "")}`;
}
