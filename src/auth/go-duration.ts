/**
 * Go's time.ParseDuration, for the JWT `ttl` option ("10m", "1h30m",
 * "300ms", "1.5s"), with Go's error texts. src/auth may not import the
 * flag layer's parser (src/cli/etcd/go-value.ts), so this is the small
 * subset the option needs: milliseconds as a number (sub-ms kept as a
 * fraction), overflow beyond int64 nanoseconds refused as Go refuses it.
 * @module
 */

const UNIT_NS: ReadonlyMap<string, number> = new Map([
  ["ns", 1],
  ["us", 1e3],
  ["\u00b5s", 1e3],
  ["\u03bcs", 1e3],
  ["ms", 1e6],
  ["s", 1e9],
  ["m", 60e9],
  ["h", 3600e9],
]);

/** int64 nanoseconds, Go's limit (about 292 years). */
const MAX_NS = 2 ** 63;

/** Milliseconds, or Go's error text (e.g. `time: unknown unit "x" in duration "10x"`). */
export function parseGoDurationMs(text: string): number | { error: string } {
  const invalid = { error: `time: invalid duration ${quote(text)}` };
  let s = text;
  let sign = 1;
  if (s.startsWith("-") || s.startsWith("+")) {
    if (s.startsWith("-")) sign = -1;
    s = s.slice(1);
  }
  if (s === "0") return 0;
  if (s === "") return invalid;
  let totalNs = 0;
  while (s !== "") {
    const number = /^(\d*)(?:\.(\d*))?/.exec(s)!;
    const [matched, whole = "", fraction] = number;
    if (whole === "" && (fraction === undefined || fraction === "")) return invalid;
    s = s.slice(matched.length);
    const unitName = /^[^\d.]*/.exec(s)![0];
    if (unitName === "") return { error: `time: missing unit in duration ${quote(text)}` };
    s = s.slice(unitName.length);
    const unit = UNIT_NS.get(unitName);
    if (unit === undefined) return { error: `time: unknown unit ${quote(unitName)} in duration ${quote(text)}` };
    totalNs += Number(`${whole === "" ? "0" : whole}.${fraction ?? ""}0`) * unit;
    if (totalNs > MAX_NS) return invalid;
  }
  return (sign * totalNs) / 1e6;
}

/** Go's quoting in the time package's errors (plain ASCII here; others as \xNN). */
function quote(s: string): string {
  let out = "";
  for (const byte of Buffer.from(s, "utf8")) {
    const c = String.fromCharCode(byte);
    if (byte < 0x20 || byte >= 0x80) out += `\\x${byte.toString(16).padStart(2, "0")}`;
    else out += c === '"' || c === "\\" ? `\\${c}` : c;
  }
  return `"${out}"`;
}
