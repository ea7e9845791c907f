/**
 * Seeded randomness. Nothing in the core calls `Math.random()`: election
 * timeouts, lease and member ids draw from a {@link Random} they are given, so
 * a test can replay a run exactly from its seed.
 * @module
 */

export interface Random {
  /** A uniformly distributed integer in [0, n); n must be a positive safe integer. */
  intn(n: number): number;
  /** A uniformly distributed 64-bit unsigned integer. */
  uint64(): bigint;
}

/**
 * xoshiro128** (Blackman and Vigna): small, fast, and good enough for
 * scheduling and ids. Not for secrets.
 */
export class SeededRandom implements Random {
  #s0: number;
  #s1: number;
  #s2: number;
  #s3: number;

  constructor(seed: number | bigint) {
    // Expand the seed with splitmix32 so that nearby seeds give unrelated streams.
    let x = Number(BigInt.asUintN(32, BigInt(seed))) ^ Number(BigInt.asUintN(32, BigInt(seed) >> 32n));
    const next = (): number => {
      x = (x + 0x9e3779b9) | 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.#s0 = next();
    this.#s1 = next();
    this.#s2 = next();
    this.#s3 = next();
    if ((this.#s0 | this.#s1 | this.#s2 | this.#s3) === 0) this.#s0 = 1;
  }

  /** The next 32 random bits as an unsigned number. */
  next32(): number {
    const result = Math.imul(rotl(Math.imul(this.#s1, 5), 7), 9) >>> 0;
    const t = this.#s1 << 9;
    this.#s2 ^= this.#s0;
    this.#s3 ^= this.#s1;
    this.#s1 ^= this.#s2;
    this.#s0 ^= this.#s3;
    this.#s2 ^= t;
    this.#s3 = rotl(this.#s3, 11);
    return result;
  }

  intn(n: number): number {
    if (!Number.isSafeInteger(n) || n <= 0) throw new RangeError(`intn: bad bound ${n}`);
    if (n <= 0x1_0000_0000) {
      // Rejection sampling keeps the distribution exactly uniform.
      const limit = Math.floor(0x1_0000_0000 / n) * n;
      for (;;) {
        const r = this.next32();
        if (r < limit) return r % n;
      }
    }
    return Number(this.uint64() % BigInt(n));
  }

  uint64(): bigint {
    return (BigInt(this.next32()) << 32n) | BigInt(this.next32());
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
