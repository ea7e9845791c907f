/**
 * CRC-32C (Castagnoli), incremental, as Go's `crc32.New(crc32.MakeTable(crc32.Castagnoli))`:
 * feed chunks with {@link Crc32c.update}, read {@link Crc32c.sum}. etcd's
 * Hash and HashKV are this checksum over bucket names, keys and values, so
 * ours must be bit-for-bit the same. Slicing-by-8 keeps hashing a large key
 * bucket cheap.
 * @module
 */

const POLY = 0x82f63b78; // reversed Castagnoli polynomial

const TABLES: Uint32Array[] = (() => {
  const tables = Array.from({ length: 8 }, () => new Uint32Array(256));
  const t0 = tables[0]!;
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
    t0[i] = c >>> 0;
  }
  for (let i = 0; i < 256; i++) {
    let c = t0[i]!;
    for (let t = 1; t < 8; t++) {
      c = (t0[c & 0xff]! ^ (c >>> 8)) >>> 0;
      tables[t]![i] = c;
    }
  }
  return tables;
})();

const [T0, T1, T2, T3, T4, T5, T6, T7] = TABLES as [
  Uint32Array,
  Uint32Array,
  Uint32Array,
  Uint32Array,
  Uint32Array,
  Uint32Array,
  Uint32Array,
  Uint32Array,
];

/** Advances a raw (pre-inverted) CRC state over `data`. */
function updateRaw(crc: number, data: Uint8Array): number {
  let c = crc;
  let i = 0;
  const n = data.length;
  for (; i + 8 <= n; i += 8) {
    const lo = (c ^ (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24))) >>> 0;
    c =
      T7[lo & 0xff]! ^
      T6[(lo >>> 8) & 0xff]! ^
      T5[(lo >>> 16) & 0xff]! ^
      T4[lo >>> 24]! ^
      T3[data[i + 4]!]! ^
      T2[data[i + 5]!]! ^
      T1[data[i + 6]!]! ^
      T0[data[i + 7]!]!;
  }
  for (; i < n; i++) c = T0[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return c >>> 0;
}

/** CRC-32C of `data` in one call (or continuing from a previous `crc`). */
export function crc32c(data: Uint8Array, crc = 0): number {
  return (updateRaw(~crc >>> 0, data) ^ 0xffffffff) >>> 0;
}

/** An incremental CRC-32C. */
export class Crc32c {
  #state = 0xffffffff;

  update(data: Uint8Array): this {
    this.#state = updateRaw(this.#state, data);
    return this;
  }

  /** The checksum of everything fed so far (unsigned 32-bit). */
  sum(): number {
    return (this.#state ^ 0xffffffff) >>> 0;
  }
}
