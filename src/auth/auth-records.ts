/**
 * The auth buckets' layout, byte for byte as etcd writes it (so a snapshot
 * moves between etcd and us): `auth/authEnabled` one byte 1 or 0,
 * `auth/authRevision` 8 bytes big-endian, `authUsers/<name>` an encoded
 * authpb.User, `authRoles/<name>` an encoded authpb.Role.
 * @module
 */
import { Role, User } from "../gen/authpb/auth.js";
import { MAX_KEY_BYTES, type Backend } from "../storage/backend/index.js";
import { EtcdError } from "../pkg/errors.js";

const ENABLED_KEY = Buffer.from("authEnabled");
const REVISION_KEY = Buffer.from("authRevision");
const ENABLED = Buffer.from([1]);
const DISABLED = Buffer.from([0]);

/** Everything the auth buckets hold, decoded. */
export interface AuthRecords {
  enabled: boolean;
  revision: bigint;
  users: Map<string, User>;
  roles: Map<string, Role>;
}

export function readAuthRecords(backend: Backend): AuthRecords {
  const flag = backend.get("auth", ENABLED_KEY);
  const rev = backend.get("auth", REVISION_KEY);
  const users = new Map<string, User>();
  backend.forEach("authUsers", (key, value) => {
    users.set(key.toString("utf8"), User.decode(value));
  });
  const roles = new Map<string, Role>();
  backend.forEach("authRoles", (key, value) => {
    roles.set(key.toString("utf8"), Role.decode(value));
  });
  return {
    // etcd compares the whole value with {1}: anything else is "disabled".
    enabled: flag !== undefined && flag.equals(ENABLED),
    // etcd reads a missing or odd-sized revision as 0 (then writes 1).
    revision: rev !== undefined && rev.length === 8 ? rev.readBigUInt64BE(0) : 0n,
    users,
    roles,
  };
}

export function writeEnabled(backend: Backend, enabled: boolean): void {
  backend.put("auth", ENABLED_KEY, enabled ? ENABLED : DISABLED);
}

export function writeRevision(backend: Backend, revision: bigint): void {
  const bytes = Buffer.alloc(8);
  bytes.writeBigUInt64BE(revision);
  backend.put("auth", REVISION_KEY, bytes);
}

export function writeUser(backend: Backend, user: User): void {
  backend.put("authUsers", user.name, User.encode(user).finish());
}

export function deleteUser(backend: Backend, name: string): void {
  backend.delete("authUsers", Buffer.from(name, "utf8"));
}

export function writeRole(backend: Backend, role: Role): void {
  backend.put("authRoles", role.name, Role.encode(role).finish());
}

export function deleteRole(backend: Backend, name: string): void {
  backend.delete("authRoles", Buffer.from(name, "utf8"));
}

/**
 * A name as a bucket key. etcd's bbolt takes keys up to 32 KiB and panics
 * beyond; our engine's limit is lower, so a longer name is refused before
 * anything is written, the same way on every member.
 */
export function nameKey(name: string): Buffer {
  const key = Buffer.from(name, "utf8");
  if (key.length > MAX_KEY_BYTES) throw new EtcdError("RequestTooLarge", { detail: `auth name of ${key.length} bytes exceeds ${MAX_KEY_BYTES}` });
  return key;
}

/** Go's sort.Strings order: by UTF-8 bytes (not UTF-16 code units). */
export function compareNames(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}
