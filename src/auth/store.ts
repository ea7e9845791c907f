/**
 * The auth store: users, roles and their key permissions, the enabled flag
 * and the auth revision, kept in the backend's `auth`, `authUsers` and
 * `authRoles` buckets exactly as etcd keeps them (so snapshots move between
 * etcd and us), mirrored in memory. Every mutation is called while applying
 * a log entry, on every member in the same order, and is deterministic: it
 * changes the same state or throws the same EtcdError everywhere. Each
 * successful change bumps the auth revision (a new store starts at 1) and
 * drops the per-user permission cache.
 *
 * Checks (`checkRange`, `checkPut`, `checkDeleteRange`, `checkAdmin`) follow
 * etcd's isOpPermitted: auth off → allowed; no user → "user name is empty";
 * a revision older than the store's → "auth revision is old"; unknown user
 * → permission denied (admin: "user name not found"); root role → allowed;
 * else the user's merged read or write intervals must cover the whole range.
 * @module
 */
import type { Permission, Role, User } from "../gen/authpb/auth.js";
import type { Logger } from "../pkg/logger.js";
import type { Backend } from "../storage/backend/index.js";
import type { AuthInfo } from "./auth-info.js";

export const ROOT_USER = "root";
export const ROOT_ROLE = "root";

export interface AuthStoreOptions {
  backend: Backend;
  logger: Logger;
}

/** A new user as applied: the password already hashed (bcrypt) before it was proposed. */
export interface NewUser {
  name: string;
  /** bcrypt hash ("$2a$…"); empty for a user without password. */
  hashedPassword: string;
  noPassword: boolean;
}

const NOT_BUILT = "src/auth: not built yet";

export class AuthStore {
  constructor(_options: AuthStoreOptions) {
    throw new Error(NOT_BUILT);
  }

  get enabled(): boolean {
    throw new Error(NOT_BUILT);
  }

  /** The auth revision (etcd's authRevision): bumped by every change. */
  get revision(): bigint {
    throw new Error(NOT_BUILT);
  }

  /** Tells `listener` after every change (revision bumped); returns the unsubscribe function. */
  onChange(_listener: () => void): () => void {
    throw new Error(NOT_BUILT);
  }

  /** Re-reads everything from the backend (after a snapshot replaced it). */
  recover(): void {
    throw new Error(NOT_BUILT);
  }

  // Mutations, applied from the log. Each throws etcd's EtcdError kind on refusal.

  /** Needs user root with role root ("root user does not exist" / "root user does not have root role"); a no-op when already on. */
  enable(): void {
    throw new Error(NOT_BUILT);
  }
  /** A no-op when already off. */
  disable(): void {
    throw new Error(NOT_BUILT);
  }
  userAdd(_user: NewUser): void {
    throw new Error(NOT_BUILT);
  }
  /** root cannot be deleted while auth is on ("invalid auth management"). */
  userDelete(_name: string): void {
    throw new Error(NOT_BUILT);
  }
  userChangePassword(_name: string, _hashedPassword: string): void {
    throw new Error(NOT_BUILT);
  }
  /** Granting a role twice is a no-op; the role "root" need not exist as a role. */
  userGrantRole(_user: string, _role: string): void {
    throw new Error(NOT_BUILT);
  }
  /** root's root role cannot be revoked while auth is on. */
  userRevokeRole(_user: string, _role: string): void {
    throw new Error(NOT_BUILT);
  }
  roleAdd(_name: string): void {
    throw new Error(NOT_BUILT);
  }
  /** Removes the role from every user too; the root role cannot be deleted while auth is on. */
  roleDelete(_name: string): void {
    throw new Error(NOT_BUILT);
  }
  /** Replaces the type of an existing permission on the same key and range end; keeps permissions sorted by key. */
  roleGrantPermission(_role: string, _perm: Permission): void {
    throw new Error(NOT_BUILT);
  }
  roleRevokePermission(_role: string, _key: Uint8Array, _rangeEnd: Uint8Array): void {
    throw new Error(NOT_BUILT);
  }

  // Reads.

  user(_name: string): User | undefined {
    throw new Error(NOT_BUILT);
  }
  role(_name: string): Role | undefined {
    throw new Error(NOT_BUILT);
  }
  /** Sorted, as etcd lists them. */
  userNames(): string[] {
    throw new Error(NOT_BUILT);
  }
  roleNames(): string[] {
    throw new Error(NOT_BUILT);
  }
  hasRole(_user: string, _role: string): boolean {
    throw new Error(NOT_BUILT);
  }

  // Checks: return when allowed, throw EtcdError otherwise. `undefined` info = no credentials.

  checkRange(_info: AuthInfo | undefined, _key: Uint8Array, _rangeEnd: Uint8Array): void {
    throw new Error(NOT_BUILT);
  }
  checkPut(_info: AuthInfo | undefined, _key: Uint8Array): void {
    throw new Error(NOT_BUILT);
  }
  checkDeleteRange(_info: AuthInfo | undefined, _key: Uint8Array, _rangeEnd: Uint8Array): void {
    throw new Error(NOT_BUILT);
  }
  checkAdmin(_info: AuthInfo | undefined): void {
    throw new Error(NOT_BUILT);
  }
  /** True when auth is off or `info` names a user with the root role (no revision check: etcd's IsAdminPermitted). */
  isAdmin(_info: AuthInfo | undefined): boolean {
    throw new Error(NOT_BUILT);
  }
}
