/**
 * The root-only checks etcd makes at its API layer (v3rpc/maintenance.go's
 * authMaintenanceServer, with 3.5+'s additions, and the membership
 * permission check of EtcdServer): before the handler of Defragment,
 * Snapshot, Hash, HashKV, MoveLeader, Downgrade, Alarm (every action but
 * GET) and MemberAdd/Remove/Update/Promote runs, the caller must be root
 * (or auth off). It sits inside the leader interceptor, as etcd checks
 * learner and leader first. Every other method is passed through untouched
 * at registration, so the hot paths pay nothing; the checks of keys, leases
 * and auth management are made by the server.
 * @module
 */
import { AlarmRequest_AlarmAction, type AlarmRequest } from "../gen/etcdserverpb/rpc.js";
import type { AuthApi } from "../server/api.js";
import type { CredentialsReader } from "./credentials.js";
import type { Interceptor } from "./rpc/methods.js";

/** Methods that only root may call while auth is enabled, whatever their request. */
export const ROOT_ONLY_METHODS: ReadonlySet<string> = new Set([
  "/etcdserverpb.Maintenance/Defragment",
  "/etcdserverpb.Maintenance/Snapshot",
  "/etcdserverpb.Maintenance/Hash",
  "/etcdserverpb.Maintenance/HashKV",
  "/etcdserverpb.Maintenance/MoveLeader",
  "/etcdserverpb.Maintenance/Downgrade",
  "/etcdserverpb.Cluster/MemberAdd",
  "/etcdserverpb.Cluster/MemberRemove",
  "/etcdserverpb.Cluster/MemberUpdate",
  "/etcdserverpb.Cluster/MemberPromote",
]);

/** Alarm: reading the alarms is open to all; raising or clearing one is root's. */
const ALARM = "/etcdserverpb.Maintenance/Alarm";

export function authInterceptor(auth: Pick<AuthApi, "checkAdmin">, credentials: CredentialsReader): Interceptor {
  return {
    unary(method, next) {
      if (ROOT_ONLY_METHODS.has(method.path)) {
        return async (request, ctx) => {
          await auth.checkAdmin(credentials(ctx), ctx.cancellation);
          return next(request, ctx);
        };
      }
      if (method.path === ALARM) {
        return async (request, ctx) => {
          if ((request as AlarmRequest).action !== AlarmRequest_AlarmAction.GET) await auth.checkAdmin(credentials(ctx), ctx.cancellation);
          return next(request, ctx);
        };
      }
      return next;
    },
    serverStream(method, next) {
      if (!ROOT_ONLY_METHODS.has(method.path)) return next;
      return async (request, sink, ctx) => {
        await auth.checkAdmin(credentials(ctx), ctx.cancellation);
        return next(request, sink, ctx);
      };
    },
  };
}
