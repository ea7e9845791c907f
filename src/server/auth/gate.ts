/**
 * The auth gate: what every request path asks before it serves. It resolves
 * a request's credentials to a user (etcd's AuthInfoFromCtx: the token —
 * simple or JWT — first, else the certificate's common name) and checks the
 * request against the auth store. Reads are checked here, on the serving
 * member, after their ReadIndex barrier; writes carry the resolved user in
 * their proposal and are checked again when applied (src/server/auth/apply.ts).
 * @module
 */
import type { AuthInfo, AuthStore } from "../../auth/index.js";
import type { TxnRequest } from "../../gen/etcdserverpb/rpc.js";
import type { Cancellation } from "../api.js";
import type { Credentials } from "./credentials.js";

export type LeaseAccess = "read" | "write";

const NOT_BUILT = "src/server/auth: not built yet";

export interface AuthGateDeps {
  store: AuthStore;
  /** The keys attached to a lease, or undefined when it does not exist. */
  leaseKeys(id: bigint): readonly Uint8Array[] | undefined;
  /** Every live lease's id (for LeaseLeases). */
  leaseIds(): Iterable<bigint>;
}

export interface AuthGate {
  readonly enabled: boolean;
  readonly revision: bigint;

  /**
   * Who `creds` name: undefined when auth is off or no credentials came.
   * Answers synchronously whenever it can (auth off, a known token, a
   * common name): a promise only while a simple token issued at an index
   * this member has not applied yet is waited for, as etcd waits. Throws
   * (or rejects with) "invalid auth token" for a token that is unknown,
   * expired, malformed or badly signed.
   */
  identify(creds: Credentials | undefined, signal?: Cancellation): AuthInfo | undefined | Promise<AuthInfo | undefined>;

  checkRange(info: AuthInfo | undefined, key: Uint8Array, rangeEnd: Uint8Array): void;

  /** Every compare, and every operation of both branches, nested txns included (etcd's checkTxnAuth with the nested fix). */
  checkTxn(info: AuthInfo | undefined, txn: TxnRequest): void;

  checkAdmin(info: AuthInfo | undefined): void;

  /** Root passes; otherwise `access` permission on every key attached to lease `id` (nothing to check for an unknown lease). */
  checkLeaseKeys(info: AuthInfo | undefined, id: bigint, access: LeaseAccess): void;

  /** LeaseLeases: root passes; otherwise read permission on the keys of every lease. */
  checkAllLeases(info: AuthInfo | undefined): void;

  /** Tells `listener` after every change of the auth store; returns the unsubscribe function. */
  onChange(listener: () => void): () => void;
}

/** A gate with auth off: everyone may do everything (unit tests of the request paths, and members built without an auth store). */
export const AUTH_OFF: AuthGate = Object.freeze({
  enabled: false,
  revision: 0n,
  identify: () => undefined,
  checkRange: () => {},
  checkTxn: () => {},
  checkAdmin: () => {},
  checkLeaseKeys: () => {},
  checkAllLeases: () => {},
  onChange: () => () => {},
});

/** The gate over the auth store and the lessor's keys (the deps grow what resolving tokens needs). */
export function createAuthGate(_deps: AuthGateDeps): AuthGate {
  throw new Error(NOT_BUILT);
}
