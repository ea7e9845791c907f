/**
 * Maintenance.Downgrade (etcd 3.6): VALIDATE, ENABLE and CANCEL of a
 * cluster-wide downgrade by one minor version, replicated through the log.
 * @module
 */
import type { DowngradeRequest, DowngradeResponse } from "../../gen/etcdserverpb/rpc.js";

export function downgrade(_req: DowngradeRequest, _signal?: AbortSignal): Promise<DowngradeResponse> {
  return Promise.reject(new Error("downgrade: not built yet"));
}
