/**
 * Request and lease ids, unique across members and restarts without
 * coordination (etcd's scheme): the top 16 bits are the low 16 bits of the
 * member id, the next 40 bits the start time in milliseconds, the low 8 bits a
 * counter. The counter carries into the time bits, so ids keep increasing;
 * a restarted member starts from a later time and never repeats an id.
 * @module
 */

const SUFFIX_BITS = 48n;
const COUNTER_BITS = 8n;
const TIME_BITS = 40n;

export class IdGenerator {
  readonly #prefix: bigint;
  #suffix: bigint;

  constructor(memberId: bigint, startWallMs: number) {
    this.#prefix = BigInt.asUintN(16, memberId) << SUFFIX_BITS;
    this.#suffix = BigInt.asUintN(Number(TIME_BITS), BigInt(Math.trunc(startWallMs))) << COUNTER_BITS;
  }

  next(): bigint {
    this.#suffix = BigInt.asUintN(Number(SUFFIX_BITS), this.#suffix + 1n);
    return this.#prefix | this.#suffix;
  }
}
