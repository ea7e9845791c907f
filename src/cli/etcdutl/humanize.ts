/**
 * go-humanize's `Bytes` (SI units, one decimal below 10), which etcdutl
 * uses for the "total size" column, with Go's %.Nf rounding.
 * @module
 */

const SI_UNITS = ["B", "kB", "MB", "GB", "TB", "PB", "EB"] as const;

export function humanBytes(n: number): string {
  if (n < 10) return `${n} B`;
  const e = Math.floor(Math.log(n) / Math.log(1000));
  const value = Math.floor((n / 1000 ** e) * 10 + 0.5) / 10;
  return `${goFixed(value, value < 10 ? 1 : 0)} ${SI_UNITS[e]}`;
}

/**
 * Go's fmt %.Nf for the values {@link humanBytes} formats: Go rounds an exact
 * tie such as 12.5 to even ("12"), JavaScript's toFixed away from zero
 * ("13"). The one-decimal values are never exact ties.
 */
export function goFixed(value: number, digits: number): string {
  const floor = Math.floor(value);
  if (digits === 0 && value - floor === 0.5) return String(floor % 2 === 0 ? floor : floor + 1);
  return value.toFixed(digits);
}
