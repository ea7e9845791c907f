/**
 * The auth gate: what every request path asks before it serves. It resolves
 * a request's credentials to a user (etcd's AuthInfoFromCtx: the token —
 * simple or JWT — first, else the certificate's common name) and checks the
 * request against the auth store. Reads are checked here, on the serving
 * member, after their ReadIndex barrier; writes carry the resolved user in
 * their proposal and are checked again when applied (src/server/auth/apply.ts).
 * @module
 */
import { SimpleTokens, type AuthInfo, type AuthStore } from "../../auth/index.js";
import type { TxnRequest } from "../../gen/etcdserverpb/rpc.js";
import type { Clock } from "../../pkg/clock.js";
import { EtcdError } from "../../pkg/errors.js";
import type { Cancellation } from "../api.js";
import { canceledByClient } from "../proposals/proposer.js";
import { checkLeaseRead, checkLeaseWrite, checkTxn, type PermissionSource } from "./checks.js";
import type { Credentials } from "./credentials.js";
import type { AuthTokens } from "./tokens.js";

export type LeaseAccess = "read" | "write";

export interface AuthGateDeps {
  store: AuthStore;
  tokens: AuthTokens;
  /** The applied index: a simple token names the entry that issued it, which this member may not have applied yet. */
  applied: {
    readonly value: bigint;
    waitUnless(index: bigint, signal: Cancellation, onCancel: () => Error): Promise<void>;
  };
  /** JWT expiry is wall-clock time (the claim is a Unix time, checked by every member). */
  clock: Pick<Clock, "wallMs">;
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

/** A signal that never aborts, for a caller that passed none. */
const NEVER: Cancellation = Object.freeze({ aborted: false, addEventListener: () => {}, removeEventListener: () => {} });

/** The gate over the auth store, the member's tokens and the lessor's keys. */
export function createAuthGate(deps: AuthGateDeps): AuthGate {
  const { store, tokens, applied, clock } = deps;
  const src: PermissionSource = { store, leaseKeys: (id) => deps.leaseKeys(id) };

  const simpleUser = (token: string): AuthInfo => {
    const username = tokens.kind === "simple" ? tokens.simple.lookup(token) : undefined;
    if (username === undefined) throw new EtcdError("InvalidAuthToken");
    return { username, revision: store.revision };
  };

  const fromToken = (token: string, signal: Cancellation | undefined): AuthInfo | Promise<AuthInfo> => {
    if (tokens.kind === "jwt") {
      const info = tokens.jwt.verify(token, clock.wallMs());
      if (info === undefined) throw new EtcdError("InvalidAuthToken");
      return info;
    }
    const index = SimpleTokens.indexOf(token);
    if (index === undefined) throw new EtcdError("InvalidAuthToken");
    if (index <= applied.value) return simpleUser(token);
    // Issued by an entry this member has not applied yet (the client logged in through a faster member).
    return applied.waitUnless(index, signal ?? NEVER, canceledByClient).then(() => simpleUser(token));
  };

  /** etcd's rule for lease checks: auth off passes; with it on, someone must be named. */
  const named = (info: AuthInfo | undefined): boolean => {
    if (!store.enabled) return false;
    if (info === undefined) throw new EtcdError("UserEmpty");
    return true;
  };

  return {
    get enabled() {
      return store.enabled;
    },
    get revision() {
      return store.revision;
    },
    identify(creds, signal) {
      if (creds === undefined || !store.enabled) return undefined;
      if (creds.token !== undefined) return fromToken(creds.token, signal);
      if (creds.commonName !== undefined && creds.commonName !== "") return { username: creds.commonName, revision: store.revision };
      return undefined;
    },
    checkRange(info, key, rangeEnd) {
      store.checkRange(info, key, rangeEnd);
    },
    checkTxn(info, txn) {
      if (store.enabled) checkTxn(src, info, txn);
    },
    checkAdmin(info) {
      store.checkAdmin(info);
    },
    checkLeaseKeys(info, id, access) {
      if (!named(info)) return;
      if (access === "write") checkLeaseWrite(src, info, id);
      else checkLeaseRead(src, info, id);
    },
    checkAllLeases(info) {
      if (!named(info) || store.isAdmin(info)) return;
      for (const id of deps.leaseIds()) checkLeaseRead(src, info, id);
    },
    onChange(listener) {
      return store.onChange(listener);
    },
  };
}
