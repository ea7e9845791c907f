/**
 * Byte-string helpers for keys and ranges.
 * @module
 */

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
