/**
 * Byte-string helpers for keys and ranges. Keys are compared as unsigned
 * bytes, exactly as etcd (and LMDB) order them.
 * @module
 */

/** Unsigned lexicographic comparison: negative, zero or positive. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(a, b);
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

const ZERO = Buffer.from([0]);

/**
 * The range end that selects every key starting with `prefix`: the prefix with
 * its last byte below 0xff incremented and trailing 0xff bytes dropped. A
 * prefix made only of 0xff bytes (or empty) has no such end: the answer is
 * "\0", which etcd reads as "every key from here on".
 */
export function prefixEnd(prefix: Uint8Array): Buffer {
  for (let i = prefix.length - 1; i >= 0; i--) {
    const byte = prefix[i]!;
    if (byte < 0xff) {
      const end = Buffer.from(prefix.subarray(0, i + 1));
      end[i] = byte + 1;
      return end;
    }
  }
  return Buffer.from(ZERO);
}

/** True for the one-byte range end "\0" (every key at or above the start). */
export function isFromKey(rangeEnd: Uint8Array): boolean {
  return rangeEnd.length === 1 && rangeEnd[0] === 0;
}
