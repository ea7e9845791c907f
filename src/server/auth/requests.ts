/**
 * The Auth service's request paths (etcdserverpb.Auth): management requests
 * are proposed with their caller and checked when applied; Authenticate
 * checks the password here, off the event loop, then proposes the issue of
 * a token and retries if the auth store changed in between (etcd's
 * optimistic check); passwords are hashed here before they are proposed, so
 * the log never holds one in clear and applying never hashes.
 * @module
 */
import type { AuthApi } from "../api.js";

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface AuthRequestDeps {}

/** Builds the Auth request paths (every method rejects until src/server/auth is built). */
export function createAuthRequests(_deps: AuthRequestDeps): AuthApi {
  const notBuilt = (): Promise<never> => Promise.reject(new Error("src/server/auth: not built yet"));
  return {
    authEnable: notBuilt,
    authDisable: notBuilt,
    authStatus: notBuilt,
    authenticate: notBuilt,
    userAdd: notBuilt,
    userGet: notBuilt,
    userList: notBuilt,
    userDelete: notBuilt,
    userChangePassword: notBuilt,
    userGrantRole: notBuilt,
    userRevokeRole: notBuilt,
    roleAdd: notBuilt,
    roleGet: notBuilt,
    roleList: notBuilt,
    roleDelete: notBuilt,
    roleGrantPermission: notBuilt,
    roleRevokePermission: notBuilt,
    checkAdmin: () => Promise.resolve(),
  };
}
