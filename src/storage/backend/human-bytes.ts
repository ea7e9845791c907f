/**
 * Sizes as etcd prints them in its logs (go-humanize's `Bytes`: SI units,
 * one decimal below 10 of a unit, e.g. "512 B", "4.1 kB", "105 MB").
 * @module
 */

const UNITS = ["B", "kB", "MB", "GB", "TB", "PB", "EB"] as const;

export function humanBytes(bytes: number): string {
  if (bytes < 10) return `${bytes} B`;
  const exp = Math.min(Math.floor(Math.log(bytes) / Math.log(1000)), UNITS.length - 1);
  const value = Math.floor((bytes / 1000 ** exp) * 10 + 0.5) / 10;
  return `${value < 10 ? value.toFixed(1) : value.toFixed(0)} ${UNITS[exp]!}`;
}
