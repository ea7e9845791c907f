/**
 * etcdserverpb.Maintenance. Methods not in this map (Snapshot, Downgrade)
 * answer UNIMPLEMENTED until they exist.
 * @module
 */
import type { MaintenanceService } from "../gen/etcdserverpb/rpc.js";
import type { MaintenanceApi } from "../server/api.js";
import type { ServiceHandlers } from "./rpc/contract.js";

export function maintenanceHandlers(api: MaintenanceApi): ServiceHandlers<typeof MaintenanceService> {
  return {
    moveLeader: async (req, ctx) => api.moveLeader(req, ctx.signal),
    alarm: async (req, ctx) => api.alarm(req, ctx.signal),
    defragment: async () => api.defragment(),
    status: async () => api.status(),
    hash: async () => api.hash(),
    hashKv: async (req) => api.hashKV(req),
  };
}
