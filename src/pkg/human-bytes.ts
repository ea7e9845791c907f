/**
 * Byte counts as etcd prints them: go-humanize's `Bytes` (SI units, one
 * decimal below 10 of a unit: "512 B", "4.1 kB", "105 MB"), with Go's
 * rounding — in etcd's log lines and etcdutl's "total size" column.
 * @module
 */

const SI_UNITS = ["B", "kB", "MB", "GB", "TB", "PB", "EB"] as const;

export function humanBytes(bytes: number): string {
  if (bytes < 10) return `${bytes} B`;
  const exp = Math.min(Math.floor(Math.log(bytes) / Math.log(1000)), SI_UNITS.length - 1);
  const value = Math.floor((bytes / 1000 ** exp) * 10 + 0.5) / 10;
  return `${goFixed(value, value < 10 ? 1 : 0)} ${SI_UNITS[exp]!}`;
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
