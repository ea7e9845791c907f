/**
 * bcrypt as Go's golang.org/x/crypto/bcrypt writes and reads it (etcd stores
 * its output): hashes are "$2a$<two-digit cost>$<22 salt chars><31 hash
 * chars>". bcryptjs computes the same function; it only names its own output
 * "$2b$", so the salt is relabelled before hashing (the label is part of the
 * hashed string's prefix, not of the computation for a, b and y).
 *
 * Long passwords: Debian's Go bcrypt (the one etcd 3.4 is built with) has no
 * 72-byte limit check; Blowfish's key schedule reads the first 72 bytes of
 * password+NUL, so bytes after the 72nd are ignored (a Go hash of 76 bytes
 * verifies with its first 72). bcryptjs does the same, so neither side
 * refuses or differs; the tests hold Go-made hashes that show it.
 * @module
 */
import { compareSync, genSaltSync, hashSync } from "bcryptjs";

export const MIN_COST = 4;
export const MAX_COST = 31;
/** Go's bcrypt.DefaultCost, which Go also uses for a cost below the minimum. */
export const GO_DEFAULT_COST = 10;

/** The versions Go's bcrypt computes alike and bcryptjs knows; other labels Go would take ("$2x$") are refused. */
const GO_HASH = /^\$2[aby]\$(\d\d)\$[./A-Za-z0-9]{53}$/;

/** A "$2a$" hash of `password`; a cost below 4 becomes 10 and one above 31 is refused, as in Go. */
export function bcryptHash(password: string, cost: number): string {
  const effective = cost < MIN_COST ? GO_DEFAULT_COST : cost;
  if (!Number.isInteger(effective) || effective > MAX_COST) throw new RangeError(`crypto/bcrypt: cost ${cost} is outside allowed range (${MIN_COST},${MAX_COST})`);
  const salt = "$2a$" + genSaltSync(effective).slice("$2b$".length);
  return hashSync(password, salt);
}

/** True when `password` matches `hash`; a malformed hash is a mismatch, never an error. */
export function bcryptVerify(password: string, hash: string): boolean {
  if (!isWellFormedHash(hash)) return false;
  return compareSync(password, hash);
}

/** The shape and cost range Go's newFromHash accepts (for the labels we verify). */
export function isWellFormedHash(hash: string): boolean {
  const cost = GO_HASH.exec(hash)?.[1];
  if (cost === undefined) return false;
  const n = Number(cost);
  return n >= MIN_COST && n <= MAX_COST;
}
