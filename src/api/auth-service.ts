/**
 * etcdserverpb.Auth: every RPC handed to the server's {@link AuthApi} with
 * the call's cancellation and credentials. etcd's API layer validates
 * nothing here (v3rpc/auth.go only forwards); the server checks names,
 * passwords and the caller when it applies the request, and its errors
 * reach the client through the one error table (status.ts).
 * Authenticate carries no credentials: it is how a client gets them.
 * @module
 */
import type { AuthService } from "../gen/etcdserverpb/rpc.js";
import type { AuthApi } from "../server/api.js";
import { TOKEN_ONLY, type CredentialsReader } from "./credentials.js";
import type { ServiceHandlers } from "./rpc/contract.js";

export function authHandlers(api: AuthApi, credentials: CredentialsReader = TOKEN_ONLY): ServiceHandlers<typeof AuthService> {
  return {
    authEnable: async (req, ctx) => api.authEnable(req, ctx.cancellation, credentials(ctx)),
    authDisable: async (req, ctx) => api.authDisable(req, ctx.cancellation, credentials(ctx)),
    authStatus: async (req, ctx) => api.authStatus(req, ctx.cancellation, credentials(ctx)),
    authenticate: async (req, ctx) => api.authenticate(req, ctx.cancellation),
    userAdd: async (req, ctx) => api.userAdd(req, ctx.cancellation, credentials(ctx)),
    userGet: async (req, ctx) => api.userGet(req, ctx.cancellation, credentials(ctx)),
    userList: async (req, ctx) => api.userList(req, ctx.cancellation, credentials(ctx)),
    userDelete: async (req, ctx) => api.userDelete(req, ctx.cancellation, credentials(ctx)),
    userChangePassword: async (req, ctx) => api.userChangePassword(req, ctx.cancellation, credentials(ctx)),
    userGrantRole: async (req, ctx) => api.userGrantRole(req, ctx.cancellation, credentials(ctx)),
    userRevokeRole: async (req, ctx) => api.userRevokeRole(req, ctx.cancellation, credentials(ctx)),
    roleAdd: async (req, ctx) => api.roleAdd(req, ctx.cancellation, credentials(ctx)),
    roleGet: async (req, ctx) => api.roleGet(req, ctx.cancellation, credentials(ctx)),
    roleList: async (req, ctx) => api.roleList(req, ctx.cancellation, credentials(ctx)),
    roleDelete: async (req, ctx) => api.roleDelete(req, ctx.cancellation, credentials(ctx)),
    roleGrantPermission: async (req, ctx) => api.roleGrantPermission(req, ctx.cancellation, credentials(ctx)),
    roleRevokePermission: async (req, ctx) => api.roleRevokePermission(req, ctx.cancellation, credentials(ctx)),
  };
}
