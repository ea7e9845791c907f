/**
 * etcdserverpb.Maintenance, every method. Snapshot is pulled from the
 * server at the pace the client reads it.
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
    snapshot: async (_req, sink, ctx) => {
      for await (const response of api.snapshot(ctx.signal)) {
        if (!sink.write(response)) await sink.ready();
        if (sink.closed) return;
      }
    },
    downgrade: async (req, ctx) => api.downgrade(req, ctx.signal),
  };
}
