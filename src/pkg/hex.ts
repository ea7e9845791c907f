/**
 * Fixed-width hex, as etcd writes 64-bit numbers into file names (Go's %016x).
 * @module
 */

/** `v` (an unsigned 64-bit value) as 16 lower-case hex digits. */
export function hex16(v: bigint): string {
  return v.toString(16).padStart(16, "0");
}
